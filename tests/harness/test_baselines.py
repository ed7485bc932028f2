"""Baselines: accept today's findings, and a run fails only on new ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bw_reports import check_json

from harness.checks import Baseline
from harness.cli import main

SECRET = "b" * 40

#: Parses before it verifies, and never verifies: every malformed body crashes it (BW402,
#: line 6), and forged or unsigned calls are taken (BW301, BW302: the module is the place).
OLD = """import json


def app(environ, start_response):
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(size))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"text": "ok"}).encode()]
"""
#: The same, and now a later turn (shape B) crashes it too (BW401, line 7).
NEW = OLD.replace(
    '    start_response("200 OK"',
    '    assert not (isinstance(body, dict) and "chatId" in str(body.get("chatResult"))), "B"\n'
    '    start_response("200 OK"',
)


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "handler.py:app", "--secret", SECRET, "--json", *args])
    return code, check_json("check", capsys.readouterr().out)


def test_a_run_fails_only_on_findings_the_baseline_does_not_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(OLD)
    code, before = _check(capsys)
    assert code == 1
    assert {f["code"] for f in before["findings"]} == {"BW301", "BW302", "BW402"}

    code, _ = _check(capsys, "--baseline", "baseline.json", "--update-baseline")
    assert code == 0  # everything of today is accepted
    saved = json.loads((tmp_path / "baseline.json").read_text())
    assert saved["format"] == 1
    where = {e["code"]: e["where"] for e in saved["accepted"]}
    assert where == {"BW301": "handler.py:1", "BW302": "handler.py:1", "BW402": "handler.py:6"}

    code, again = _check(capsys, "--baseline", "baseline.json", "--seed", "7")
    assert code == 0  # other generated values, the same accepted findings
    assert again["findings"] == []
    assert any("accepted in the baseline baseline.json" in n for n in again["notes"])

    (tmp_path / "handler.py").write_text(NEW)  # plant a new defect
    code, after = _check(capsys, "--baseline", "baseline.json")
    assert code == 1
    assert {(f["code"], f["line"]) for f in after["findings"]} == {("BW401", 7)}


def test_a_bad_baseline_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(OLD)
    (tmp_path / "other.json").write_text('{"tool": "something else"}')
    for args, message in (
        (["--baseline", "missing.json"], "no such file (hint: write it first"),
        (["--baseline", "other.json"], "not a botwebhook baseline file"),
        (["--update-baseline"], "--update-baseline writes the file --baseline names"),
    ):
        assert main(["check", "handler.py:app", *args]) == 2
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1


def test_fuzz_takes_the_same_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(OLD)
    fuzz = ["fuzz", "handler.py:app", "--secret", SECRET, "--examples", "20", "--seed", "1",
            "--no-database", "--baseline", "b.json"]  # fmt: skip
    assert main([*fuzz, "--update-baseline"]) == 0
    capsys.readouterr()
    assert main([*fuzz, "--json"]) == 0
    data = check_json("fuzz", capsys.readouterr().out)
    assert data["results"] == []
    assert Baseline.read("b.json").accepted


def test_the_pytest_suite_reads_the_baseline_from_its_ini(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(pytester.path)
    (pytester.path / "handler.py").write_text(OLD)
    assert main(["check", "handler.py:app", "--secret", SECRET, "--baseline", "baseline.json",
                 "--update-baseline"]) == 0  # fmt: skip
    capsys.readouterr()
    pytester.makeini(
        "[pytest]\nbotwebhook_target = handler.py:app\n"
        f"botwebhook_secret = {SECRET}\nbotwebhook_baseline = baseline.json\n"
    )
    pytester.makepyfile(test_contract="import pytest_botwebhook\n"
                        "test_contract = pytest_botwebhook.contract_suite()\n")  # fmt: skip
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["botwebhook: * finding(s) accepted in the baseline *"])
    (pytester.path / "handler.py").write_text(NEW)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert result.ret == 1
    assert "BW401" in result.stdout.str()
    assert "BW402" not in result.stdout.str()


def test_github_actions_gets_one_annotation_per_distinct_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (tmp_path / "handler.py").write_text(OLD)
    assert main(["check", "handler.py:app", "--secret", SECRET]) == 1
    out = capsys.readouterr().out
    commands = [line for line in out.splitlines() if line.startswith("::")]
    crash = [c for c in commands if "title=BW402" in c]
    assert len(crash) == 1  # many malformed bodies, one crash site: one annotation
    assert crash[0].startswith("::error file=handler.py,line=6,title=BW402 server error")
    assert "%0Ahint%3A" not in crash[0]
    assert "%0Ahint: " in crash[0]
    assert len(commands) == len(set(commands))
    code, data = _check(capsys)  # with --json, stdout stays JSON and they go to stderr
    assert code == 1
    assert data["findings"]
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert main(["check", "handler.py:app", "--secret", SECRET]) == 1
    assert "::error" not in capsys.readouterr().out


def test_converse_fails_no_turn_on_an_accepted_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(
        "import json\n\n\ndef app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [json.dumps(['not', 'an', 'object']).encode()]\n"
    )
    (tmp_path / "test_colour.conversation.yaml").write_text(
        "name: colour\nturns:\n  - user: my favourite colour is blue\n    intent: colour\n"
    )
    converse = ["converse", "handler.py:app", "test_colour.conversation.yaml", "--secret", SECRET]
    assert main(converse) == 1
    assert "FAIL colour" in capsys.readouterr().out
    assert main([*converse, "--baseline", "b.json", "--update-baseline"]) == 1
    assert "accepted" in capsys.readouterr().err
    assert main([*converse, "--baseline", "b.json"]) == 0
    out, err = capsys.readouterr()
    assert "ok   colour" in out
    assert "finding(s) accepted in the baseline b.json are not shown" in err
