"""Benchmark: memory stays flat after warm-up, for a 10,000-call check and a
10,000-example fuzz of the reference handler, in-process.

Targets (issue 28): no per-call growth once warm: the resident set grows by at
most 8 MiB between call 1,000 and call 10,000 (under 1 KiB a call), for both
runs.  Each run is its own process; the resident set is read from
``/proc/self/statm`` as the calls go (at 1,000, 5,000 and 10,000), and the peak
from ``getrusage``.  Prints the figures, the target and met/missed; exits 1 on
a miss.

    python bench/memory.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

LIMIT_MIB = 8.0

RUN = textwrap.dedent(
    """
    import json, os, resource, sys
    from harness import PayloadFactory, fuzz, generate_secret, load_target, run_check
    from harness.checks import Scenario
    from harness.reference import make_app

    kind, calls = sys.argv[1], int(sys.argv[2])
    page = os.sysconf("SC_PAGE_SIZE")
    marks = {1000: None, calls // 2: None, calls: None}
    seen = {"n": 0}

    def rss_mib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * page / 2**20

    def counted(exchange, _):
        seen["n"] += 1
        if seen["n"] in marks and marks[seen["n"]] is None:
            marks[seen["n"]] = rss_mib()

    secret = generate_secret()
    target = load_target(make_app(secret=secret), capture=True)
    if kind == "check":
        factory = PayloadFactory(seed=1)
        scenarios = []
        while len(scenarios) < calls:
            payload = factory.build()
            scenarios.append(Scenario(f"contract[{len(scenarios)}]", payload.body,
                                      payload=payload))
        run_check(target, secret=secret, scenarios=scenarios, probes=False,
                  on_exchange=counted)
    else:
        fuzz(target, secret=secret, examples=calls, seed=1, database=None,
             on_exchange=counted)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"marks": {str(k): v for k, v in marks.items()}, "peak": peak}))
    """
)


def measure(kind: str, calls: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", RUN, kind, str(calls)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    ok = True
    for kind, what in (("check", "calls of a check"), ("fuzz", "examples of a fuzz run")):
        found = measure(kind, args.calls)
        marks = {int(k): v for k, v in found["marks"].items()}  # type: ignore[attr-defined]
        first, last = marks[1000], marks[args.calls]
        if first is None or last is None:
            print(f"{kind}: the run made fewer calls than {args.calls}: {marks}")
            ok = False
            continue
        growth = last - first
        per_call = growth * 2**20 / (args.calls - 1000)
        met = growth <= LIMIT_MIB
        ok = ok and met
        shown = ", ".join(f"{n:,}: {v:.1f} MiB" for n, v in sorted(marks.items()) if v)
        print(f"{args.calls:,} {what}: resident {shown}; peak {found['peak']:.1f} MiB")
        print(f"   growth after warm-up: {growth:.1f} MiB ({per_call:.0f} bytes a call), "
              f"target <= {LIMIT_MIB:g} MiB: {'met' if met else 'MISSED'}")  # fmt: skip
    print("targets:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
