"""``fuzz_suite()`` tests are plain Hypothesis tests: HypoFuzz can collect and run
them, and a shared Redis example database carries a failure from one machine
to every other and to CI.

HypoFuzz is AGPL and never a dependency: the test below applies the rules its
collection states (a ``@given`` test, no fixture but autouse ones, the default
settings' database) and then runs the function outside pytest's run, as it
does.  The Redis test starts its own ``redis-server`` on 127.0.0.1 and a free
port, and skips, saying why, where there is none (``.ci/run`` installs Debian's).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bw_handlers import emoji_apps

SECRET = "fuzz-everywhere-secret"
ROOT = Path(__file__).resolve().parents[2]

APPS = emoji_apps(SECRET)

#: Collect as HypoFuzz does, then call each test outside pytest's run.
HYPOFUZZ_LIKE = """
import sys
import pytest
from hypothesis import settings


class Collect:
    def __init__(self):
        self.items, self.refused = [], {}

    def pytest_collection_finish(self, session):
        for item in session.items:
            manager = item._request._fixturemanager
            info = manager.getfixtureinfo(node=item, func=item.function, cls=None)
            autouse = set(manager._getautousenames(item))
            fixtures = set(info.initialnames) - autouse
            database = getattr(item.obj, "_hypothesis_internal_use_settings", settings()).database
            if fixtures:
                self.refused[item.name] = f"fixtures {sorted(fixtures)}"
            elif database != settings().database:
                self.refused[item.name] = "a database of its own"
            else:
                self.items.append(item)


collect = Collect()
code = pytest.main(["--collect-only", "-q", "-m", "hypothesis", "-p", "no:cacheprovider"],
                   plugins=[collect])
assert code == 0, code
print("collected:", sorted(i.name for i in collect.items))
print("refused:", collect.refused)
for item in collect.items:
    try:
        item.obj()  # outside pytest's run: no fixture is set up
        print(item.name, "passed")
    except BaseException as exc:
        for one in getattr(exc, "exceptions", [exc]):
            print(item.name, "failed:", type(one).__name__, str(one).splitlines()[0][:200])
"""


def _project(folder: Path, *, target: str, examples: int, conftest: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "apps.py").write_text(APPS)
    (folder / "pytest.ini").write_text(
        f"[pytest]\nbotwebhook_target = apps:{target}\nbotwebhook_secret = {SECRET}\n"
    )
    (folder / "conftest.py").write_text(conftest)
    (folder / "test_webhook_fuzz.py").write_text(
        "import pytest_botwebhook\n\n"
        f"test_fuzz = pytest_botwebhook.fuzz_suite(examples={examples})\n"
    )
    return folder


def _run(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}"}
    return subprocess.run([sys.executable, *argv], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def test_hypofuzz_collects_the_fuzz_suite_and_runs_it_outside_pytest(tmp_path: Path) -> None:
    good = _project(tmp_path / "good", target="good", examples=20)
    (good / "test_other.py").write_text(textwrap.dedent("""\
        from hypothesis import given, strategies as st


        @given(st.integers())
        def test_with_a_fixture(botwebhook, x):
            pass
        """))  # fmt: skip
    (good / "hypofuzz_like.py").write_text(HYPOFUZZ_LIKE)
    done = _run(good, "hypofuzz_like.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "collected: ['test_fuzz']" in done.stdout
    assert "test_with_a_fixture" in done.stdout.split("refused:", 1)[1]  # the rule is real
    assert "test_fuzz passed" in done.stdout
    # A handler that verifies first: only a valid payload can crash it, as BW401.
    crash = _project(tmp_path / "crash", target="verifies_then_crashes_on_emoji", examples=300)
    (crash / "hypofuzz_like.py").write_text(HYPOFUZZ_LIKE)
    done = _run(crash, "hypofuzz_like.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_fuzz failed: Failed_BW401_RuntimeError_apps_py_" in done.stdout
    # One that parses first crashes on valid payloads (BW401) and on what anyone can
    # send (BW402, BW301/302 through a crash): like any @given test, the suite reports
    # the failures it meets before it stops searching, soon after the first, so a
    # short run may hold either one (`botwebhook fuzz` runs the valid phase first).
    both = _project(tmp_path / "both", target="crashes_on_emoji", examples=300)
    (both / "hypofuzz_like.py").write_text(HYPOFUZZ_LIKE)
    done = _run(both, "hypofuzz_like.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"test_fuzz failed: Failed_BW[34]0[12]_RuntimeError_apps_py_", done.stdout)


def test_outside_pytest_a_fixture_only_target_is_one_clear_error(tmp_path: Path) -> None:
    folder = _project(tmp_path / "fixture_only", target="good", examples=5, conftest=(
        "import pytest\nfrom apps import good\n\n@pytest.fixture\n"
        "def botwebhook_target():\n    return good\n"
    ))  # fmt: skip
    (folder / "pytest.ini").write_text(f"[pytest]\nbotwebhook_secret = {SECRET}\n")
    (folder / "hypofuzz_like.py").write_text(HYPOFUZZ_LIKE)
    done = _run(folder, "hypofuzz_like.py")
    assert "test_fuzz failed: TargetError fuzz_suite() runs outside a pytest run" in done.stdout
    under_pytest = _run(folder, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert under_pytest.returncode == 0, under_pytest.stdout  # the fixture serves pytest


@pytest.fixture
def redis_port() -> Iterator[int]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on this machine (Debian's redis-server; .ci/run installs it)")
    redis = pytest.importorskip("redis", reason="the redis client: pip install 'hypothesis[redis]'")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("the local redis-server did not answer in 5 seconds")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _shared(port: int, *, generate: bool) -> str:
    """The conftest.py every machine and CI share: one Redis example database."""
    phases = "" if generate else ", phases=[Phase.explicit, Phase.reuse, Phase.shrink]"
    return textwrap.dedent(f"""\
        import redis
        from hypothesis import Phase, settings
        from hypothesis.extra.redis import RedisExampleDatabase

        shared = RedisExampleDatabase(redis.Redis(host="127.0.0.1", port={port}))
        settings.register_profile("shared", database=shared{phases})
        settings.load_profile("shared")
        """)


def test_a_failure_found_on_one_machine_replays_on_another_and_in_ci(
    tmp_path: Path, redis_port: int
) -> None:
    # Machine A fuzzes and finds the crash; its failing example goes to Redis.
    first = _project(tmp_path / "worker_a", target="crashes_on_emoji", examples=300,
                     conftest=_shared(redis_port, generate=True))  # fmt: skip
    found = _run(first, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert found.returncode == 1, found.stdout
    assert "RuntimeError: emoji" in found.stdout
    # Another checkout (another worker, or CI) generates nothing at all: only what the
    # shared database holds is tried.  It fails the same way, from the first example.
    for name in ("worker_b", "ci"):
        other = _project(tmp_path / name, target="crashes_on_emoji", examples=300,
                         conftest=_shared(redis_port, generate=False))  # fmt: skip
        replayed = _run(other, "-m", "pytest", "-q", "-p", "no:cacheprovider")
        assert replayed.returncode == 1, replayed.stdout
        assert "RuntimeError: emoji" in replayed.stdout
    # Without the shared database, that checkout has nothing to replay: it passes.
    alone = _project(tmp_path / "alone", target="crashes_on_emoji", examples=300,
                     conftest=_shared(redis_port, generate=False).replace(
                         "database=shared", "database=None"))  # fmt: skip
    assert _run(alone, "-m", "pytest", "-q", "-p", "no:cacheprovider").returncode == 0
