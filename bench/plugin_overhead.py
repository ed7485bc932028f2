"""Benchmark: what the installed plugin costs a project that never uses it.

Target (issue 6): ``pytest --collect-only`` on a project of 200 trivial tests
takes no more than 5% longer with the plugin than with ``-p no:botwebhook``.
Both are run alternately in fresh processes, in the same run; the script prints
the medians and the ratio, and exits 1 when the target is missed.

    python bench/plugin_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for module in range(10):
            tests = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(20))
            (project / f"test_module_{module}.py").write_text(tests)
        base = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        with_plugin, without = [], []
        timed(base, project)  # warm the file system and bytecode caches
        for _ in range(args.rounds):
            with_plugin.append(timed(base, project))
            without.append(timed([*base, "-p", "no:botwebhook"], project))
    on, off = statistics.median(with_plugin), statistics.median(without)
    ratio = on / off
    print(f"collect 200 tests, plugin installed: {on * 1000:8.1f} ms (median of {args.rounds})")
    print(f"collect 200 tests, -p no:botwebhook: {off * 1000:8.1f} ms")
    print(f"ratio:                               {ratio:8.3f}  (target <= 1.05)")
    ok = ratio <= 1.05
    print("target:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
