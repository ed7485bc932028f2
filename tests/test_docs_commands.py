"""Every ``botwebhook`` line of the manual's shell blocks runs, as typed, through the
shell, in a folder that stands in for the reader's project.

The lines name the reader's things: ``app.py:app``, ``main:app``, ``bot.toml``, a
conversation file, a cassette, ``$SECRET``, ``https://bot.example.com/hook``.  The
folder has each of them (a stand-in handler, a model, a conversation, a recorded
cassette), the secrets are in the environment, and the example URLs are rewritten to
a real server on 127.0.0.1.  Only what the example cannot mean literally changes: a
host, a port (an ephemeral one), and a load test's minutes (seconds).

A line passes when it ends with a verdict, 0 or 1, and no traceback; a server
(``serve``, ``listen``) passes when it starts listening and keeps running.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bw_manual import shell_commands
from bw_servers import serving

from harness import build_payload, deliver, load_target
from harness.reference import make_app
from harness.replay import CassetteEntry, CassetteWriter

ROOT = Path(__file__).resolve().parents[1]
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"

APP = """\
import os

from harness.reference import make_app

app = make_app(secret=os.environ.get("SECRET", "2fb71ab6057e6f3d652c7e1131db962af27fda4f"))


def create_app():
    return app
"""

ASGI_APP = """\
import hashlib
import hmac
import os

SECRET = os.environ.get("SECRET", "")


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    headers = dict(scope["headers"])
    mine = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mine.encode(), headers.get(b"x-hub-signature", b"")):
        status, answer = 401, {"error": "bad signature"}
    else:
        status, answer = 200, {"text": "ok"}
    data = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": data})
"""

MODEL = """\
language = "EN"

[[intents]]
name = "colour"
responses = ["So your favourite colour is $colour!"]

[[intents.variables]]
label = "colour"
entity = "colour"
values = ["red", "blue"]

[[intents]]
name = "weather"

[[intents.variables]]
label = "city"
entity = "sys.places"

[[intents]]
name = "book_table"

[[intents.variables]]
label = "guests"
entity = "sys.number"
"""

CONVERSATION = """\
name: favourite colour
turns:
  - user: my favourite colour is red
    intent: colour
    expect: {webhook: true}
"""


def _commands() -> list[str]:
    return list(dict.fromkeys(shell_commands()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The reference handler on a real socket: the example URLs go there."""
    with serving(make_app(secret=SECRET)) as (url, _):
        yield url


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reader's project, as the lines name its files."""
    folder = tmp_path_factory.mktemp("project")
    for name in ("app.py", "handler.py", "bot.py"):
        (folder / name).write_text(APP, "utf-8")
    (folder / "myapp").mkdir()
    (folder / "myapp" / "__init__.py").write_text("", "utf-8")
    (folder / "myapp" / "wsgi.py").write_text(APP, "utf-8")
    (folder / "main.py").write_text(ASGI_APP, "utf-8")
    for name in ("bot.toml", "botwebhook.toml"):
        (folder / name).write_text(MODEL, "utf-8")
    (folder / "tests" / "cassettes").mkdir(parents=True)
    for name in ("tests/test_booking.conversation.yaml", "test_book_a_table.conversation.yaml"):
        (folder / name).write_text(CONVERSATION, "utf-8")
    target = load_target(make_app(secret=SECRET))
    with CassetteWriter(folder / "calls.jsonl") as cassette:
        for seed in range(3):
            sent = build_payload(intent="colour", seed=seed)
            got = deliver(target, sent, secret=SECRET).received
            assert got is not None
            entry = CassetteEntry("POST", "https://bot.example/hook", [], sent.body,
                                  got.status, list(got.headers.items()), got.body)  # fmt: skip
            cassette.write(entry)
    shutil.copy(folder / "calls.jsonl", folder / "tests" / "cassettes" / "calls.jsonl")
    (folder / "body.json").write_bytes(build_payload(intent="colour", seed=1).body)
    return folder


def as_run_here(line: str, url: str) -> str:
    """``line`` with what cannot be meant literally replaced: the example hosts by
    ``url``, a fixed port by a free one, a load test's minutes by seconds."""
    line = re.sub(r"https?://(?:bot|staging)\.example\.com/\S*", url, line)
    line = re.sub(r"http://127\.0\.0\.1:(?:8000|5000)/\S*", url, line)
    line = re.sub(r"--port \d+", f"--port {_free_port()}", line)
    if line.startswith(("botwebhook serve", "botwebhook listen")) and "--port" not in line:
        line += f" --port {_free_port()}"
    if line.startswith("botwebhook load"):
        line = re.sub(r" --duration \S+", "", line) + " --duration 2s"
    return line


def _environment() -> dict[str, str]:
    env = dict(os.environ, SECRET=SECRET, TEST_SECRET=SECRET, PYTHONUNBUFFERED="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("BOTWEBHOOK_DOCS_URL", None)
    return env


def _keeps_serving(line: str, folder: Path) -> None:
    """A server line starts, says where it listens, and keeps running until stopped."""
    with subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=folder, env=_environment(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as server:  # fmt: skip
        assert server.stdout is not None
        deadline, said = time.monotonic() + 30, ""
        while "listening on" not in said and time.monotonic() < deadline:
            said += server.stdout.readline()
            if server.poll() is not None:
                said += server.stdout.read()
                break
        alive = server.poll() is None
        server.terminate()
        server.wait(timeout=10)
    assert alive, said
    assert "listening on" in said, said
    assert "Traceback" not in said, said


@pytest.mark.parametrize("line", _commands())
def test_every_command_of_the_manual_runs_as_typed(
    line: str, project: Path, served: str, tmp_path: Path
) -> None:
    folder = tmp_path / "project"
    shutil.copytree(project, folder)
    typed = as_run_here(line, served)
    if typed.startswith(("botwebhook serve", "botwebhook listen")):
        _keeps_serving(typed, folder)
        return
    if typed.startswith("botwebhook load") and importlib.util.find_spec("locust") is None:
        pytest.skip("the load extra is not installed")  # never imported here: gevent patches
    done = subprocess.run(["bash", "-c", typed], cwd=folder, env=_environment(),
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    said = f"$ {typed}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode in (0, 1), said
    assert "Traceback" not in done.stdout + done.stderr, said


def test_the_lines_are_the_manuals_and_name_every_kind_of_thing() -> None:
    """The runner really runs the manual: its lines, every command among them."""
    lines = _commands()
    assert len(lines) >= 40
    commands = {line.split()[1] for line in lines}
    assert {"check", "send", "serve", "payload", "fuzz", "converse", "load", "listen",
            "redact", "replay", "sign", "verify", "explain"} <= commands  # fmt: skip
