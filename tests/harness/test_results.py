"""One Result protocol for every run: ``ok``, ``exit_code`` and ``render(format)``,
the same for a check, a fuzz run, conversations, a replay and a load run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bw_reports import check_json, check_junit, check_sarif

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
        data = check_json(name, result.render("json"))
        assert data["summary"]["ok"] is not failing, name
        if failing and name != "load":
            assert data["findings"], name  # structured, never prose only
        page = result.render("html")
        assert page.startswith("<!DOCTYPE html>")
        assert ("failed:" in page) is failing, name
        located = check_sarif(result.render("sarif"))
        assert bool(located) is (failing and name != "load"), name
        suite = check_junit(result.render("junit"))
        cases = suite.findall("testcase")
        assert cases, name
        failed = sum(1 for case in cases if case.find("failure") is not None)
        assert (failed > 0) is failing, name


def test_a_format_that_is_not_one_is_our_error(target: Any) -> None:
    report = run_check(target, secret=SECRET, probes=False)
    with pytest.raises(BotWebhookValueError, match=r"format='yaml'.*'sarif' or 'html'"):
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
    out = check_json("fuzz", capsys.readouterr().out)
    assert code == 1
    assert out["summary"]["ok"] is False
    assert out["results"]
    assert out["results"][0]["code"].startswith("BW")
    suite = check_junit(junit.read_text())
    assert suite.get("name") == "botwebhook.fuzz"
    assert int(suite.get("failures") or 0) >= 1


CRASHING = """import json


def app(environ, start_response):
    json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    raise RuntimeError("the handler broke")  # line 6
"""


def test_sarif_points_at_the_handlers_own_line_with_a_stable_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "handler.py").write_text(CRASHING)
    monkeypatch.chdir(tmp_path)
    target = load_target("handler.py:app")

    def results(seed: int) -> list[dict[str, Any]]:
        return check_sarif(run_check(target, secret=SECRET, seed=seed).render("sarif"))

    first = results(1)
    crashes = [r for r in first if r["ruleId"] == "BW401"]
    assert crashes
    where = crashes[0]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"] == {"uri": "handler.py", "uriBaseId": "%SRCROOT%"}
    assert where["region"]["startLine"] == 6
    assert crashes[0]["properties"]["reproduce"].startswith("curl ")
    assert crashes[0]["level"] == "error"

    def prints(found: list[dict[str, Any]]) -> set[str]:
        return {r["partialFingerprints"]["botwebhookFinding/v1"] for r in found}

    assert prints(first) == prints(results(2))  # other values, the same findings


def test_sarif_of_a_conversation_points_at_its_turn(tmp_path: Path) -> None:
    from harness.conversations import load_conversations

    def not_json(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"<html>not json</html>"]

    path = tmp_path / "test_colour.conversation.yaml"
    path.write_text("name: colour\nturns:\n  - user: my favourite colour is blue\n"
                    "    intent: colour\n")  # fmt: skip
    specs = load_conversations(path)
    run = ConversationRun([run_conversation(spec, load_target(not_json), secret=SECRET)
                           for spec in specs])  # fmt: skip
    found = check_sarif(run.render("sarif"))
    assert found
    artifact = found[0]["locations"][0]["physicalLocation"]
    assert artifact["region"]["startLine"] == 3  # the turn's line in the file
    assert artifact["artifactLocation"]["uri"].endswith("test_colour.conversation.yaml")


def test_check_writes_sarif_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    (tmp_path / "handler.py").write_text(CRASHING)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "handler.py:app", "--secret", SECRET, "--sarif", "out.sarif"]) == 1
    capsys.readouterr()
    assert any(r["ruleId"] == "BW401" for r in check_sarif((tmp_path / "out.sarif").read_text()))


def test_a_run_with_warnings_only_holds_in_every_format() -> None:
    """Warnings pass the run; every format shows them (JUnit as skipped cases, SARIF
    at level warning) and the JSON still validates."""
    from bw_handlers import LONG_TEXT
    from bw_handlers import SECRET as ITS_SECRET

    report = run_check(load_target(LONG_TEXT), secret=ITS_SECRET, probes=False)
    assert report.ok
    assert report.warnings
    data = check_json("check", report.render("json"))
    assert {f["severity"] for f in data["findings"]} == {"warning"}
    suite = check_junit(report.render("junit"))
    assert suite.get("failures") == "0"
    assert suite.findall("testcase/skipped[@type='warning']")
    assert check_junit(report.render("junit", strict=True)).get("failures") != "0"
    assert {r["level"] for r in check_sarif(report.render("sarif"))} == {"warning"}
    assert "passed:" in report.render("html")


def test_report_files_are_private_and_never_written_through_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(CRASHING)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    (tmp_path / "out.html").symlink_to(elsewhere)
    args = ["check", "handler.py:app", "--secret", SECRET, "--junit-xml", "out.xml",
            "--sarif", "out.sarif", "--html", "out.html"]  # fmt: skip
    assert main(args) == 1
    capsys.readouterr()
    for name in ("out.xml", "out.sarif", "out.html"):  # they quote chat text
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    assert not (tmp_path / "out.html").is_symlink()
    assert elsewhere.read_text() == "keep me"
