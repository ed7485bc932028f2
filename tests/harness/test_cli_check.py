"""botwebhook check and send from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bw_cli import run
from bw_reports import check_json, check_junit
from bw_servers import refused_url, serving

from harness.checks import build_matrix

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def test_check_with_no_target_reports_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "the embedded reference handler" in out
    assert "no findings" in out
    assert " 0 errors, 0 warnings" in out


def test_check_passthrough_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--passthrough")
    assert code == 0
    assert "0 errors, 0 warnings" in out


def test_check_an_import_string_with_errors(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:CRASHES_ON_UNFILLED"
    code, out, _ = run(capsys, "check", target, "--secret", SECRET)
    assert code == 1
    assert "BW401 error: server error on a valid platform payload (2 scenarios)" in out
    assert "contract[book_table-unfilled_optional]: answered 500" in out
    assert "reproduce contract[book_table-unfilled_optional] with:" in out
    assert "curl -sS -i -X POST" in out
    assert SECRET not in out
    assert "2fb7…(40 chars)" in out


def test_warnings_fail_only_with_strict(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:LONG_TEXT"
    code, out, _ = run(capsys, "check", target, "--secret", SECRET)
    assert code == 0
    assert "BW202 warning" in out
    assert run(capsys, "check", target, "--secret", SECRET, "--strict")[0] == 1
    code, out, _ = run(capsys, "check", target, "--secret", SECRET, "--ignore", "BW202")
    assert code == 0
    assert "no findings" in out
    assert "ignoring BW202" in out


def test_json_and_junit_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:FLAT_CONTEXT"
    junit = tmp_path / "report.xml"
    code, out, _ = run(
        capsys, "check", target, "--secret", SECRET, "--json", "--junit-xml", str(junit)
    )
    assert code == 1  # a flat context is an error: the platform drops what it meant to store
    data = check_json("check", out)
    flat = [s for s in data["results"] if s["codes"] == ["BW201"]]
    contract = [s for s in build_matrix() if s.expect == "contract"]
    assert data["summary"]["errors"] == len(flat) == len(contract)
    assert data["summary"]["warnings"] == 0
    assert data["findings"][0]["code"] == "BW201"
    assert data["findings"][0]["reproduce"].startswith("curl")
    assert {s["id"] for s in data["results"]} >= {"contract[colour-shapeA]", "signature[wrong]"}
    suite = check_junit(junit.read_text())
    assert suite.get("failures") == str(len(flat))
    assert int(suite.get("tests", "0")) == data["summary"]["requests"]
    assert suite.find("testcase/failure").get("type") == "BW201"


def test_junit_shows_warnings_and_fails_them_with_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:LONG_TEXT"
    junit = tmp_path / "report.xml"
    run(capsys, "check", target, "--secret", SECRET, "--junit-xml", str(junit))
    suite = check_junit(junit.read_text())
    assert suite.get("failures") == "0"
    warned = suite.find("testcase/skipped[@type='warning']")  # seen in every CI's counts
    assert warned is not None
    assert warned.get("message", "").startswith("BW")
    assert suite.get("skipped") != "0"
    run(capsys, "check", target, "--secret", SECRET, "--strict", "--junit-xml", str(junit))
    assert check_junit(junit.read_text()).get("failures") != "0"


@pytest.mark.slow
def test_check_a_url_served_by_another_process(capsys: pytest.CaptureFixture[str]) -> None:
    with serving(__import__("bw_handlers").GOOD) as (url, _):
        code, out, _ = run(capsys, "check", url, "--secret", SECRET, "--sign", "always")
    assert code == 0, out
    assert "0 errors" in out


def test_unreachable_url_is_a_finding_not_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", refused_url(), "--timeout", "2")
    assert code == 1
    assert "BW100" in out
    assert "stopped early: the first 3 calls all failed" in out
    assert "advice: no request reached" in out
    assert "--keep-going" in out
    assert "declare" not in out  # no advice that contradicts it


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "nomodule_xyz:app"], "cannot import 'nomodule_xyz'"),
        (["check", "app"], "'app' is not an import string"),
        (["check", "/no/such/app.py:app"], "no file '/no/such/app.py'"),
        (["check", "ftp://host/x"], "unsupported scheme 'ftp'"),
        (["check", "http://"], "has no host"),
        (["check", f"{HELPERS / 'bw_handlers.py'}:NOPE"], "has no attribute 'NOPE'"),
        (["check", f"{HELPERS / 'bw_handlers.py'}:SECRET"], "not a WSGI application"),
        (
            ["check", f"{HELPERS / 'bw_handlers.py'}:reply()"],
            "calling the factory reply() for target",
        ),
        (["check", "--ignore", "BW999"], "--ignore BW999: no such finding code"),
        (["check", "--timeout", "0"], "--timeout: 0 is not a number of seconds more than 0"),
        (["check", "--timeout", "nan"], "--timeout: nan is not a number of seconds"),
        (["send", "--timeout", "inf"], "--timeout: inf is not a number of seconds"),
        (["check", "--timeout", "-1"], "--timeout: -1 is not a number of seconds"),
        (["check", "--workers", "0"], "--workers: 0 is not a whole number from 1 to 64"),
        (["fuzz", "--examples", "-5"], "--examples: -5 is not a whole number from 1"),
        (["serve", "--port", "70000"], "--port: 70000 is not a whole number from 0 to 65535"),
        (["serve", "--max-body", "0"], "--max-body: 0 is not a whole number of bytes from 1"),
        (["check", "--max-answer", "nan"], "--max-answer: 'nan' is not a whole number"),
        (["send", "http://[::1"], "the URL 'http://[::1' for target is not valid"),
        (["check", "https://user:pass@[zz]/"], "for target is not valid"),
        (["fuzz", "http://[::1"], "for target is not valid"),
        (["send", "http://host:99999/"], "Port out of range"),
        (["check", "os:getcwd"], "not a WSGI application"),
        (["check", "--secret", ""], "the secret is empty"),
        (["check", "--model", "/no/model.toml"], "cannot read the bot model"),
        (["check", "--ca-bundle", "/no/ca.pem"], "--ca-bundle '/no/ca.pem': no such file"),
        (["check", "--junit-xml", "/no/dir/r.xml"], "--junit-xml '/no/dir/r.xml': the folder"),
        (["send", "--fixture", "response_text"], "a response fixture, not a request"),
        (["send", "--fixture", "nope"], "there is no fixture called 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2, out
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert "Traceback" not in err


def test_send_prints_request_response_and_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "send",
        "--intent",
        "colour",
        "--var",
        "colour=blue",
        "--shape",
        "A",
        "--language",
        "EN",
    )
    assert code == 0
    assert "> POST https://localhost/" in out
    assert "> X-Hub-Signature: sha256=" in out
    assert "< 200" in out
    assert "the user would see: 'Blue is the colour of the sky.'" in out
    code, out, _ = run(capsys, "send", "--fixture", "book_table_shape_b")
    assert (
        "the user would see: 'A table for 4 (italian). Which day?', plus 1 Facebook node(s)" in out
    )


def test_send_reports_findings_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:ARRAY"
    code, out, _ = run(capsys, "send", target, "--secret", SECRET, "--fixture", "colour_shape_a")
    assert code == 1
    assert "BW103 error" in out
    assert "the intent's own response: Failed to deserialize webhook response JSON" in out


def test_console_script_check_exit_codes(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "botwebhook"
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    result = subprocess.run([str(exe), "check"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "0 errors, 0 warnings" in result.stdout
    bad = subprocess.run([str(exe), "check", "x:y"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1


def test_junit_xml_stays_well_formed_with_control_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "noisy.py").write_text(
        "from werkzeug.wrappers import Request, Response\n"
        "@Request.application\n"
        "def app(request):\n"
        "    return Response(b'bad \\x00\\x01 ' + request.get_data()[:20], status=500)\n"
    )
    junit = tmp_path / "report.xml"
    code, _, _ = run(capsys, "check", f"{tmp_path / 'noisy.py'}:app", "--junit-xml", str(junit))
    assert code == 1
    suite = ET.parse(junit).getroot()
    text = "".join(suite.itertext())
    assert "bad \\x00\\x01" in text


@pytest.mark.slow  # a fuzz run
def test_fuzz_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "fuzz", "--examples", "60", "--seed", "1")
    assert code == 0
    assert "no failure" in out
    target = f"{HELPERS / 'bw_handlers.py'}:CRASHES_ON_UNFILLED"
    code, out, _ = run(
        capsys,
        "fuzz",
        target,
        "--secret",
        SECRET,
        "--examples",
        "400",
        "--seed",
        "5",
        "--no-database",
        "--save-dir",
        str(tmp_path),
    )
    assert code == 1
    assert "BW401 error" in out
    assert "reproduce with:" in out
    assert SECRET not in out
    saved = tmp_path / "fuzz-BW401-1.body"
    assert saved.is_file()
    assert f"saved the exact body to {saved}" in out
    again = run(capsys, "fuzz", target, "--secret", SECRET, "--examples", "400", "--seed", "5")
    assert again[0] == 1
    assert (tmp_path / ".botwebhook" / "examples").is_dir()  # the failure is kept
    assert (tmp_path / ".botwebhook" / ".gitignore").read_text().endswith("*\n")
    assert (tmp_path / ".botwebhook" / "reproducers" / "fuzz-BW401-1.body").is_file()


APP = 'def app(environ, start_response):\n    start_response("200 OK", [])\n    return [b"{}"]\n'


@pytest.mark.parametrize(
    ("files", "target", "message"),
    [
        ({"json.py": APP}, "json.py:app", "has the name of the module 'json'"),
        ({"hypothesis.py": APP}, "hypothesis.py:app", "has the name of the module 'hypothesis'"),
        ({"exits.py": "import sys\nsys.exit(3)\n"}, "exits.py:app", "called sys.exit(3)"),
        (
            {"factory.py": "import sys\ndef make():\n    sys.exit('bye')\n"},
            "factory.py:make()",
            "the factory make() for target 'factory.py:make()' called sys.exit('bye')",
        ),
    ],
)
def test_target_files_that_would_break_the_process(
    files: dict[str, str],
    target: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code, _, err = run(capsys, "check", target)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert Path(json.__file__).parent.name != tmp_path.name  # the real json is untouched


def test_a_regex_bomb_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "bomb.toml"
    model.write_text(
        '[[intents]]\nname = "code"\nexamples = ["my code is $code"]\n'
        '[[intents.variables]]\nlabel = "code"\nentity = "promo"\nmandatory = true\n'
        'regex = "a{999999999}"\n'
    )
    for command in ("payload", "check"):
        code, _, err = run(capsys, command, "--model", str(model))
        assert code == 2
        assert "only matches text of at least 999999999 characters" in err


def test_a_bounded_repeat_stays_short() -> None:
    from harness import build_payload
    from harness.model import BotModel

    model = BotModel.from_dict(
        {
            "intents": [
                {
                    "name": "code",
                    "examples": ["my code is $code"],
                    "variables": [
                        {"label": "code", "entity": "promo", "regex": "[a-z]{0,999999999}x"}
                    ],
                }
            ]
        }
    )
    for seed in range(5):
        payload = build_payload(model=model, seed=seed, intent="code", shape="A")
        variables = payload.request.variables_map
        assert variables is not None
        value = variables["code"].value
        assert value is not None
        assert len(value) <= 5
        assert value.endswith("x")


def test_fuzz_writes_nothing_with_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    code, _, _ = run(capsys, "fuzz", "--examples", "20", "--seed", "1", "--no-database")
    assert code == 0
    assert list(tmp_path.iterdir()) == []  # no .hypothesis/, no .botwebhook/
    code, _, _ = run(capsys, "fuzz", "--examples", "20", "--seed", "1")
    assert code == 0
    assert [p.name for p in tmp_path.iterdir()] == [".botwebhook"]  # which ignores itself


def test_check_says_when_signature_probes_were_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = f"{HELPERS / 'bw_handlers.py'}:NO_SIGNATURE_OK"
    _, out, _ = run(capsys, "check", target)
    assert "note: no secret was given, so the signature probes" in out
    with serving(__import__("bw_handlers").NO_SIGNATURE_OK) as (url, _):
        _, out, _ = run(capsys, "check", url)
    assert "note: requests were not signed (the platform signs only https endpoints)" in out
