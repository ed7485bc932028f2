"""Benchmark: requests/s of ``BotWebhookUser`` beside a plain Locust ``FastHttpUser``.

Target (issue 14): ``harness.locust.BotWebhookUser`` (a realistic, signed,
platform-exact payload of a check-matrix variant per call, the answer judged as
the platform judges it) reaches at least 0.7x the requests/s of a plain
``FastHttpUser`` posting one fixed body, against the reference handler
(``botwebhook serve`` in its own process), measured side by side in this run:
generating realistic signed payloads must not be the bottleneck.  Needs the
``load`` extra.  Exits 1 when the target is missed.

    python bench/load.py [--users U] [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from typing import Any

import gevent
from locust import FastHttpUser, task
from locust.env import Environment
from locust.log import setup_logging

from harness import build_payload, generate_secret, sign
from harness.locust import BotWebhookUser
from harness.platform import platform_headers

SECRET = generate_secret()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rate(user: type[Any], users: int, seconds: float) -> tuple[float, int, float]:
    """Requests per second, failures, and the load generator's CPU microseconds per
    request, of ``users`` of ``user`` for ``seconds``."""
    env = Environment(user_classes=[user])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users * 10)
    gevent.sleep(0.5)  # spawned and warm
    env.stats.reset_all()
    started, cpu = time.perf_counter(), time.process_time()
    gevent.sleep(seconds)
    count = env.stats.total.num_requests
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    failures = env.stats.total.num_failures
    runner.quit()
    return count / elapsed, failures, used / max(count, 1) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_logging("ERROR")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "serve", "--port", str(port)],
        env={**os.environ, "BOTWEBHOOK_SECRET": SECRET},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        body = build_payload(intent="colour", shape="A").body
        headers = platform_headers(body, sign(body, SECRET))
        headers["Accept-Encoding"] = "identity"

        class Plain(FastHttpUser):
            host = url

            @task
            def call(self) -> None:
                self.client.post(url, data=body, headers=headers)  # type: ignore[arg-type]

        class Ours(BotWebhookUser):
            host = url
            secret = SECRET
            sign = True

        ours_rates, plain_rates, ours_cpu, plain_cpu = [], [], [], []
        for _ in range(args.rounds):  # interleaved, so drift hits both alike
            plain_rate, plain_failed, plain_us = rate(Plain, args.users, args.seconds)
            ours_rate, ours_failed, ours_us = rate(Ours, args.users, args.seconds)
            if plain_failed or ours_failed:
                raise SystemExit(f"calls failed: plain {plain_failed}, ours {ours_failed}")
            plain_rates.append(plain_rate)
            ours_rates.append(ours_rate)
            plain_cpu.append(plain_us)
            ours_cpu.append(ours_us)
    finally:
        server.terminate()
        server.wait(10)
    plain_best, ours_best = max(plain_rates), max(ours_rates)
    ratio = ours_best / plain_best
    print(f"plain FastHttpUser, one fixed body:  {plain_best:8.0f} requests/s, "
          f"{min(plain_cpu):5.0f} us of load-generator CPU per request")  # fmt: skip
    print(f"BotWebhookUser, realistic and judged: {ours_best:8.0f} requests/s, "
          f"{min(ours_cpu):5.0f} us of load-generator CPU per request")  # fmt: skip
    print(f"ratio {ratio:.2f}x (target: at least 0.70x), {args.users} users, "
          f"best of {args.rounds} rounds of {args.seconds:g} s")  # fmt: skip
    cpu_ratio = min(plain_cpu) / min(ours_cpu)
    print(f"with the load generator as the bottleneck (CPU per request): {cpu_ratio:.2f}x")
    return 0 if ratio >= 0.7 else 1


if __name__ == "__main__":
    sys.exit(main())
