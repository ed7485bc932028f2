"""A live local webhook server (real HTTP on 127.0.0.1), for code that does not
use ``requests``: any client, any language, over a socket.

    with LiveWebhookServer(secret=SECRET, tls=True) as server:
        subprocess.run(["my-sender", "--url", server.url, "--ca", str(server.ca_bundle)])
        server.assert_called(times=1)
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness.delivery._loader import app_target
from harness.mocks._recorder import CallLog, call_in_process, record
from harness.protocol._signing import Secret, SecretLike
from harness.replay._cassette import CassetteWriter, record_call, recorder

__all__ = ["LiveWebhookServer"]


class LiveWebhookServer(CallLog):
    """The reference handler (or ``handler``) behind the hardened threaded server of
    ``botwebhook serve`` on ``host`` and ``port`` (0: a free one); every call is recorded
    like the mocks' calls (and appended to the cassette ``record``, if given);
    ``capture`` keeps what the handler prints and logs out of the terminal.
    Bodies over ``max_body`` bytes (default 1 MiB, as the reference handler) get
    413, unread.  The log keeps the most recent calls (``harness.mocks._recorder``'s
    bounds); ``log_calls=False`` keeps none."""

    def __init__(
        self,
        *,
        secret: SecretLike | None = None,
        handler: Callable[..., Any] | None = None,
        tls: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = 1024 * 1024,
        record: str | Path | CassetteWriter | None = None,
        capture: bool = False,
        log_calls: bool = True,
    ) -> None:
        secret = Secret.of(secret)  # from here on, no traceback can show it
        super().__init__()
        self.max_body = max_body
        self.log_calls = log_calls
        if handler is None:
            from harness.reference import make_app

            handler = make_app(
                secret=secret,
                require_signature=secret is not None,
                accept_unverified=True,  # no secret: calls are recorded as unchecked
            )
        self.secret = secret
        self.handler = handler
        self.recorder = recorder(record)
        self._owns_recorder = self.recorder is not None and self.recorder is not record
        self._target = app_target(handler, capture=capture)
        self.tls = tls
        self.host = host
        self.port = port
        self.ca_bundle: Path | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:<port>/`` once started."""
        if self._server is None:
            raise RuntimeError("the server is not started: use start() or a with block")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self._server.port}/"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wrappers import Request, Response

        # werkzeug's server, imported on the first call
        from harness._limits import read_body
        from harness.platform._headers import end_to_end

        request = Request(environ)
        body, refused = read_body(request, self.max_body)
        if refused is not None:
            answer: Iterable[bytes] = refused(environ, start_response)
            return answer
        # What the handler sees: the request's own headers, without the hop-by-hop ones
        # (the body is passed whole, with its real length).
        headers = dict(end_to_end(request.headers.items()))
        url = self.url.rstrip("/") + request.full_path.rstrip("?")
        started = time.perf_counter()
        status, response_headers, data, every_header = call_in_process(
            self._target, request.method, url, headers, body
        )
        record_call(self.recorder, (request.method, url, headers, body),
                    (status, response_headers, data), time.perf_counter() - started)  # fmt: skip
        if self.log_calls:
            self._append(
                record(request.method, url, headers, body, self.secret, status,
                       response_headers, data)
            )  # fmt: skip
        response = Response(data, status=status, headers=every_header)
        return response(environ, start_response)

    def start(self) -> LiveWebhookServer:
        from harness.delivery._hardened_server import make_hardened_server

        pair = None
        if self.tls:
            from harness.delivery._tls import make_certificate

            self._folder = tempfile.TemporaryDirectory(prefix="botwebhook-server-")
            certificate = make_certificate(Path(self._folder.name))
            self.ca_bundle = certificate.cert
            pair = (str(certificate.cert), str(certificate.key))
        self._server = make_hardened_server(self.host, self.port, self._app, certificate=pair)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __repr__(self) -> str:  # never the secret
        state = self.url if self._server is not None else "stopped"
        return f"<LiveWebhookServer {state} secret={'set' if self.secret else 'none'}>"

    def stop(self) -> None:
        self._target.close()  # an ASGI handler's lifespan shutdown
        if self._owns_recorder and self.recorder is not None:
            self.recorder.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> LiveWebhookServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
