"""Benchmark: one in-process call, bounded by the read timeout, against a bare
werkzeug ``Client.post`` of the same signed bytes to the same app.

Targets (issue 28), measured side by side in this run, best of the rounds:

- ``deliver()`` + read + outcome + checks, as a check makes it (on a run's worker,
  bounded by its deadline), costs at most 1.15x the bare ``Client.post``;
- the deadline itself costs at most 15 us a call there: a run's worker calls the
  app inline on a lane and the supervisor watches, so no call is handed to another
  thread;
- a cold ``botwebhook check`` of the reference handler takes under 3 seconds.

A call made outside a run (a test's own ``deliver()``, a fuzz example, a chat
turn) is handed to a kept thread that the caller waits for with a deadline; that
handoff is printed beside the rest, with the same call made through it.

    python bench/delivery.py [--rounds R]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

from werkzeug.test import Client

from harness import PayloadFactory, deliver, generate_secret, load_target, sign
from harness.checks._runner import run_in_order
from harness.delivery._deadline import Caller, Lane, use_lane
from harness.platform import platform_headers
from harness.reference import make_app

DEADLINE_TARGET_US = 15.0
RATIO_TARGET = 1.15


def per_call(
    runs: dict[str, Callable[[], None]], count: dict[str, int], rounds: int
) -> dict[str, float]:
    """Seconds per call of each run, the best of ``rounds``, the runs interleaved."""
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], (time.perf_counter() - started) / count[name])
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    secret = generate_secret()
    app = make_app(secret=secret)
    factory = PayloadFactory(seed=3)
    bodies = [factory.build(shape="A").body for _ in range(300)]
    client = Client(app, use_cookies=False)
    target = load_target(app)
    # The bare call gets its signed headers precomputed: only the POST is timed.
    prepared = [(body, platform_headers(body, sign(body, secret))) for body in bodies]

    def bare() -> None:
        for body, headers in prepared:
            client.post("/", base_url="https://localhost/", data=body, headers=headers).get_data()

    def on_a_worker() -> None:  # as `botwebhook check` makes its calls
        run_in_order(
            bodies,
            lambda body: deliver(target, body, secret=secret),
            workers=1,
            keys=["call"] * len(bodies),
            failed=lambda exchange: exchange.delivery.failure,
        )

    def alone() -> None:  # a test's own call: handed to a kept thread
        for body in bodies:
            deliver(target, body, secret=secret)

    caller = Caller(capture=False)
    noops = 20_000

    def noop() -> None:
        return None

    def direct() -> None:
        for _ in range(noops):
            noop()

    def deadline_on_a_lane() -> None:
        for _ in range(noops):
            use_lane(Lane())  # a new lane per item, as a run's worker takes one
            caller.run(noop, 10.0)
        use_lane(None)

    def deadline_handed_off() -> None:
        for _ in range(noops // 20):
            caller.run(noop, 10.0)

    runs = {
        "bare": bare,
        "worker": on_a_worker,
        "alone": alone,
        "direct": direct,
        "lane": deadline_on_a_lane,
        "handoff": deadline_handed_off,
    }
    count = {"bare": 300, "worker": 300, "alone": 300, "direct": noops, "lane": noops}
    count["handoff"] = noops // 20
    for run in runs.values():  # warm up
        run()
    best = per_call(runs, count, args.rounds)
    us = {name: seconds * 1e6 for name, seconds in best.items()}
    ratio = us["worker"] / us["bare"]
    deadline = us["lane"] - us["direct"]
    handoff = us["handoff"] - us["direct"]
    print(f"bare Client.post of the signed bytes:        {us['bare']:8.1f} us per call")
    print("deliver() + read + outcome + checks, bounded, as a check calls it:")
    print(f"   on a run's worker (the deadline on a lane): {us['worker']:8.1f} us  "
          f"{ratio:.2f}x bare (target <= {RATIO_TARGET}x)")  # fmt: skip
    print(f"   alone, handed to a kept thread:             {us['alone']:8.1f} us  "
          f"{us['alone'] / us['bare']:.2f}x bare")  # fmt: skip
    print("the deadline's own cost, per call:")
    print(f"   on a lane:                                  {deadline:8.1f} us  "
          f"(target <= {DEADLINE_TARGET_US:g} us)")  # fmt: skip
    print(f"   handed off (calls outside a run):           {handoff:8.1f} us")

    # A cold run in a fresh process: interpreter start-up, imports, Faker locales and all.
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "check"], capture_output=True, text=True
    )
    check_time = time.perf_counter() - started
    code = result.returncode
    print(f"botwebhook check, cold process:              {check_time:8.2f} s  "
          f"(target < 3 s), exit {code}")  # fmt: skip
    checks = {
        "ratio": ratio <= RATIO_TARGET,
        "deadline": deadline <= DEADLINE_TARGET_US,
        "cold check": check_time < 3.0 and code == 0,
    }
    for name, met in checks.items():
        print(f"{name}: {'met' if met else 'MISSED'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
