"""Soak: garbage at our own servers (``serve``, ``serve --tls``, ``LiveWebhookServer``),
on 127.0.0.1 only, bounded in count and time.

A Hypothesis strategy over raw HTTP bytes sends a few thousand requests, while
idle and trickling connections are held open.  Asserted: no 5xx (505 only to a
request line that asks for HTTP/2 or later, which is the right answer), the
server keeps answering a valid signed call promptly, and the process' memory
stays flat.
"""

from __future__ import annotations

import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import LiveWebhookServer, sign
from harness.protocol import load_fixture

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
REQUESTS = 1200  # per server
_STATUS = re.compile(rb"HTTP/\d\.\d (\d{3})")

_token = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
_header = st.one_of(
    st.tuples(_token, st.text(max_size=30)).map(lambda h: f"{h[0]}: {h[1]}"),
    st.sampled_from(
        [
            "Content-Length: abc",
            "Content-Length: -5",
            "Content-Length: 99999999999",
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: gzip, chunked",
            "Expect: 100-continue",
            "X-Hub-Signature: sha256=zz",
            "Content-Type: \x00",
            "Host:",
            "Connection: upgrade",
            "Content-Length: 3\r\nContent-Length: 4",
        ]
    ),
)
_line = st.tuples(
    st.sampled_from(["POST", "GET", "PUT", "BREW", "", "post", "POST POST"]),
    st.sampled_from(["/", "*", "//x", "/\x7f", "/" + "a" * 5000, "http://x/", ""]),
    st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/9.9", "HTTP/1", "", "ICY"]),
).map(" ".join)
_http = st.builds(
    lambda line, headers, body, end: (
        "\r\n".join([line, *headers]).encode("utf-8", "surrogatepass") + end + body
    ),
    _line,
    st.lists(_header, max_size=6),
    st.binary(max_size=300) | st.just(b"0\r\n\r\n") | st.just(b"5\r\nhello\r\nzz\r\n"),
    st.sampled_from([b"\r\n\r\n", b"\n\n", b"\r\n", b""]),
)
GARBAGE = st.one_of(_http, st.binary(min_size=1, max_size=400))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextmanager
def served(kind: str) -> Iterator[tuple[str, str | None, int]]:
    """(url, CA bundle or None, pid) of a server of ``kind``."""
    if kind == "live":
        with LiveWebhookServer(secret=SECRET) as server:
            yield server.url, None, 0
        return
    args = [sys.executable, "-m", "harness.cli", "serve", "--port", "0", "--secret", SECRET]
    if kind == "tls":
        args.append("--tls")
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = re.search(r"listening on (\S+) ", proc.stdout.readline()).group(1)  # type: ignore[union-attr]
            ca = proc.stdout.readline().rsplit(": ", 1)[1].strip() if kind == "tls" else None
            yield url, ca, proc.pid
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _send(host: str, port: int, tls: bool, data: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=3) as raw:
        conn: socket.socket = raw
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = context.wrap_socket(raw, server_hostname="localhost")
        try:
            conn.sendall(data)
            # Half-close the TCP side (beneath TLS, SSLSocket.shutdown would drop TLS).
            socket.socket.shutdown(conn, socket.SHUT_WR)
            answer = b""
            while len(answer) < 64 and (chunk := conn.recv(4096)):
                answer += chunk
            return answer
        except OSError:  # the server closed or reset a connection it would not serve
            return b""
        finally:
            if conn is not raw:
                conn.close()


def _valid_call(url: str, ca: str | None) -> float:
    body = load_fixture("colour_shape_a")
    started = time.perf_counter()
    answer = requests.post(
        url, data=body, headers={"X-Hub-Signature": sign(body, SECRET)}, timeout=5,
        verify=ca or True,
    )  # fmt: skip
    assert answer.status_code == 200
    return time.perf_counter() - started


def _hold_bad_clients(host: str, port: int, stop: threading.Event) -> list[socket.socket]:
    """Ten idle connections and three that trickle a request a byte at a time."""
    idle = [socket.create_connection((host, port)) for _ in range(10)]

    def trickle() -> None:
        try:
            with socket.create_connection((host, port)) as conn:
                for byte in b"POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000:
                    if stop.wait(0.2):
                        return
                    conn.sendall(bytes([byte]))
        except OSError:
            pass  # dropped by the server's read timeout: as it should be

    for _ in range(3):
        threading.Thread(target=trickle, daemon=True).start()
    return idle


@pytest.mark.parametrize("kind", ["plain", "tls", "live"])
def test_garbage_soak(kind: str) -> None:
    with served(kind) as (url, ca, pid):
        host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
        stop = threading.Event()
        held = _hold_bad_clients(host, int(port), stop)
        statuses: dict[int, int] = {}
        sent = {"count": 0}
        try:
            _valid_call(url, ca)
            rss_before = _rss_kb(pid) if pid else 0

            @settings(
                max_examples=REQUESTS, deadline=None, database=None,
                suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            @given(GARBAGE)
            def garbage(data: bytes) -> None:
                answer = _send(host, int(port), kind == "tls", data)
                match = _STATUS.match(answer)
                if match:
                    status = int(match.group(1))
                    statuses[status] = statuses.get(status, 0) + 1
                    asks_http2 = re.match(rb"[^\r\n]* HTTP/([2-9])", data) is not None
                    assert status < 500 or (status == 505 and asks_http2), (status, data[:200])
                sent["count"] += 1
                if sent["count"] % 300 == 0:
                    assert _valid_call(url, ca) < 2.0  # not frozen: answers promptly

            garbage()
            assert _valid_call(url, ca) < 2.0
            if pid:
                grown = _rss_kb(pid) - rss_before
                assert grown < 30_000, f"{kind}: memory grew by {grown} kB"
        finally:
            stop.set()
            for conn in held:
                conn.close()
    assert sent["count"] >= REQUESTS * 0.9
    assert sum(statuses.values()) > 0  # the garbage was answered, not only dropped
