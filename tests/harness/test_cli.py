"""The botwebhook CLI skeleton: payload, fixtures, sign, verify, check, and bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from harness import sign
from harness.cli import main
from harness.protocol import WebhookRequest, load_fixture

VECTOR_SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
VECTOR_HEADER = "sha256=17d9ef63181fbe765713a9defebfce99713dec17cd5bf6003ce0518c95273288"


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.fixture
def vector_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_bytes(load_fixture("book_table_shape_b"))
    return path


def run(capfdbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, bytes, str]:
    code = main(list(argv))
    out, err = capfdbinary.readouterr()
    return code, out, err.decode()


def test_payload_from_file_is_byte_identical(capfdbinary, vector_file: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capfdbinary, "payload", "--from", str(vector_file))
    assert (code, err) == (0, "")
    assert out == load_fixture("book_table_shape_b")


def test_payload_from_stdin_normalizes_to_platform_bytes(capfdbinary, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    pretty = json.dumps(json.loads(load_fixture("colour_shape_a")), indent=2).encode()
    monkeypatch.setattr(sys, "stdin", _Stdin(pretty))
    code, out, _ = run(capfdbinary, "payload", "--from", "-")
    assert code == 0
    assert out == load_fixture("colour_shape_a")


def test_payload_fixture_and_fixtures_listing(capfdbinary) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capfdbinary, "payload", "--fixture", "passthrough")
    assert code == 0
    assert out == load_fixture("passthrough")
    code, out, _ = run(capfdbinary, "fixtures")
    assert code == 0
    lines = out.decode().splitlines()
    assert len(lines) == 13
    assert lines[0].startswith("colour_shape_a")
    assert "request" in lines[0]
    code, out, _ = run(capfdbinary, "fixtures", "--kind", "response")
    assert all("response" in line for line in out.decode().splitlines())


def test_sign_prints_the_header_value_for_exact_bytes(capfdbinary, vector_file: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capfdbinary, "sign", "--secret", VECTOR_SECRET, str(vector_file))
    assert code == 0
    assert out.decode() == VECTOR_HEADER + "\n"


def test_sign_reads_stdin_without_adding_a_newline(capfdbinary, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", _Stdin(b"ThisIsAMessage"))
    _code, out, _ = run(capfdbinary, "sign", "--secret", "123456")
    assert out.decode().strip() == sign(b"ThisIsAMessage", "123456")


def test_secret_from_environment(capfdbinary, monkeypatch, vector_file: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BOTWEBHOOK_SECRET", VECTOR_SECRET)
    code, out, _ = run(capfdbinary, "sign", str(vector_file))
    assert code == 0
    assert out.decode().strip() == VECTOR_HEADER


def test_verify_exit_codes(capfdbinary, vector_file: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["verify", "--secret", VECTOR_SECRET, "--signature"]
    code, out, _ = run(capfdbinary, *args, VECTOR_HEADER, str(vector_file))
    assert (code, out) == (0, b"valid\n")
    wrong = VECTOR_HEADER[:-1] + "0"
    code, out, _ = run(capfdbinary, *args, wrong, str(vector_file))
    assert code == 1
    assert out.startswith(b"invalid: digest does not match")
    code, out, _ = run(capfdbinary, *args, "md5=abc", str(vector_file))
    assert code == 1
    assert b"sha256=" in out


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["payload", "--from", "/no/such/file"], b"", "cannot read '/no/such/file'"),
        (
            ["payload", "--from", "-"],
            b"{not json",
            "standard input is not a webhook request: $: invalid JSON",
        ),
        (["payload", "--from", "-"], b"", "empty document"),
        (["payload", "--from", "-"], b'{"text": "a response"}', "$.text: unknown key"),
        (["payload", "--from", "-"], b"[1, 2]", "$: expected an object"),
        (["payload", "--fixture", "nope"], b"", "there is no fixture called 'nope'"),
        (["payload", "--fixture", "passthrough", "--from", "-"], b"", "not both"),
        (["sign", "--secret", "", "-"], b"x", "the secret is empty"),
        (["sign", "-"], b"x", "no secret: pass --secret S or set BOTWEBHOOK_SECRET"),
        (["sign", "--secret", "k", "/no/such/file"], b"", "cannot read"),
        (
            ["verify", "--secret", "k", "-"],
            b"x",
            "the following arguments are required: --signature",
        ),
        (["frobnicate"], b"", "invalid choice: 'frobnicate'"),
        (["fixtures", "--kind", "xml"], b"", "invalid choice: 'xml'"),
        ([], b"", "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(  # type: ignore[no-untyped-def]
    capfdbinary, monkeypatch, argv: list[str], stdin: bytes, message: str
) -> None:
    monkeypatch.delenv("BOTWEBHOOK_SECRET", raising=False)
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code  # type: ignore[assignment]
    out, err = capfdbinary.readouterr()
    text = err.decode()
    assert code == 2
    assert out == b""
    assert len(text.strip().splitlines()) == 1, text
    assert message in text
    assert "Traceback" not in text


def test_help_everywhere(capfdbinary) -> None:  # type: ignore[no-untyped-def]
    for argv in (
        [],
        ["payload"],
        ["fixtures"],
        ["sign"],
        ["verify"],
        ["check"],
        ["send"],
        ["serve"],
    ):
        with pytest.raises(SystemExit) as info:
            main([*argv, "--help"])
        assert info.value.code == 0
        assert b"usage: botwebhook" in capfdbinary.readouterr().out


def test_console_script_version_and_exit_code(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "botwebhook"
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("botwebhook 0.")
    result = subprocess.run(
        [str(exe), "payload", "--from", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_payload_generates_for_the_catalogue(capfdbinary, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no model declared here: the built-in catalogue
    argv = (
        "payload",
        "--intent",
        "colour",
        "--var",
        "colour=blue",
        "--shape",
        "A",
        "--language",
        "EN",
        "--seed",
        "3",
    )
    code, out, _ = run(capfdbinary, *argv)
    assert code == 0
    request = WebhookRequest.from_bytes(out)
    assert request.to_bytes() == out
    assert request.variables["colour"].value == "blue"
    assert request.shape == "A"
    again = run(capfdbinary, *argv)[1]
    assert again == out


def test_payload_count_prints_one_per_line(capfdbinary, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capfdbinary, "payload", "--count", "25", "--seed", "1")
    lines = out.split(b"\n")
    assert code == 0
    assert lines[-1] == b""
    assert len(lines) == 26
    for line in lines[:-1]:
        assert WebhookRequest.from_bytes(line).to_bytes() == line
    assert len(set(lines)) == 26


def test_payload_uses_the_model_in_the_current_folder(
    capfdbinary, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "botwebhook.toml").write_text(
        '[[intents]]\nname = "greet"\nresponses = ["Hi $who"]\n'
        '[[intents.variables]]\nlabel = "who"\nentity = "sys.person"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capfdbinary, "payload", "--shape", "B", "--text", "plain")
    assert code == 0
    assert WebhookRequest.from_bytes(out).intent_name == "greet"
    code, out, _ = run(
        capfdbinary,
        "payload",
        "--model",
        str(tmp_path / "botwebhook.toml"),
        "--with",
        "facebook",
        "--without",
        "config",
    )
    request = WebhookRequest.from_bytes(out)
    assert request.client_variables is None
    assert request.config is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["payload", "--intent", "colur"],
            "unknown intent 'colur' in the built-in catalogue (did you mean 'colour'?)",
        ),
        (
            ["payload", "--intent", "colour", "--var", "color=red"],
            "intent 'colour' has no variable 'color' (its variables: colour)",
        ),
        (["payload", "--var", "nolabel"], "--var 'nolabel' is not LABEL=VALUE"),
        (["payload", "--var", "a=1", "--var", "a=2"], "--var a is given twice"),
        (["payload", "--shape", "Q"], "argument --shape: invalid choice: 'Q'"),
        (["payload", "--language", "en"], "argument --language: invalid choice: 'en'"),
        (["payload", "--count", "0"], "--count: 0 is not a whole number from 1 to 1000000"),
        (["payload", "--count", "x"], "argument --count: 'x' is not a whole number from 1"),
        (["payload", "--with", "facebook", "--without", "facebook"], "contradict"),
        (["payload", "--with", "wings"], "argument --with: invalid choice: 'wings'"),
        (
            ["payload", "--fixture", "passthrough", "--intent", "colour"],
            "--intent generates a payload; it cannot be combined with --from/--fixture",
        ),
        (["payload", "--model", "/no/model.toml"], "cannot read the bot model '/no/model.toml'"),
        (
            ["payload", "--intent", "opening_hours", "--shape", "B"],
            "no mandatory variable to prompt for",
        ),
    ],
)
def test_payload_generation_errors(  # type: ignore[no-untyped-def]
    capfdbinary, monkeypatch, tmp_path: Path, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code  # type: ignore[assignment]
    out, err = capfdbinary.readouterr()
    assert code == 2
    assert out == b""
    assert len(err.decode().strip().splitlines()) == 1
    assert message in err.decode()


@pytest.mark.parametrize("delay", [0.1, 0.25, 0.5])
def test_ctrl_c_while_the_command_is_still_loading_is_one_line_and_130(delay: float) -> None:
    """Wherever Ctrl-C lands (Python importing the command, reading its arguments,
    or the run itself), it is one line and exit 130, never a traceback or -2."""
    import signal
    import time

    command = [sys.executable, "-m", "harness.cli", "check", "--seed", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    if process.returncode == 0:  # the whole check ended before the signal: nothing to see
        return
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "botwebhook check: interrupted"
