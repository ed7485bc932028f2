"""Benchmark: ``check`` of a handler that is too slow on half of its calls.

Target (issue 11): a check of a handler that sleeps past the read timeout on
half of the scenarios finishes within about ceil(slow calls / workers) x timeout
plus a few seconds, in-process and over HTTP, for 1 and 4 workers.  (Before
issue 11 an in-process check waited for every slow call to end, and ran one
call at a time.)  Exits 1 when a target is missed.

    python bench/slow_check.py [--timeout S]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
from typing import Any

from harness import LiveWebhookServer, generate_secret, load_target, run_check
from harness.checks import build_matrix
from harness.reference import make_app

_SLACK = 3.0  # seconds: the fast half of the calls, start-up, the last abandoned calls


def slow(body: bytes) -> bool:
    return hashlib.sha256(body).digest()[0] % 2 == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    secret = generate_secret()
    reference = make_app(secret=secret)

    def half_slow(environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        if slow(body):
            time.sleep(args.timeout + 0.5)
        environ["wsgi.input"] = __import__("io").BytesIO(body)
        return reference(environ, start_response)

    scenarios = build_matrix(seed=0)
    count = sum(slow(s.body) for s in scenarios)
    print(f"{len(scenarios)} scenarios, about {count} slow ({args.timeout + 0.5:.1f} s each), "
          f"timeout {args.timeout:.1f} s")  # fmt: skip
    ok = True
    with LiveWebhookServer(handler=half_slow) as server:
        for where, spec in (("in-process", half_slow), ("http", server.url)):
            for workers in (1, 4):
                target = load_target(spec)
                started = time.perf_counter()
                report = run_check(
                    target, secret=secret, timeout=args.timeout, workers=workers,
                    keep_going=True, signed=True,
                )  # fmt: skip
                took = time.perf_counter() - started
                target.close()
                # The slow calls the run sent: its probes are built on the payloads the
                # handler accepted, so they are not the matrix's own bodies.
                count = sum(slow(e.sent.body) for e in report.exchanges)
                bound = math.ceil(count / workers) * args.timeout + _SLACK
                timeouts = sum(1 for f in report.findings if f.code == "BW105")
                met = took <= bound and timeouts == count
                ok &= met
                print(
                    f"{where:>10}, {workers} worker{'s' * (workers > 1)}: {took:6.1f} s "
                    f"(bound {bound:5.1f} s, ratio {took / bound:4.2f}), "
                    f"{timeouts} BW105 of {count} slow calls {'ok' if met else 'MISSED'}"
                )
    print("targets:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
