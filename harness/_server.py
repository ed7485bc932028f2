"""A live local webhook server (real HTTP on 127.0.0.1), for code that does not
use ``requests``: any client, any language, over a socket.

    with LiveWebhookServer(secret=SECRET, tls=True) as server:
        subprocess.run(["my-sender", "--url", server.url, "--ca", str(server.ca_bundle)])
        server.assert_called(times=1)
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness._recorder import CallLog, call_wsgi, record
from harness._transport import WsgiTarget

__all__ = ["LiveWebhookServer"]


class LiveWebhookServer(CallLog):
    """The reference handler (or ``handler``) behind a threaded werkzeug server on
    ``host`` and an ephemeral port; every call is recorded like the mocks' calls."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        handler: Callable[..., Any] | None = None,
        tls: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        if handler is None:
            from harness.reference import make_app

            handler = make_app(secret=secret, require_signature=secret is not None)
        self.secret = secret
        self.handler = handler
        self._target = WsgiTarget(handler)
        self.tls = tls
        self.host = host
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
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        url = self.url.rstrip("/") + path + (f"?{query}" if query else "")
        status, response_headers, data = call_wsgi(
            self._target, environ["REQUEST_METHOD"], url, headers, body
        )
        self._append(
            record(environ["REQUEST_METHOD"], url, headers, body, self.secret, status,
                   response_headers, data)
        )  # fmt: skip
        from werkzeug.wrappers import Response

        response = Response(data, status=status, headers=list(response_headers.items()))
        return response(environ, start_response)

    def start(self) -> LiveWebhookServer:
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        ssl_context = None
        if self.tls:
            from harness._tls import make_certificate

            self._folder = tempfile.TemporaryDirectory(prefix="botwebhook-server-")
            certificate = make_certificate(Path(self._folder.name))
            self.ca_bundle = certificate.cert
            ssl_context = (str(certificate.cert), str(certificate.key))
        self._server = make_server(self.host, 0, self._app, threaded=True, ssl_context=ssl_context)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
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
