"""An endpoint reached over real HTTP(S), as the platform's ``HttpURLConnection``
reaches it: separate connect and read timeouts, no redirects of its own (the
caller follows them as Java does), and an answer read as sent (undecoded).
"""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any

from harness._capture import Caller, CallTimedOut
from harness._transport import (
    _CHUNK,
    DEADLINE_FACTOR,
    DEFAULT_TIMEOUT,
    MAX_ANSWER,
    Received,
    Target,
    _TransportFailure,
)

__all__ = ["UrlTarget"]


class UrlTarget(Target):
    """An endpoint reached over real HTTP(S) with keep-alive ``requests`` sessions.

    The answer is streamed and kept up to ``max_answer`` bytes; each call also
    has an overall deadline (twice the read timeout), since the platform's read
    timeout is per read and an answer that trickles in never trips it.
    """

    def __init__(
        self,
        url: str,
        *,
        verify: bool = True,
        ca_bundle: str | None = None,
        connect_timeout: float = DEFAULT_TIMEOUT,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        import requests

        self.name = url
        self.url = url
        self.in_process = False
        self.connect_timeout = connect_timeout
        self.max_answer = max_answer
        self.verify: bool | str = ca_bundle if ca_bundle else verify
        self._requests = requests
        self._local = threading.local()  # a session per thread: calls run concurrently
        self._sessions: list[Any] = []
        self._lock = threading.Lock()
        self._caller = Caller(capture=False)

    @property
    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._requests.Session()
            session.headers.clear()  # only the platform's headers, no Accept-Encoding
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        if self.verify is False:
            # --insecure was asked for: urllib3's warning about it is noise.  (Not
            # catch_warnings(), which is not thread-safe: calls run concurrently.)
            warnings.filterwarnings("ignore", category=_insecure_warning())
        session = self._session  # this thread's: the call runs on a helper thread
        opened: list[Any] = []
        deadline = DEADLINE_FACTOR * timeout
        started = time.perf_counter()
        try:
            answer, error, _ = self._caller.run(
                lambda: self._call(session, opened, method, url, headers, body, timeout),
                deadline,
            )
        except CallTimedOut:
            for response in opened:  # unblocks the helper thread: its read fails
                response.close()
            raise _TransportFailure(
                f"the answer was still arriving after {deadline:g} s (twice the read timeout): "
                "it trickles or never ends, and the platform's per-read timeout never trips, "
                "so the chat request hangs",
                hung=True,
            ) from None
        if error is not None:
            raise error
        assert answer is not None
        status, response_headers, data, size = answer
        return Received(
            status,
            response_headers,
            data,
            time.perf_counter() - started,
            size=size,
            over_cap=size > self.max_answer,
        )

    def _call(
        self,
        session: Any,
        opened: list[Any],
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
    ) -> tuple[int, dict[str, str], bytes, int]:
        from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

        exc = self._requests.exceptions
        try:
            response = session.request(
                method,
                url,
                data=body or None,
                headers=headers,
                timeout=(min(self.connect_timeout, timeout), timeout),
                allow_redirects=False,
                verify=self.verify,
                stream=True,
            )
            opened.append(response)
            try:
                data, size = self._read(response.raw)
            finally:
                response.close()
        except exc.ConnectTimeout as error:
            raise _TransportFailure("connect timed out") from error
        except (exc.ReadTimeout, ReadTimeoutError, TimeoutError) as error:
            raise _TransportFailure("Read timed out", timed_out=True) from error
        except exc.SSLError as error:
            raise _TransportFailure(f"TLS handshake failed: {_reason(error)}") from error
        except exc.ConnectionError as error:
            if "timed out" in str(error).lower():
                raise _TransportFailure("Read timed out", timed_out=True) from error
            raise _TransportFailure(f"Connection failed: {_reason(error)}") from error
        except exc.RequestException as error:
            raise _TransportFailure(f"{type(error).__name__}: {_reason(error)}") from error
        except ProtocolError as error:  # reset mid-answer, body shorter than its length
            raise _TransportFailure(f"the answer broke off: {_reason(error)}") from error
        except (HTTPError, OSError) as error:
            raise _TransportFailure(f"{type(error).__name__}: {_reason(error)}") from error
        return response.status_code, dict(response.headers.items()), data, size

    def _read(self, raw: Any) -> tuple[bytes, int]:
        """The body as sent (undecoded), at most ``max_answer`` bytes of it, and its
        whole size.  Past the cap the rest is read and dropped, so that an answer
        that never ends meets the call's deadline (the platform would read it all)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = raw.read1(_CHUNK, decode_content=False)
            if not chunk:
                break
            if size < self.max_answer:
                chunks.append(chunk[: self.max_answer - size])
            size += len(chunk)
        return b"".join(chunks), size

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def _insecure_warning() -> type[Warning]:
    from urllib3.exceptions import InsecureRequestWarning

    return InsecureRequestWarning


def _reason(error: BaseException) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "CERTIFICATE_VERIFY_FAILED"):
        if marker in text:
            return marker
    return text[:160]
