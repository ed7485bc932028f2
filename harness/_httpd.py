"""The HTTP(S) server under ``botwebhook serve`` and ``LiveWebhookServer``.

werkzeug's threaded development server, hardened for peers that misbehave:

- **TLS handshakes happen on the connection's own thread**, bounded by a
  handshake timeout, never on the accept loop: a client that connects and
  never sends a ClientHello holds up nobody else.
- **Every connection has a read timeout**: an idle or trickling client is
  dropped, and its thread ends.
- **Connections are capped** (threads with them): past the cap a new client
  gets ``503`` and the connection is closed at once.
- **A refused body is not read**: after a ``413`` the server closes the
  connection instead of draining what the client still sends.
- **``Expect: 100-continue`` is answered once.**
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from harness._transport import DEFAULT_TIMEOUT

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "HOP_BY_HOP",
    "MAX_CONNECTIONS",
    "READ_TIMEOUT",
    "HardenedServer",
    "end_to_end",
    "make_hardened_server",
    "read_body",
]

#: Headers of one connection, not of the message: never passed on, either way
#: (RFC 9110 §7.6.1, with the proxy's own credentials; the length is the new
#: connection's own, written again).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "expect", "upgrade",
     "proxy-connection", "content-length", "trailer", "proxy-authorization",
     "proxy-authenticate"}
)  # fmt: skip


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a proxy passes on, in order, repeated ones each time: without the
    hop-by-hop ones and without those the ``Connection`` header names (RFC 9110
    §7.6.1)."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(k, v) for k, v in pairs if k.lower() not in HOP_BY_HOP and k.lower() not in named]


def read_body(request: Any, limit: int) -> tuple[bytes, Any]:
    """A werkzeug request's body (chunked too), or the answer that refuses it: 413
    when it is over ``limit`` bytes (not read beyond), 400 when it cannot be read (a
    broken chunk, a body shorter than its length, a client gone)."""
    from werkzeug.wrappers import Response

    declared = request.content_length  # None when absent, chunked or not a number
    body = b""
    if declared is None or declared <= limit:
        try:
            body = request.stream.read(limit + 1)
        except Exception:
            unread = '{"error": "the body could not be read"}'
            return b"", Response(unread, status=400, mimetype="application/json")
    if (declared is not None and declared > limit) or len(body) > limit:
        refused = f'{{"error": "body larger than {limit} bytes"}}'
        return b"", Response(refused, status=413, mimetype="application/json")
    return body, None


#: Seconds a client has to finish the TLS handshake.
HANDSHAKE_TIMEOUT = 5.0
#: Seconds of silence after which a connection is dropped.
READ_TIMEOUT = DEFAULT_TIMEOUT
#: Connections (and threads) served at once; more get 503.
MAX_CONNECTIONS = 64

_BUSY_BODY = b'{"error":"too many clients"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class _Handler(WSGIRequestHandler):
    timeout = READ_TIMEOUT  # applied to the socket by StreamRequestHandler.setup()

    def handle_expect_100(self) -> bool:
        # http.server would send "100 Continue" here, and werkzeug's run_wsgi sends
        # it again: answer once, in run_wsgi.
        return True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # quiet: the harness records calls itself

    def log_error(self, format: str, *args: Any) -> None:
        pass


class _CloseAfterRefusal:
    """Wraps the app: after a ``413``, reading from the client stops, so werkzeug's
    drain loop ends at once instead of reading the whole refused body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        refused = False

        def starting(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            nonlocal refused
            if status.startswith("413"):
                refused = True
                headers = [*(h for h in headers if h[0].lower() != "connection"),
                           ("Connection", "close")]  # fmt: skip
            return start_response(status, headers, *exc)

        body = self.app(environ, starting)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()
            if refused:
                connection = environ.get("werkzeug.socket")
                if connection is not None:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RD)


class HardenedServer(ThreadedWSGIServer):
    """werkzeug's threaded server with the bounds in the module docstring."""

    daemon_threads = True

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = MAX_CONNECTIONS,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        handler = type("Handler", (_Handler,), {"timeout": read_timeout})
        super().__init__(host, port, _CloseAfterRefusal(app), handler)
        # Set after the listening socket exists, so that it is not wrapped: each
        # accepted connection is wrapped on its own thread (finish_request).
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(self.handshake_timeout)
        try:
            secured = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a failed or abandoned handshake concerns this client only
        try:
            super().finish_request(secured, client_address)
        finally:
            with contextlib.suppress(OSError):
                secured.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that misbehaves is not worth a traceback on the terminal

    def log(self, type: str, message: str, *args: Any) -> None:
        pass  # werkzeug's "Error on request" and the like: the 500 says it


def make_hardened_server(
    host: str,
    port: int,
    app: Any,
    *,
    certificate: tuple[str, str] | None = None,
    max_connections: int = MAX_CONNECTIONS,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> HardenedServer:
    """A :class:`HardenedServer` for ``app`` on ``host``:``port`` (0: a free one), over
    TLS with ``certificate`` (the paths of a PEM certificate and key)."""
    context = None
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
    return HardenedServer(
        host,
        port,
        app,
        ssl_context=context,
        max_connections=max_connections,
        handshake_timeout=handshake_timeout,
        read_timeout=read_timeout,
    )
