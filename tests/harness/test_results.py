"""One Result protocol for every run: ``ok``, ``exit_code`` and ``render(format)``,
the same for a check, a fuzz run, conversations, a replay and a load run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from harness import build_payload, deliver, fuzz, load_target, run_check
from harness.checks import Result
from harness.conversations import ConversationRun, ConversationSpec, TurnSpec, run_conversation
from harness.errors import BotWebhookValueError
from harness.model import builtin_model
from harness.reference import make_app
from harness.replay import CassetteEntry, ReplayRun, replay_entry

SECRET = "r" * 40


@pytest.fixture(scope="module")
def target() -> Any:
    return load_target(make_app(secret=SECRET))


def _broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"boom"]


def _load_result(thresholds: list[str]) -> Result:
    import importlib

    LoadResult = importlib.import_module("harness.load._report").LoadResult  # no Locust needed
    step = {"users": 5, "requests": 100, "rps": 20.0, "ok_rps": 20.0, "p50": 12.0,
            "p95": 30.0, "p99": 40.0, "fallback_share": 0.0, "within_budget": True}  # fmt: skip
    data = {"url": "http://127.0.0.1:1/", "secret": "none", "seed": 0, "interrupted": False,
            "requests": 100, "elapsed": 5.0, "rps": 20.0, "ok_rps": 20.0, "p50": 12.0,
            "p95": 30.0, "p99": 40.0, "max": 50.0, "by_code": {}, "fallbacks": 0,
            "fallback_share": 0.0, "steps": [step]}  # fmt: skip
    result: Result = LoadResult(data, 10.0, thresholds)
    return result


def _runs(target: Any, failing: bool) -> dict[str, Result]:
    app = load_target(_broken) if failing else target
    report = run_check(app, secret=SECRET, probes=False)
    fuzzed = fuzz(app, secret=SECRET, examples=5, seed=1, database=None, save_dir=None)
    spec = ConversationSpec(
        name="colour",
        path="test.conversation.yaml",
        index=0,
        line=1,
        model=builtin_model(),
        language=None,
        channel="api",
        client_variables={},
        turns=(TurnSpec("my favourite colour is red"),),
    )
    chat = ConversationRun([run_conversation(spec, app, secret=SECRET)], {"target": "app"})
    sent = build_payload(intent="colour", seed=1)
    got = deliver(target, sent, secret=SECRET).received
    assert got is not None
    entry = CassetteEntry("POST", "https://bot.example/hook", [], sent.body, got.status,
                          list(got.headers.items()), got.body)  # fmt: skip
    replayed = ReplayRun([replay_entry(entry, app, name="x[0]", secret=SECRET, twice=False)])
    load = _load_result(["p99 12 s is over --max-p99 1 s"] if failing else [])
    return {"check": report, "fuzz": fuzzed, "converse": chat, "replay": replayed, "load": load}


@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_every_run_is_a_result_in_every_format(target: Any, failing: bool) -> None:
    for name, result in _runs(target, failing).items():
        assert isinstance(result, Result), name
        assert result.ok is not failing, name
        assert (result.exit_code() != 0) is failing, name
        assert isinstance(result.render(), str)
        assert result.render("text") == result.render()
        json.loads(result.render("json"))
        suite = ET.fromstring(result.render("junit").split("?>", 1)[1])
        cases = suite.findall("testcase")
        assert suite.tag == "testsuite", name
        assert cases, name
        assert suite.get("tests") == str(len(cases)), name
        failed = sum(1 for case in cases if case.find("failure") is not None)
        assert suite.get("failures") == str(failed), name
        assert (failed > 0) is failing, name


def test_a_format_that_is_not_one_is_our_error(target: Any) -> None:
    report = run_check(target, secret=SECRET, probes=False)
    with pytest.raises(BotWebhookValueError, match=r"format='yaml'.*'text', 'json' or 'junit'"):
        report.render("yaml")  # type: ignore[arg-type]


def test_fuzz_writes_json_and_junit_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from harness.cli import main

    app = tmp_path / "bad_app.py"
    app.write_text(
        "def app(environ, start_response):\n"
        "    start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])\n"
        "    return [b'boom']\n"
    )
    junit = tmp_path / "fuzz.xml"
    (tmp_path / "saved").mkdir()
    code = main(["fuzz", f"{app}:app", "--secret", SECRET, "--examples", "5", "--seed", "1",
                 "--no-database", "--save-dir", str(tmp_path / "saved"), "--json",
                 "--junit-xml", str(junit)])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["ok"] is False
    assert out["failures"]
    assert out["failures"][0]["code"].startswith("BW")
    suite = ET.fromstring(junit.read_text().split("?>", 1)[1])
    assert suite.get("name") == "botwebhook.fuzz"
    assert int(suite.get("failures") or 0) >= 1
