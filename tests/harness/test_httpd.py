"""The hardened server under ``serve`` and ``LiveWebhookServer``: peers that misbehave."""

from __future__ import annotations

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


def test_connections_are_capped_and_idle_ones_time_out() -> None:
    server = make_hardened_server("127.0.0.1", 0, ok, max_connections=3, read_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    idle: list[socket.socket] = []
    try:
        before = threading.active_count()
        idle += [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        time.sleep(0.2)
        assert threading.active_count() - before <= 3  # one thread per served connection
        extra = raw(f"http://127.0.0.1:{server.port}/", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert extra.startswith(b"HTTP/1.1 503")
        time.sleep(1.0)  # the idle ones pass the read timeout and are dropped
        for conn in idle:
            conn.settimeout(2)
            answer = conn.recv(1000)  # dropped (b""), or refused with 503 at once
            assert answer == b"" or answer.startswith(b"HTTP/1.1 503")
        again = raw(f"http://127.0.0.1:{server.port}/", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert again.startswith(b"HTTP/1.1 200")
    finally:
        for conn in idle:
            conn.close()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "data",
    [
        request(b"5\r\nhello\r\nzz\r\n", "Transfer-Encoding: chunked"),  # a broken chunk
        request(b"", "Content-Length: 3", "Content-Length: 4"),  # shorter than it says
        request(b"ab", "Content-Length: 10"),  # the client stops mid-body
    ],
    ids=["broken-chunk", "duplicate-length", "short-body"],
)
def test_a_body_that_cannot_be_read_is_a_4xx(data: bytes) -> None:
    # Found by the garbage soak: the first two were a 500 from LiveWebhookServer.
    with live() as server, socket.create_connection(_address(server.url)) as conn:
        conn.settimeout(5)
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 4"), answer[:100]
