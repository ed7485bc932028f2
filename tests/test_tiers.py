"""The quick loop, ``pytest -m "not slow"``: what ``tests/conftest.py`` marks slow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collected(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_quick_loop_leaves_out_the_slow_tests() -> None:
    files = ["tests/harness/test_load.py", "tests/harness/test_cli.py",
             "tests/plugin/test_plugin.py", "tests/harness/test_cli_check.py"]  # fmt: skip
    quick = collected("-m", "not slow", *files)
    everything = collected(*files)
    assert not [t for t in quick if "test_load.py" in t]  # a slow module
    assert [t for t in quick if "test_cli.py" in t]  # in-process CLI calls stay
    assert "tests/plugin/test_plugin.py::test_xdist" not in quick  # a pytester run
    # a test that starts a process, found in its own source
    assert "tests/harness/test_cli_check.py::test_console_script_check_exit_codes" not in quick
    assert "tests/harness/test_cli_check.py::test_fuzz_command" not in quick  # marked by hand
    assert set(quick) < set(everything)
