"""Benchmark: garbage requests per second at ``botwebhook serve``, plain and ``--tls``.

Target (issue 28): under the same garbage, served side by side, TLS handles at
least 0.5x the plain server's rate in each of 3 rounds, with no client timing
out.  Each request is a new connection from one of 4 client threads, on
127.0.0.1, each client keeping one TLS context (as HTTP client libraries do).

What bounds it (measured on the 2-core machines, OpenSSL 3.0): the server's side
of one handshake costs about 420-750 us of CPU (``--handshake`` prints it, made
over a socket pair), about a whole plain garbage request (about 450 us of the
server's CPU), and the clients' handshakes run on the same two cores: each round
prints the CPU per request of the server and of the clients, plain and TLS, and
the best ratio the clients' own cost leaves (the TLS server costing no more than
the plain one).

    python bench/garbage.py [--requests N] [--rounds R] [--handshake]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

TARGET = 0.5
_LINES = ["POST / HTTP/1.1", "GET / HTTP/1.1", "BREW / HTTP/1.1", "POST  HTTP/1.1", "\x00\x01"]
_HEADERS = ["Content-Length: abc", "Transfer-Encoding: chunked", "Expect: 100-continue",
            "X-Hub-Signature: sha256=zz", "Content-Length: 5", "Host:"]  # fmt: skip


def garbage(rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return rng.randbytes(rng.randint(1, 200))
    lines = [rng.choice(_LINES), *rng.sample(_HEADERS, rng.randint(0, 3))]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + rng.randbytes(rng.randint(0, 50))


def client_context() -> ssl.SSLContext:
    """A client's TLS context, made once and used for each of its connections (as an
    HTTP client library keeps one); sessions are never resumed, as junk never is."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def send(port: int, context: ssl.SSLContext | None, data: bytes) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as raw:
            conn: socket.socket = raw
            if context is not None:
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


def _cpu(pid: int) -> float:
    """CPU seconds process ``pid`` has used (user and system)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(tls: bool, count: int) -> tuple[float, int, float, float]:
    """Requests a second, clients timed out, and the CPU seconds a request of the
    server and of the clients."""
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
            context = client_context() if tls else None
            for data in part:
                outcome = send(port, context, data)
                with lock:
                    results.append(outcome)

        server_cpu, client_cpu = _cpu(proc.pid), time.process_time()
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(bodies[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - started
        server_cpu = (_cpu(proc.pid) - server_cpu) / count
        client_cpu = (time.process_time() - client_cpu) / count
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    return count / took, results.count("timeout"), server_cpu, client_cpu


def handshake_cpu(rounds: int = 300) -> float:
    """Median CPU seconds of the server's side of one TLS handshake, in-process."""
    import tempfile
    from pathlib import Path

    from harness.delivery._tls import make_certificate

    made = make_certificate(Path(tempfile.mkdtemp()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(made.cert, made.key)
    client = client_context()
    spent = []
    for _ in range(rounds):
        near, far = socket.socketpair()

        def serve(sock: socket.socket) -> None:
            started = time.thread_time()
            server.wrap_socket(sock, server_side=True).close()
            spent.append(time.thread_time() - started)

        thread = threading.Thread(target=serve, args=(near,))
        thread.start()
        client.wrap_socket(far, server_hostname="localhost").close()
        thread.join()
    return sorted(spent)[len(spent) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--handshake", action="store_true")
    args = parser.parse_args()
    if args.handshake:
        print(f"the server's side of one TLS handshake: {handshake_cpu() * 1e6:6.0f} us of CPU")
    ok = True
    for number in range(1, args.rounds + 1):
        plain, plain_timeouts, plain_server, plain_client = run(False, args.requests)
        tls, tls_timeouts, tls_server, tls_client = run(True, args.requests)
        ratio = tls / plain
        best = (plain_server + plain_client) / (plain_server + tls_client)
        met = ratio >= TARGET and plain_timeouts == 0 and tls_timeouts == 0
        ok = ok and met
        print(f"round {number}: serve {plain:6.0f}/s ({plain_timeouts} timed out), "
              f"--tls {tls:6.0f}/s ({tls_timeouts} timed out): TLS/plain {ratio:.2f} "
              f"(target >= {TARGET}, no timeouts): {'met' if met else 'MISSED'}")  # fmt: skip
        print(f"   CPU a request: server {plain_server * 1e6:4.0f} us plain, "
              f"{tls_server * 1e6:4.0f} us TLS; clients {plain_client * 1e6:4.0f} us plain, "
              f"{tls_client * 1e6:4.0f} us TLS; the clients' TLS alone leaves at best "
              f"{best:.2f}")  # fmt: skip
    print("targets:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
