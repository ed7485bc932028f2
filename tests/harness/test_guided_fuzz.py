"""Coverage-guided fuzzing (``fuzz --guided``): it reaches a crash behind nested
conditions, keeps what failed for the next run, stays quiet on conforming
handlers written in other styles, and refuses what it cannot follow in one line.
(How much sooner than unguided fuzzing is ``bench/guided_fuzz.py``'s to say.)"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness import fuzz, load_target
from harness.errors import BotWebhookValueError, CodeCoverageError
from harness.model import BotModel
from harness.reference import make_app

ROOT = Path(__file__).resolve().parents[2]
NESTED = ROOT / "bench" / "nested_handler.py"
STYLES = ROOT / "tests" / "helpers" / "styles"
STYLE_SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"

pytestmark = pytest.mark.skipif(
    sys.gettrace() is not None, reason="guided fuzzing traces the handler: not under a tracer"
)


def _nested() -> tuple[object, str, BotModel]:
    sys.path.insert(0, str(NESTED.parent))
    try:
        import nested_handler
    finally:
        sys.path.remove(str(NESTED.parent))
    return (
        load_target(f"{NESTED}:app"),
        nested_handler.SECRET,
        BotModel.from_dict(nested_handler.MODEL),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_guided_reaches_the_crash_behind_five_nested_conditions(seed: int) -> None:
    target, secret, model = _nested()
    try:
        report = fuzz(target, secret=secret, model=model, examples=300, seed=seed,
                      database=None, guided=True)  # fmt: skip
    finally:
        target.close()  # type: ignore[attr-defined]
    assert [f.code for f in report.failures] == ["BW401"]
    assert report.guided_first_failure is not None
    received = report.failures[0].exchange.received
    assert received is not None
    assert "the Facebook menu has no family pizzas" in (received.exception or "")
    # The failure is made simpler decision by decision: what it needs, and no more.
    body = json.loads(report.failures[0].exchange.sent.body)
    values = {v["label"]: v["value"] for v in body["memoryVariables"]}
    assert (body["intentName"], values["size"], body["language"]) == ("order_pizza", "family", "IT")
    assert values["topping"]
    assert "clientVariables" not in body
    assert "config" not in body
    assert any(n.startswith("guided by the handler's code: ") for n in report.notes)


def test_the_same_seed_takes_the_same_path() -> None:
    firsts = []
    for _ in range(2):
        target, secret, model = _nested()
        try:
            report = fuzz(target, secret=secret, model=model, examples=200, seed=7,
                          database=None, guided=True)  # fmt: skip
        finally:
            target.close()  # type: ignore[attr-defined]
        firsts.append(report.guided_first_failure)
    assert firsts[0] is not None
    assert firsts[0] == firsts[1]


def test_a_failure_is_kept_private_and_tried_first_next_time(tmp_path: Path) -> None:
    database = tmp_path / "examples"
    reports = []
    for seed in (4, 5):
        target, secret, model = _nested()
        try:
            reports.append(fuzz(target, secret=secret, model=model, examples=200, seed=seed,
                                database=database, guided=True))  # fmt: skip
        finally:
            target.close()  # type: ignore[attr-defined]
    assert reports[0].failures
    assert reports[1].guided_first_failure == 1  # the kept body, sent first
    kept = list((database / "guided").rglob("*.body"))
    assert len(kept) == 1
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert any("kept, tried first next time" in note for note in reports[1].notes)


def test_an_example_database_keeps_the_failures_of_both_modes() -> None:
    from hypothesis.database import InMemoryExampleDatabase

    shared = InMemoryExampleDatabase()  # as a shared Redis database would
    reports = []
    for guided in (True, True, False, False):
        target, secret, model = _nested()
        try:
            reports.append(fuzz(target, secret=secret, model=model, examples=300, seed=11,
                                database=shared, guided=guided))  # fmt: skip
        finally:
            target.close()  # type: ignore[attr-defined]
    assert reports[0].failures
    assert reports[1].guided_first_failure == 1  # the kept body, from the database
    assert any(key.startswith(b"botwebhook-guided:") for key in shared.data)
    # Unguided, Hypothesis's own keys: a failure found once is replayed first.
    if reports[2].failures:
        assert reports[3].failures


@pytest.mark.parametrize(
    "spec",
    [f"{STYLES / 'flask_typical.py'}:app", f"{STYLES / 'wsgi_typical.py'}:application", None],
    ids=["flask", "wsgi", "reference"],
)
def test_guided_stays_quiet_on_conforming_handlers(spec: str | None) -> None:
    secret = STYLE_SECRET
    target = load_target(spec if spec else make_app(secret=secret))
    try:
        report = fuzz(target, secret=secret, examples=120, seed=3, database=None, guided=True)
    finally:
        target.close()
    assert report.ok, report.render()
    note = next(n for n in report.notes if n.startswith("guided by the handler's code: "))
    arcs = int(note.split(": ", 1)[1].split(" ", 1)[0])
    assert arcs >= 5  # the handler ran, traced


def test_guided_refuses_what_it_cannot_follow() -> None:
    with pytest.raises(CodeCoverageError, match="not an in-process app"):
        fuzz(load_target("http://127.0.0.1:9/hook"), examples=5, database=None, guided=True)
    app = make_app(secret=STYLE_SECRET, passthrough=True)
    with pytest.raises(BotWebhookValueError, match="passthrough"):
        fuzz(load_target(app), examples=5, database=None, guided=True, passthrough=True)
    threading.settrace(lambda *args: None)  # another tracer, as a debugger would set
    try:
        with pytest.raises(CodeCoverageError, match="another tracer is running"):
            fuzz(load_target(make_app(secret=STYLE_SECRET)), secret=STYLE_SECRET, examples=5,
                 database=None, guided=True)  # fmt: skip
    finally:
        threading.settrace(None)  # type: ignore[arg-type]


def test_the_cli_runs_guided_and_refuses_two_tracers(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "harness.cli", "fuzz", "--examples", "40", "--seed", "1",
           "--no-database", "--save-dir", str(tmp_path)]  # fmt: skip
    done = subprocess.run([*run, "--guided"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note: guided by the handler's code: " in done.stdout
    assert "reference.py reached" in done.stdout
    both = subprocess.run([*run, "--guided", "--code-coverage"], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert both.returncode == 2
    assert both.stderr.count("\n") == 1
    assert "--guided and --code-coverage both trace the handler" in both.stderr
