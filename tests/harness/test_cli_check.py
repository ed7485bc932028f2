"""botwebhook check and send from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bw_servers import refused_url, serving

from harness.cli import main

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


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
    assert code == 0
    data = json.loads(out)
    flat = [s for s in data["scenarios"] if s["codes"] == ["BW201"]]
    assert data["summary"]["warnings"] == len(flat) > 150
    assert data["summary"]["errors"] == 0
    assert data["findings"][0]["code"] == "BW201"
    assert data["findings"][0]["reproduce"].startswith("curl")
    assert {s["id"] for s in data["scenarios"]} >= {"contract[colour-shapeA]", "signature[wrong]"}
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) == data["summary"]["requests"]
    assert suite.find("testcase/system-out") is not None
    run(capsys, "check", target, "--secret", SECRET, "--strict", "--junit-xml", str(junit))
    assert ET.parse(junit).getroot().get("failures") != "0"


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
        (["check", "--timeout", "0"], "--timeout 0.0 must be a positive number"),
        (["check", "--secret", ""], "the secret is empty"),
        (["check", "--model", "/no/model.toml"], "cannot read the bot model"),
        (["check", "--ca-bundle", "/no/ca.pem"], "--ca-bundle '/no/ca.pem': no such file"),
        (["check", "--junit-xml", "/no/dir/r.xml"], "cannot write --junit-xml"),
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
