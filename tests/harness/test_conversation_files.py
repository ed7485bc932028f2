"""Conversation files: the format, its errors (file, line, key), and ``botwebhook converse``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from bw_reports import check_json, check_junit

from harness.cli import main
from harness.conversations import ConversationFileError, load_conversations

ROOT = Path(__file__).resolve().parent.parent.parent
BOOKING = ROOT / "examples" / "booking"
BOOKING_SECRET = "booking-example-secret-0000000000000000"


def write(tmp_path: Path, text: str, name: str = "test_x.conversation.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> ConversationFileError:
    path = write(tmp_path, text)
    with pytest.raises(ConversationFileError) as info:
        load_conversations(path)
    assert str(info.value).startswith(f"{path}:")
    return info.value


def test_a_file_reads_every_document_with_texts_exactly_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: first
        turns:
          - user: set an alarm for 007
            intent: set_alarm
            entities: {time: 007}
            expect: {webhook: yes, bot: 'Alarm set for 007.', context: {time: 007}}
        ---
        turns:
          - user: what's the weather in Paris
            expect: {prompt: null, context_has: city}
        """,
    )
    first, second = load_conversations(path)
    assert (first.name, first.line, first.index) == ("first", 1, 0)
    turn = first.turns[0]
    assert (turn.user, turn.intents, turn.entities) == (
        "set an alarm for 007", ("set_alarm",), {"time": "007"},
    )  # fmt: skip
    assert turn.expect == {"webhook": True, "bot": "Alarm set for 007.", "context": {"time": "007"}}
    assert second.name == "test_x.conversation.yaml[1]"
    assert second.line == 8
    assert second.turns[0].expect == {"prompt": None, "context_has": ("city",)}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("turns:\n  - user: hi\n    expct: {}\n", 3,
         "turns[0].expct: unknown key (did you mean 'expect'?)"),
        ("turns:\n  - intent: colour\n", 2, "turns[0].user: missing"),
        ("turns:\n  - user: [1\n", 3, "bad YAML"),
        ("turns:\n  - user: hello\n    intent: colur\n", 3,
         "turns[0].intent: unknown intent 'colur'"),
        ("turns:\n  - user: hi\n    intent: colour\n    entities:\n      color: red\n", 5,
         "turns[0].entities.color: no variable 'color'"),
        ("turns:\n  - user: hi\n    intent: colour\n    entities: {colour: purple}\n", 4,
         "'purple' is not a value of entity 'colour'"),
        ("turns:\n  - user: what is this\n", 2,
         "turns[0].user: which intent did the platform match"),
        ("turns:\n  - user: I like red\n    expect:\n      prompt: colours\n", 4,
         "turns[0].expect.prompt: 'colours' is not a variable of the model (did you mean"),
        ("turns:\n  - user: I like red\n    expect: {bot_matches: '(' }\n", 3,
         "turns[0].expect.bot_matches: not a regular expression"),
        ("turns:\n  - user: I like red\n    expect: {webhook: maybe}\n", 3,
         "expected true or false"),
        ("channel: whatsapp\nturns: []\n", 1, "channel: 'whatsapp' is not api or facebook"),
        ("language: de\nturns:\n  - user: hi\n", 1, "language: 'de' is not one of EN"),
        ("channel: facebook\nclient_variables: {a: b}\nturns:\n  - user: I like red\n", 2,
         "client_variables"),
        ("model: nowhere.toml\nturns:\n  - user: hi\n", 1, "model: "),
        ("turns:\n  - user:\n", 2, "turns[0].user: empty"),
        ("name: x\n", 1, "turns: missing"),
        ("turns:\n  - user: I like red\n  - user: I like blue\n    intent: book_table\n"
         "    entities: {guests: '2'}\n  - user: '4'\n    intent: colour\n", 7,
         "turns[2].intent: colour: the platform is waiting for the answer"),
    ],
)  # fmt: skip
def test_errors_name_the_file_the_line_and_the_key(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    error = error_of(tmp_path, text)
    assert error.line == line, str(error)
    assert message in str(error)


def test_a_model_next_to_the_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(
        '[[intents]]\nname = "ping"\nresponses = ["pong"]\nexamples = ["ping"]\n', "utf-8"
    )
    (spec,) = load_conversations(write(tmp_path, "model: bot.toml\nturns:\n  - user: ping\n"))
    assert [i.name for i in spec.model.intents] == ["ping"]
    bad = write(
        tmp_path, "model: bot.toml\nturns:\n  - user: I like red\n", "test_b.conversation.yaml"
    )
    with pytest.raises(ConversationFileError, match="no example of the model matches"):
        load_conversations(bad)


# -- botwebhook converse ------------------------------------------------------------------


def converse(*args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(BOOKING)
    monkeypatch.setenv("BOTWEBHOOK_SECRET", BOOKING_SECRET)
    monkeypatch.syspath_prepend(str(BOOKING))
    return main(["converse", "app.py:app", "test_booking.conversation.yaml", *args])


def test_converse_passes_the_booking_example(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert converse("--verbose", monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "ok   book after prompting, then track" in out
    assert "  * bot:  'Your booking B" in out  # the transcript, webhook turns marked
    assert "6 conversation(s): 6 passed, 0 failed" in out


def test_converse_fails_a_planted_defect_with_json_and_junit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BOOKING_DEFECT", "no_delete")
    junit = tmp_path / "r.xml"
    assert converse("--json", "--junit-xml", str(junit), monkeypatch=monkeypatch) == 1
    data = check_json("converse", capsys.readouterr().out)
    failed = [r for r in data["results"] if not r["ok"]]
    assert [r["name"] for r in failed] == ["cancel deletes the booking"]
    assert failed[0]["failed_turn"] == 2
    assert "context_lacks" in failed[0]["failure"]
    suite = check_junit(junit.read_text())
    assert (suite.get("tests"), suite.get("failures")) == ("6", "1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["app.py:app", "missing.yaml"], "'missing.yaml': no such conversation file"),
        (["app.py:nothing", "test_booking.conversation.yaml"], "has no attribute 'nothing'"),
        (["app.py:app", "bad.yaml"], "bad.yaml:1: turns: missing"),
    ],
)
def test_converse_bad_input_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\n", "utf-8")
    for name in ("app.py", "botwebhook.toml", "test_booking.conversation.yaml"):
        (tmp_path / name).write_bytes((BOOKING / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["converse", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_handler_in_another_process_calls_back_to_the_served_callback_api(
    tmp_path: Path,
) -> None:
    """The booking app runs in its own process; only the Facebook conversation needs the
    callback, which it posts to the callback API that converse serves on a local port."""
    import os
    import socket
    import subprocess
    import sys
    import time

    app_port, callback_port = _free_port(), _free_port()
    env = {**os.environ, "BOOKING_CALLBACK_BASE": f"http://127.0.0.1:{callback_port}"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from werkzeug.serving import run_simple; import app; "
         f"run_simple('127.0.0.1', {app_port}, app.app)"],
        cwd=BOOKING, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", app_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        run = subprocess.run(
            [sys.executable, "-m", "harness.cli", "converse", f"http://127.0.0.1:{app_port}/",
             str(BOOKING / "test_booking.conversation.yaml"), "--secret", BOOKING_SECRET,
             "--model", str(BOOKING / "botwebhook.toml"), "--sign", "always",
             "--callback-port", str(callback_port), "--timeout", "5"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 conversation(s): 6 passed, 0 failed" in run.stdout


def test_ctrl_c_prints_what_ran_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "stops.py"
    app.write_text(
        "calls = []\n"
        "def app(environ, start_response):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        raise KeyboardInterrupt\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n"
    )
    chats = write(
        tmp_path, "turns:\n  - user: I like red\n" + "---\nturns:\n  - user: I like red\n" * 2
    )
    assert main(["converse", f"{app}:app", str(chats)]) == 130
    out, err = capsys.readouterr()
    assert "1 conversation(s): 1 passed, 0 failed" in out
    assert "interrupted: 2 of 3 conversation(s) not run" in err
