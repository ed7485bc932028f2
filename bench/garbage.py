"""Benchmark: garbage requests per second at ``botwebhook serve``, plain and ``--tls``.

Target (issue 17): under the same garbage, served side by side in this run, TLS
handles at least 0.3x the plain server's rate, with no client timing out (the
TLS handshake used to happen on the accept thread, so one slow client stalled
everyone: TLS was 22x slower than plain, and 733 of 10,050 requests timed out).
Each request is a new connection from one of 4 client threads, on 127.0.0.1.

    python bench/garbage.py [--requests N]
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

_LINES = ["POST / HTTP/1.1", "GET / HTTP/1.1", "BREW / HTTP/1.1", "POST  HTTP/1.1", "\x00\x01"]
_HEADERS = ["Content-Length: abc", "Transfer-Encoding: chunked", "Expect: 100-continue",
            "X-Hub-Signature: sha256=zz", "Content-Length: 5", "Host:"]  # fmt: skip


def garbage(rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return rng.randbytes(rng.randint(1, 200))
    lines = [rng.choice(_LINES), *rng.sample(_HEADERS, rng.randint(0, 3))]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + rng.randbytes(rng.randint(0, 50))


def send(port: int, tls: bool, data: bytes) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as raw:
            conn: socket.socket = raw
            if tls:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                conn = context.wrap_socket(raw, server_hostname="localhost")
            conn.sendall(data)
            socket.socket.shutdown(conn, socket.SHUT_WR)
            while conn.recv(65536):
                pass
        return "ok"
    except TimeoutError:
        return "timeout"
    except OSError:
        return "closed"  # refused or reset by the server: an answer too


def run(tls: bool, count: int) -> tuple[float, int]:
    args = [sys.executable, "-m", "harness.cli", "serve", "--port", "0", "--secret", "x" * 40]
    with subprocess.Popen(
        [*args, *(["--tls"] if tls else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        port = int(re.search(r":(\d+)/ ", proc.stdout.readline()).group(1))  # type: ignore[union-attr]
        rng = random.Random(7)
        bodies = [garbage(rng) for _ in range(count)]
        results: list[str] = []
        lock = threading.Lock()

        def client(part: list[bytes]) -> None:
            for data in part:
                outcome = send(port, tls, data)
                with lock:
                    results.append(outcome)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(bodies[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - started
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    return count / took, results.count("timeout")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    plain, plain_timeouts = run(False, args.requests)
    tls, tls_timeouts = run(True, args.requests)
    ratio = tls / plain
    print(f"serve:       {plain:8.0f} garbage requests/s, {plain_timeouts} timed out")
    print(f"serve --tls: {tls:8.0f} garbage requests/s, {tls_timeouts} timed out")
    print(f"TLS / plain: {ratio:8.2f}  (target >= 0.3, and no timeouts)")
    ok = ratio >= 0.3 and plain_timeouts == 0 and tls_timeouts == 0
    print("targets:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
