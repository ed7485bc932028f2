"""Hostile HTTP servers on 127.0.0.1 and an ephemeral port, one misbehaviour each,
for testing that the client side stays correct, bounded and quiet."""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Behaviour = Callable[[socket.socket, "Hostile"], None]

_OK = b'{"text": "ok"}'


def _head(status: str, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def never(conn: socket.socket, server: Hostile) -> None:
    server.stop.wait(60)


def endless(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    while not server.stop.is_set():
        conn.sendall(chunk)


def trickle(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("200 OK", "Content-Type: application/json", "Content-Length: 100000"))
    while not server.stop.is_set():
        conn.sendall(b" ")
        time.sleep(0.05)  # well inside any read timeout, and never done


def stall(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("200 OK", "Content-Length: 100") + b'{"te')
    server.stop.wait(60)


def reset(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("200 OK", "Content-Length: 1000") + b'{"text": "o')
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST


def truncated(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("200 OK", "Content-Length: 1000") + b'{"text": "ok"')


@functools.cache
@functools.cache
def _bomb() -> bytes:
    """About 100 KB that gunzip to 100 MB; made once (making it takes 100 MB, which the
    memory tests must not count as the client's)."""
    return gzip.compress(b"\0" * 100_000_000, compresslevel=9)


def gzip_bomb(conn: socket.socket, server: Hostile) -> None:
    bomb = _bomb()
    conn.sendall(_head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(bomb)}") + bomb)


def invalid_utf8(conn: socket.socket, server: Hostile) -> None:
    body = b'{"text": "\xff\xfe ok"}'
    conn.sendall(_head("200 OK", f"Content-Length: {len(body)}") + body)


def http10_no_length(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + _OK)


def redirect_loop(conn: socket.socket, server: Hostile) -> None:
    conn.sendall(_head("307 Temporary Redirect", "Location: /again", "Content-Length: 0"))


def redirect_to_404(conn: socket.socket, server: Hostile) -> None:
    if server.calls == 1:
        conn.sendall(_head("307 Temporary Redirect", "Location: /gone", "Content-Length: 0"))
    else:
        conn.sendall(_head("404 Not Found", "Content-Length: 9") + b"not found")


def huge(conn: socket.socket, server: Hostile) -> None:
    size = 100 * 1024 * 1024
    conn.sendall(_head("200 OK", f"Content-Length: {size}"))
    block = b" " * (1024 * 1024)
    try:
        for _ in range(100):
            if server.stop.is_set():
                return
            conn.sendall(block)
    except OSError:
        pass


BEHAVIOURS: dict[str, Behaviour] = {
    "never": never,
    "endless": endless,
    "trickle": trickle,
    "stall": stall,
    "reset": reset,
    "truncated": truncated,
    "gzip_bomb": gzip_bomb,
    "invalid_utf8": invalid_utf8,
    "http10_no_length": http10_no_length,
    "redirect_loop": redirect_loop,
    "redirect_to_404": redirect_to_404,
    "huge": huge,
}


class Hostile:
    """Accepts connections; reads each request's head and body; then misbehaves."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.calls = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.threads: list[threading.Thread] = []

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._one, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    body += conn.recv(65536)
                self.calls += 1
                self.behaviour(conn, self)
            except OSError:
                pass


@contextmanager
def hostile(name: str) -> Iterator[Hostile]:
    server = Hostile(BEHAVIOURS[name])
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(2)
        for worker in server.threads:
            worker.join(2)
        server.sock.close()
