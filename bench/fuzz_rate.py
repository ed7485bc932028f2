"""Benchmark: fuzzing rate against the reference handler, ours beside Schemathesis.

Targets: ``botwebhook fuzz`` in-process reaches at least 2,000 examples per
second (issue 28; issue 7 asked 500; an example is a call to the handler, and a
Hypothesis example of ours sends a batch of them), and at least 10x the rate of
Schemathesis (one call a Hypothesis example)
fuzzing the same handler
through an OpenAPI description of the same request body (the project's request
JSON Schema) with only its not-a-server-error check.  Both run in this one
invocation; Schemathesis is installed only in a separate benchmark virtual
environment (``$BOTWEBHOOK_BENCH_VENV``, default ``/tmp/botwebhook-bench-venv``),
never in the project's.  Prints both rates (the best of 3 rounds each, taken in
turn) and the ratio; exits 1 on a miss.

Beside them it prints two floors, measured in the same run: Hypothesis running
an empty test that draws one integer, and one that draws our valid payloads
(``harness.strategies.payloads()``) and sends nothing, in examples a second.  A
fuzz run's example sends a batch of 16 calls, so it makes more calls a second
than the floors have examples.

    python bench/fuzz_rate.py [--examples N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("BOTWEBHOOK_BENCH_VENV", "/tmp/botwebhook-bench-venv"))

SCHEMATHESIS_RUN = textwrap.dedent(
    """
    import json, sys, time
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from harness.protocol import load_schema
    from harness.reference import make_app

    examples = int(sys.argv[1])
    body = load_schema("request")
    defs = body.pop("$defs")
    for key in ("$schema", "$id", "if", "then", "else"):
        body.pop(key, None)
    text = json.dumps({"body": body, "defs": defs}).replace("#/$defs/", "#/components/schemas/")
    moved = json.loads(text)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "webhook", "version": "1"},
        "paths": {"/": {"post": {
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": moved["body"]}}},
            "responses": {"200": {"description": "ok"}},
        }}},
        "components": {"schemas": moved["defs"]},
    }
    app = make_app(secret=None, require_signature=False)
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    operation = schema["/"]["POST"]
    count = [0]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def run(case):
        count[0] += 1
        case.call_and_validate(app=app, checks=[not_a_server_error])

    started = time.perf_counter()
    run()
    print(json.dumps({"examples": count[0], "seconds": time.perf_counter() - started}))
    """
)


def bench_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating the benchmark environment {VENV} (schemathesis) ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "schemathesis", "-e", str(ROOT)],
            check=True,
        )
    return python


def ours(examples: int, seed: int = 1) -> tuple[int, float]:
    from harness import fuzz, generate_secret, load_target
    from harness.reference import make_app

    secret = generate_secret()
    target = load_target(make_app(secret=secret))
    fuzz(target, secret=secret, examples=50, seed=0, database=None)  # warm up Faker locales
    report = fuzz(target, secret=secret, examples=examples, seed=seed + 1, database=None)
    assert report.ok, report.render()
    return report.examples, report.elapsed


def schemathesis(examples: int) -> tuple[int, float]:
    python = bench_venv()
    out = (
        subprocess.run(
            [str(python), "-c", SCHEMATHESIS_RUN, str(examples)],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    data = json.loads(out)
    return int(data["examples"]), float(data["seconds"])


def floors(examples: int) -> tuple[float, float]:
    """Examples per second of Hypothesis alone: an empty test drawing one integer, and
    one drawing our valid payloads without sending them."""
    import time

    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import strategies as st

    from harness.strategies import payloads

    rates = []
    for strategy in (st.integers(0, 2**32), payloads()):
        options = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            verbosity=Verbosity.quiet,
            suppress_health_check=list(HealthCheck),
        )

        @options
        @given(strategy)
        def empty(value: object) -> None:
            pass

        started = time.perf_counter()
        empty()
        rates.append(examples / (time.perf_counter() - started))
    return rates[0], rates[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    empty, drawn = floors(args.examples)
    # Best of the rounds, each side's rounds taken in turn with the other's.
    rate_ours = rate_st = 0.0
    for seed in range(args.rounds):
        n_ours, t_ours = ours(args.examples, seed)
        n_st, t_st = schemathesis(max(100, args.examples // 10))
        rate_ours, rate_st = max(rate_ours, n_ours / t_ours), max(rate_st, n_st / t_st)
    ratio = rate_ours / rate_st
    print(f"botwebhook fuzz (4 properties, signed, in-process): {rate_ours:8.0f} examples/s")
    print(f"schemathesis (not_a_server_error, in-process):       {rate_st:8.0f} examples/s")
    print(f"ratio:                                               {ratio:8.1f}x (target >= 10x)")
    print(f"floor: Hypothesis, an empty test of one integer:    {empty:8.0f} examples/s")
    print(f"floor: Hypothesis drawing our payloads, no call:    {drawn:8.0f} examples/s")
    ok = rate_ours >= 2000 and ratio >= 10
    print("targets (>= 2,000/s, >= 10x):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
