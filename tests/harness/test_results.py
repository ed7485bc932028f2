"""One Result protocol for every run: ``ok``, ``exit_code`` and ``render(format)``,
the same for a check, a fuzz run, conversations, a replay and a load run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bw_reports import check_json, check_junit, check_sarif
from bw_runs import every_run

from harness import load_target, run_check
from harness.checks import Result
from harness.conversations import ConversationRun, run_conversation
from harness.errors import BotWebhookValueError
from harness.reference import make_app

SECRET = "r" * 40


@pytest.fixture(scope="module")
def target() -> Any:
    return load_target(make_app(secret=SECRET))


@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_every_run_is_a_result_in_every_format(target: Any, failing: bool) -> None:
    for name, result in every_run(target, failing, SECRET).items():
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
