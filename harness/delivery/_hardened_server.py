"""The HTTP(S) server under ``botwebhook serve`` and ``LiveWebhookServer``.

werkzeug's threaded development server, hardened for peers that misbehave:

- **TLS handshakes happen on the connection's own thread**, bounded by a
  handshake timeout, never on the accept loop: a client that connects and
  never sends a ClientHello holds up nobody else.
- **Every connection has a read timeout**: an idle client is dropped, and its
  thread ends.
- **Every request has deadlines**, whatever the pace of its bytes: its request
  line and headers must arrive within ``HEADER_DEADLINE`` seconds of its start,
  and its body within the read timeout after them.  A client that trickles a
  byte every few seconds (slowloris) is dropped when its deadline passes.
- **Connections are capped** (threads with them).  At the cap, the connection
  that has waited longest for its headers (a slow client, or one idle between
  calls) is closed to make room, so a real call is served within a second; only
  when every slot is busy with a request under way does a new client get
  ``503``, the connection closed at once.
- **A refused body is not read**: after a ``413`` the server closes the
  connection instead of draining what the client still sends.
- **``Expect: 100-continue`` is answered once.**
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import threading
import time
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from harness.delivery._tls import close_half_made
from harness.platform._budget import DEFAULT_TIMEOUT

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "HEADER_DEADLINE",
    "MAX_CONNECTIONS",
    "READ_TIMEOUT",
    "HardenedServer",
    "make_hardened_server",
]

#: Seconds a client has to finish the TLS handshake.
HANDSHAKE_TIMEOUT = 5.0
#: Seconds of silence after which a connection is dropped.
READ_TIMEOUT = DEFAULT_TIMEOUT
#: Seconds a request has for its request line and headers, however it paces them
#: (its body then has the read timeout, as a whole).
HEADER_DEADLINE = 5.0
#: Seconds a new client waits for the slot of a connection closed to make room.
_MAKE_ROOM_WAIT = 1.0
#: Connections (and threads) served at once; more get 503.
MAX_CONNECTIONS = 64

_BUSY_BODY = b'{"error":"too many clients"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes, each read bounded by the idle timeout and all of them
    by ``deadline`` (a ``time.monotonic()`` value), after which reading raises
    ``TimeoutError`` as a silent peer would."""

    def __init__(self, connection: socket.socket, idle: float) -> None:
        super().__init__()
        self.connection = connection
        self.idle = idle
        self.deadline = float("inf")
        self.expired = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("the request's deadline passed")
        self.connection.settimeout(min(self.idle, left))
        try:
            return self.connection.recv_into(buffer)
        except TimeoutError:  # silent too long, or up to the deadline: either way, done
            self.expired = True
            raise


class _Handler(WSGIRequestHandler):
    timeout = READ_TIMEOUT  # applied to the socket by StreamRequestHandler.setup()
    server: HardenedServer
    _reader: _DeadlineReader

    def setup(self) -> None:
        super().setup()
        self._raw = self.server.raw_socket()
        self._reader = _DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader, 64 * 1024)

    def handle_one_request(self) -> None:
        # A new request (or the wait for one, between calls) starts its header clock.
        self._reader.deadline = time.monotonic() + self.server.header_deadline
        self.server.mark_waiting(self._raw)
        super().handle_one_request()
        if self._reader.expired:  # whatever werkzeug made of it: this client is done
            self.close_connection = True

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        if parsed and any("\n" in value or "\r" in value for value in self.headers.values()):
            # A header folded over lines (obs-fold): RFC 9112, section 5.2 lets a server
            # refuse it with 400, and no handler could be given it as sent.
            self.send_error(400, "Bad Request", "a header is folded over lines")
            return False
        if parsed:  # the headers are in: the body has the read timeout, as a whole
            self._reader.deadline = time.monotonic() + self.timeout
            self.server.mark_busy(self._raw)
        return parsed

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
        header_deadline: float = HEADER_DEADLINE,
    ) -> None:
        handler = type("Handler", (_Handler,), {"timeout": read_timeout})
        super().__init__(host, port, _CloseAfterRefusal(app), handler)
        # Set after the listening socket exists, so that it is not wrapped: each
        # accepted connection is wrapped on its own thread (finish_request).
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self.header_deadline = header_deadline
        self._slots = threading.BoundedSemaphore(max_connections)
        self._local = threading.local()
        self._lock = threading.Lock()
        # Every connection, by its accepted socket: the socket that now carries it
        # (its TLS wrapper, once made) and since when it waits for a request's
        # headers or its TLS handshake (None while it serves a request).
        self._connections: dict[socket.socket, list[Any]] = {}

    def raw_socket(self) -> socket.socket:
        """The accepted socket of the connection this thread serves."""
        raw: socket.socket = self._local.raw
        return raw

    def mark_waiting(self, raw: socket.socket, carrier: socket.socket | None = None) -> None:
        with self._lock:
            entry = self._connections.setdefault(raw, [raw, None])
            entry[0] = carrier or entry[0]
            entry[1] = time.monotonic()

    def mark_busy(self, raw: socket.socket) -> None:
        with self._lock:
            if raw in self._connections:
                self._connections[raw][1] = None

    def _forget(self, raw: socket.socket) -> None:
        with self._lock:
            self._connections.pop(raw, None)

    def _make_room(self) -> bool:
        """Close the connection that has waited longest for its headers; False when
        every connection is serving a request."""
        with self._lock:
            waiting = [(since, raw) for raw, (_, since) in self._connections.items()
                       if since is not None]  # fmt: skip
            if not waiting:
                return False
            raw = min(waiting, key=lambda item: item[0])[1]
            carrier = self._connections[raw][0]
            self._connections[raw][1] = None  # not chosen twice
        with contextlib.suppress(OSError):  # the plain socket's, under any TLS
            socket.socket.shutdown(carrier, socket.SHUT_RDWR)
        return True

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False) and not (
            self._make_room() and self._slots.acquire(timeout=_MAKE_ROOM_WAIT)
        ):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        self.mark_waiting(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self._local.raw = request
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._forget(request)
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(self.handshake_timeout)
        try:  # wrapped first, so that making room can close it during the handshake
            secured = self.ssl_context.wrap_socket(
                request, server_side=True, do_handshake_on_connect=False
            )
        except (OSError, ssl.SSLError) as exc:  # the client left before the handshake
            close_half_made(exc)
            return
        try:
            self.mark_waiting(request, secured)
            secured.do_handshake()
        except (OSError, ssl.SSLError):  # failed or abandoned: this client's concern only
            with contextlib.suppress(OSError):
                secured.close()
            return
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
    header_deadline: float = HEADER_DEADLINE,
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
        header_deadline=header_deadline,
    )
