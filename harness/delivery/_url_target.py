"""An endpoint reached over real HTTP(S), as the platform's ``HttpURLConnection``
reaches it: separate connect and read timeouts, no redirects of its own (the
caller follows them as Java does), and an answer read as sent (undecoded).
"""

from __future__ import annotations

import threading
import time
import warnings
import weakref
from typing import Any

from harness.delivery._deadline import Caller, CallTimedOut
from harness.delivery._tls import close_half_made
from harness.delivery._transport import (
    _CHUNK,
    Received,
    Target,
    _TransportFailure,
    repeated,
)
from harness.platform._budget import DEADLINE_FACTOR, DEFAULT_TIMEOUT, MAX_ANSWER

__all__ = ["UrlTarget"]

#: Headers urllib3 adds when a call has none: the platform sends neither.
_ADDED = ("User-Agent", "Accept-Encoding")


class UrlTarget(Target):
    """An endpoint reached over real HTTP(S) with keep-alive ``requests`` sessions.

    The answer is streamed and kept up to ``max_answer`` bytes; each call also
    has an overall deadline (``deadline_factor`` times the read timeout, twice by
    default), since the platform's read timeout is per read and an answer that
    trickles in never trips it.

    Sessions come from a pool: a call takes one and gives it back, so however many
    threads call (a server's thread per connection), there are never more sessions,
    nor open connections, than calls at once.  Nothing is added to the headers a
    call gives: no ``User-Agent`` or ``Accept-Encoding`` of urllib3's own.
    """

    #: The overall deadline of a call, in read timeouts.
    deadline_factor: float = DEADLINE_FACTOR

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
        self._idle: list[Any] = []  # sessions no call is using
        self._sessions: list[Any] = []
        self._lock = threading.Lock()
        self._caller = Caller(capture=False)
        # A target never closed still closes its connections when it is collected
        # (``run_check(load_target(url))`` leaves that to the garbage collector).
        weakref.finalize(self, _close_sessions, self._sessions)

    def _take(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        session = self._requests.Session()
        session.headers.clear()  # only the call's own headers
        with self._lock:
            self._sessions.append(session)
        return session

    def _give_back(self, session: Any) -> None:
        with self._lock:
            if session in self._sessions:
                self._idle.append(session)

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        if self.verify is False:
            # --insecure was asked for: urllib3's warning about it is noise.  (Not
            # catch_warnings(), which is not thread-safe: calls run concurrently.)
            warnings.filterwarnings("ignore", category=_insecure_warning())
        session = self._take()
        opened: list[Any] = []
        deadline = self.deadline_factor * timeout
        started = time.perf_counter()
        try:
            answer, error, _ = self._caller.run(
                lambda: self._call(session, opened, method, url, headers, body, timeout),
                deadline,
            )
        except CallTimedOut:
            for response in opened:  # unblocks the helper thread: its read fails
                response.close()
            session.close()  # its connection is mid-answer: not for another call
            with self._lock:
                self._sessions.remove(session)
            raise _TransportFailure(
                f"the answer was still arriving after {deadline:g} s (twice the read timeout): "
                "it trickles or never ends, and the platform's per-read timeout never trips, "
                "so the chat request hangs",
                hung=True,
            ) from None
        self._give_back(session)
        if error is not None:
            raise error
        assert answer is not None
        status, pairs, data, size = answer
        headers = dict(pairs)
        return Received(
            status,
            headers,
            data,
            time.perf_counter() - started,
            size=size,
            over_cap=size > self.max_answer,
            header_list=repeated(pairs, headers),
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
    ) -> tuple[int, list[tuple[str, str]], bytes, int]:
        from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError
        from urllib3.util import SKIP_HEADER

        exc = self._requests.exceptions
        given = {name.lower() for name in headers}
        # urllib3 would add a User-Agent and Accept-Encoding: identity of its own.
        skipped = {name: SKIP_HEADER for name in _ADDED if name.lower() not in given}
        try:
            try:
                response = session.request(
                    method,
                    url,
                    data=body or None,
                    headers={**headers, **skipped},
                    timeout=(min(self.connect_timeout, timeout), timeout),
                    allow_redirects=False,
                    verify=self.verify,
                    stream=True,
                )
            except Exception as error:  # a server that reset a new connection, say
                close_half_made(error)
                raise
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
        # Every header as sent, repeated ones too (two Set-Cookie stay two).
        pairs = [(str(k), str(v)) for k, v in response.raw.headers.items()]
        return response.status_code, pairs, data, size

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
            sessions = list(self._sessions)
            self._sessions.clear()
            self._idle.clear()
        _close_sessions(sessions)


def _close_sessions(sessions: list[Any]) -> None:
    for session in list(sessions):
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
