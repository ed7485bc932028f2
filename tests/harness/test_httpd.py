"""The hardened server under ``serve`` and ``LiveWebhookServer``: peers that misbehave."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from harness import LiveWebhookServer, sign
from harness.mocks import make_hardened_server
from harness.protocol import load_fixture

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def ok(environ: object, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def _address(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def raw(url: str, data: bytes, *, wait: float = 5.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    with socket.create_connection(_address(url), timeout=wait) as conn:
        conn.sendall(data)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def request(body: bytes, *headers: str) -> bytes:
    head = "\r\n".join(["POST / HTTP/1.1", "Host: x", *headers, "Connection: close", "", ""])
    return head.encode() + body


@contextmanager
def live(**options: object) -> Iterator[LiveWebhookServer]:
    with LiveWebhookServer(secret=SECRET, **options) as server:  # type: ignore[arg-type]
        yield server


def test_an_idle_connection_does_not_freeze_a_tls_server() -> None:
    with live(tls=True) as server:
        idle = socket.create_connection(_address(server.url))  # never sends a ClientHello
        try:
            body = load_fixture("colour_shape_a")
            started = time.perf_counter()
            answer = requests.post(
                server.url, data=body, headers={"X-Hub-Signature": sign(body, SECRET)},
                verify=str(server.ca_bundle), timeout=5,
            )  # fmt: skip
            assert answer.status_code == 200
            assert time.perf_counter() - started < 2  # not behind the idle one's handshake
        finally:
            idle.close()


def test_an_abandoned_handshake_ends_at_the_handshake_timeout() -> None:
    server = make_hardened_server("127.0.0.1", 0, ok, handshake_timeout=0.3)
    server.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no certificate needed
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as idle:
            started = time.perf_counter()
            assert idle.recv(10) == b""  # closed by the server, not by us
            assert time.perf_counter() - started < 2
    finally:
        server.shutdown()
        server.server_close()


def test_bad_content_length_chunked_bodies_and_the_body_limit() -> None:
    body = load_fixture("colour_shape_a")
    signature = f"X-Hub-Signature: {sign(body, SECRET)}"
    with live(max_body=4096) as server:
        bad = raw(server.url, request(body, "Content-Length: abc", signature))
        assert bad.split(b"\r\n", 1)[0] != b"HTTP/1.1 500 INTERNAL SERVER ERROR"
        assert b"Traceback" not in bad
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        answer = raw(server.url, request(chunked, "Transfer-Encoding: chunked", signature))
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert server.last.verdict == "valid"  # the chunked body was read whole
        assert server.last.body == body
        big = raw(server.url, request(b"x" * 10_000, "Content-Length: 10000", signature))
        assert big.startswith(b"HTTP/1.1 413")
        huge_chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (10_000, b"x" * 10_000)
        big = raw(server.url, request(huge_chunked, "Transfer-Encoding: chunked", signature))
        assert big.startswith(b"HTTP/1.1 413")


def test_a_refused_body_is_not_read() -> None:
    with live(max_body=1024) as server, socket.create_connection(_address(server.url)) as conn:
        conn.settimeout(5)
        declared = 50 * 1024 * 1024
        conn.sendall(request(b"", f"Content-Length: {declared}"))
        conn.sendall(b"x" * 65536)  # the start of a body the server must not drain
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413")
        assert b"Connection: close" in answer
        started = time.perf_counter()
        sent = 0
        try:  # the server stopped reading: sending soon fails (reset or buffers full)
            while sent < declared:
                conn.sendall(b"x" * 65536)
                sent += 65536
        except OSError:
            pass
        assert sent < declared / 4, "the server read the refused body"
        assert time.perf_counter() - started < 5


def test_expect_100_continue_is_answered_once() -> None:
    body = load_fixture("colour_shape_a")
    with live() as server, socket.create_connection(_address(server.url)) as conn:
        conn.settimeout(5)
        head = request(
            b"", f"Content-Length: {len(body)}", "Expect: 100-continue",
            f"X-Hub-Signature: {sign(body, SECRET)}",
        )  # fmt: skip
        conn.sendall(head)
        first = conn.recv(4096)
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(body)
        rest = b""
        while chunk := conn.recv(65536):
            rest += chunk
        assert rest.startswith(b"HTTP/1.1 200"), rest[:100]
        assert b"100 Continue" not in rest


def _serving(app: Any = ok, **options: Any) -> Any:
    server = make_hardened_server("127.0.0.1", 0, app, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: Any, *sockets: socket.socket) -> None:
    for conn in sockets:
        conn.close()
    server.shutdown()
    server.server_close()


GET = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_connections_are_capped_and_idle_ones_make_room() -> None:
    server = _serving(max_connections=3, read_timeout=0.5)
    idle: list[socket.socket] = []
    try:
        before = threading.active_count()
        idle += [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        time.sleep(0.2)
        assert threading.active_count() - before <= 3  # one thread per served connection
        started = time.monotonic()
        extra = raw(f"http://127.0.0.1:{server.port}/", GET)
        assert extra.startswith(b"HTTP/1.1 200")  # an idle connection was closed for it
        assert time.monotonic() - started < 1.5
        time.sleep(1.0)  # the idle ones pass the read timeout and are dropped
        for conn in idle:
            conn.settimeout(2)
            answer = conn.recv(1000)  # dropped (b""), or refused with 503 at once
            assert answer == b"" or answer.startswith(b"HTTP/1.1 503")
        again = raw(f"http://127.0.0.1:{server.port}/", GET)
        assert again.startswith(b"HTTP/1.1 200")
    finally:
        _stop(server, *idle)


def test_503_only_when_every_slot_serves_a_request() -> None:
    release = threading.Event()

    def slow(environ: object, start_response: Any) -> list[bytes]:
        release.wait(10)
        return ok(environ, start_response)

    server = _serving(slow, max_connections=2)
    busy = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    try:
        for conn in busy:
            conn.sendall(GET)  # each is now in the app: not to be closed for room
        time.sleep(0.3)
        started = time.monotonic()
        assert raw(f"http://127.0.0.1:{server.port}/", GET).startswith(b"HTTP/1.1 503")
        assert time.monotonic() - started < 2
        release.set()
        for conn in busy:
            conn.settimeout(5)
            assert conn.recv(100).startswith(b"HTTP/1.1 200")  # never cut off
    finally:
        release.set()
        _stop(server, *busy)


def _trickle(port: int, stop: threading.Event, every: float, data: bytes, tls: Any = None) -> None:
    """A slowloris client: one byte of ``data`` every ``every`` seconds (after a
    complete TLS handshake, with the ``tls`` context)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as conn:
        sock = tls.wrap_socket(conn, server_hostname="localhost") if tls else conn
        with sock:
            for byte in data:
                if stop.wait(every):
                    return
                sock.sendall(bytes([byte]))


def test_a_trickling_client_is_dropped_at_its_header_deadline() -> None:
    server = _serving(read_timeout=2.0, header_deadline=1.0)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            started = time.monotonic()
            for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                if _closed(conn):
                    break
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([byte]))  # a byte every 0.2 s: never silent 2 s
                time.sleep(0.2)
            assert _closed(conn)
            assert time.monotonic() - started < 2.0  # at the 1 s deadline, not later
    finally:
        _stop(server)


def _readable(conn: socket.socket) -> bool:
    import select

    return bool(select.select([conn], [], [], 0)[0])


def _closed(conn: socket.socket) -> bool:
    """The server closed ``conn`` (what it sent before is read and dropped)."""
    while _readable(conn):
        try:
            if conn.recv(65536) == b"":
                return True
        except OSError:
            return True
    return False


def test_a_body_has_the_read_timeout_as_a_whole() -> None:
    def reads(environ: Any, start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        return ok(environ, start_response)

    server = _serving(reads, read_timeout=1.0, header_deadline=1.0)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            started = time.monotonic()
            while not _closed(conn) and time.monotonic() - started < 5:
                with contextlib.suppress(OSError):
                    conn.sendall(b"a")  # a byte every 0.3 s: never silent 1 s
                time.sleep(0.3)
            assert time.monotonic() - started < 2.0
    finally:
        _stop(server)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_slowloris_at_the_cap_while_real_calls_are_served_within_a_second(tls: bool) -> None:
    """The issue's attack: every slot held by a client sending one header byte every
    few seconds; real, signed calls still get their answer within a second."""
    with live(tls=tls) as server:
        port = _address(server.url)[1]
        stop = threading.Event()
        context = ssl.create_default_context(cafile=str(server.ca_bundle)) if tls else None
        slow = b"POST / HTTP/1.1\r\nX-A: " + b"a" * 99
        attackers = [
            threading.Thread(target=_trickle, args=(port, stop, 0.5, slow, context), daemon=True)
            for _ in range(80)  # more than the 64 slots
        ]
        for attacker in attackers:
            attacker.start()
        try:
            time.sleep(1.0)  # the slots are full of slow clients
            body = load_fixture("book_table_shape_b")
            session = requests.Session()
            for _ in range(5):
                started = time.monotonic()
                answer = session.post(
                    server.url,
                    data=body,
                    headers={"X-Hub-Signature": sign(body, SECRET)},
                    timeout=5,
                    verify=str(server.ca_bundle) if tls else True,
                )
                assert answer.status_code == 200, answer.text
                assert time.monotonic() - started < 1.0
                session.close()  # a new connection each time: the worst case
                time.sleep(0.3)
        finally:
            stop.set()
            for attacker in attackers:
                attacker.join(5)


@pytest.mark.parametrize(
    "data",
    [
        request(b"5\r\nhello\r\nzz\r\n", "Transfer-Encoding: chunked"),  # a broken chunk
        request(b"", "Content-Length: 3", "Content-Length: 4"),  # shorter than it says
        request(b"ab", "Content-Length: 10"),  # the client stops mid-body
        request(b"", "X-Note: one\r\n\ttwo"),  # a header folded over two lines
        b"POST / HTTP/1.1\r\n0: \n\t",  # folded, and the headers never end
    ],
    ids=["broken-chunk", "duplicate-length", "short-body", "folded-header", "folded-at-eof"],
)
def test_a_body_that_cannot_be_read_is_a_4xx(data: bytes) -> None:
    # Found by the garbage soak: all but the short body were a 500 from LiveWebhookServer.
    with live() as server, socket.create_connection(_address(server.url)) as conn:
        conn.settimeout(5)
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 4"), answer[:100]


def test_clients_gone_before_the_handshake_leave_no_socket_open() -> None:
    """``wrap_socket`` raises for a client that reset its connection, and Python up to 3.12
    drops the half-made TLS socket unclosed (CPython gh-113280): the server closes it."""
    import gc
    import struct
    import warnings

    server = make_hardened_server("127.0.0.1", 0, ok)
    server.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no handshake completes
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        thread.start()
        try:
            for _ in range(30):
                client = socket.create_connection(("127.0.0.1", server.port), timeout=3)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()  # a reset, before the server can wrap the socket
            time.sleep(0.5)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
        gc.collect()
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
