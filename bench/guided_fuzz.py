"""Benchmark: coverage-guided fuzzing against today's fuzz, on a crash behind five
nested conditions.

Targets (issue 27): ``fuzz --guided`` finds the crash of ``bench/nested_handler.py``
(intent ``order_pizza``, then ``size`` = ``family``, then Italian, then the
optional ``topping`` filled, then a Facebook chat) in every one of 10 seeds, and
its median count of calls to the first failure is at least 5x smaller than
today's fuzz (unguided Hypothesis) with the same seeds, the same model and the
same handler, measured side by side in this run.  A mode that does not find it
within its budget counts as the budget (so the ratio is a lower bound then).
Prints the table; exits 1 on a miss.

    python bench/guided_fuzz.py [--budget N] [--seeds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nested_handler

from harness import fuzz, load_target
from harness.model import BotModel


def first_failure(guided: bool, seed: int, budget: int) -> tuple[int | None, float]:
    """The valid-phase call that first failed (None: not within ``budget``), and the
    seconds the run took."""
    target = load_target(nested_handler.app, capture=True)
    calls = {"n": 0, "first": None}

    def counted(exchange: object, _: object) -> None:
        if getattr(exchange, "scenario", "") != "fuzz[contract]" or calls["first"]:
            return
        calls["n"] += 1
        if any(f.severity == "error" for f in exchange.findings):  # type: ignore[attr-defined]
            calls["first"] = calls["n"]

    started = time.perf_counter()
    fuzz(target, secret=nested_handler.SECRET, model=BotModel.from_dict(nested_handler.MODEL),
         examples=budget, seed=seed, database=None, guided=guided,
         on_exchange=counted)  # fmt: skip
    target.close()
    return calls["first"], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=3000, help="calls per run at most")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    rows = []
    print(f"{'seed':>4}  {'unguided':>10}  {'guided':>8}")
    for seed in range(args.seeds):
        unguided, u_time = first_failure(False, seed, args.budget)
        guided, g_time = first_failure(True, seed, args.budget)
        rows.append((unguided, guided))
        shown = [str(v) if v is not None else f">{args.budget}" for v in (unguided, guided)]
        print(f"{seed:>4}  {shown[0]:>10}  {shown[1]:>8}   ({u_time:.1f} s, {g_time:.1f} s)")
    unguided_median = statistics.median(u or args.budget for u, _ in rows)
    guided_median = statistics.median(g or args.budget for _, g in rows)
    ratio = unguided_median / guided_median
    every = all(g is not None for _, g in rows)
    found = sum(u is not None for u, _ in rows)
    bound = (f" (a lower bound: {args.seeds - found} seed(s) never found it)"
             if found < args.seeds else "")  # fmt: skip
    print(f"median calls to the first failure: unguided {unguided_median:g}{bound}, "
          f"guided {guided_median:g}: {ratio:.1f}x sooner")  # fmt: skip
    ok = every and ratio >= 5
    print("targets (guided finds it in every seed, >= 5x sooner in median):",
          "met" if ok else "MISSED")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
