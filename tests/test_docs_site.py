"""Issue 29: the documentation site.  Every finding code has a case in
``docs/finding_cases.py`` (its page is written from it), each case's mistake gives
its code against the harness, and each fix does not."""

from __future__ import annotations

import html
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bw_cli import run
from bw_manual import shell_commands
from werkzeug.serving import make_server

from harness import load_target, run_check
from harness.checks import CODES

ROOT = Path(__file__).resolve().parents[1]
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def _cases() -> Any:
    """``docs/finding_cases.py``, loaded as the site's extension loads it."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from finding_pages import cases
    finally:
        sys.path.remove(str(ROOT / "docs"))
    return cases()


CASES = _cases()


def _app(lines: str) -> Any:
    space: dict[str, Any] = {}
    exec(compile(CASES.PREAMBLE + lines, "handler.py", "exec"), space)
    return space["app"]


@contextmanager
def _served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def _codes(case: Any, lines: str, *, listens: bool = True) -> tuple[set[str], int]:
    app = _app(lines)
    options = dict(case.options)
    if not case.served:
        report = run_check(load_target(app), secret=SECRET, **options)
    elif not listens:
        report = run_check(load_target(_closed_port()), secret=SECRET, signed=True, **options)
    else:
        with _served(app) as url:
            report = run_check(load_target(url), secret=SECRET, signed=True, **options)
    found = {f.code for f in report.findings} | {f.code for f in report.run_findings}
    return found, report.exit_code()


def test_every_code_has_a_case_and_no_case_is_left_over() -> None:
    assert set(CASES.CASES) == set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_mistake_gives_its_code_and_the_fix_does_not(code: str) -> None:
    case = CASES.CASES[code]
    found, _ = _codes(case, case.mistake, listens=case.listens)
    assert code in found, (code, found)
    fixed, exit_code = _codes(case, case.fix)
    assert code not in fixed, (code, fixed)
    assert exit_code == 0, (code, fixed)


@pytest.mark.parametrize("code", sorted(c for c in CODES if not CASES.CASES[c].served))
def test_the_pages_command_gives_its_code(
    code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command a page shows, typed as it is, on the page's handler saved as
    ``handler.py``: it exits as the code's severity says, naming the code."""
    case = CASES.CASES[code]
    (tmp_path / "handler.py").write_text(CASES.PREAMBLE + case.mistake, "utf-8")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(case.command.replace("$SECRET", SECRET))
    assert argv[:2] == ["botwebhook", "check"]
    status, out, _ = run(capsys, *argv[1:])
    assert f"{code} {CODES[code].severity}" in out, out[-2000:]
    assert status == (1 if CODES[code].severity == "error" else 0), out[-2000:]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as CI builds it: strict (``-W -n``), every warning an error."""
    pytest.importorskip("sphinx", reason="the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(ROOT / "docs"), str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]  # not even a warning
    return out


def test_the_site_builds_strictly_with_a_page_per_code(site: Path) -> None:
    for code in CODES:
        page = html.unescape((site / "codes" / f"{code}.html").read_text("utf-8"))
        assert CODES[code].title in page, code
        assert "A handler that makes the mistake" in page
        assert "The fix" in page
    findings = (site / "findings.html").read_text("utf-8")
    assert all(f'href="codes/{code}.html"' in findings for code in CODES)
    api = (site / "reference" / "python.html").read_text("utf-8")
    assert 'id="harness.checks.run_check"' in api


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (.ci/run installs Debian's chromium)")
def test_a_real_browser_shows_the_home_page_and_a_finding_page(site: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync"]  # fmt: skip
    expected = {
        "index.html": ["pytest-botwebhook", "Quick start", "Finding codes"],
        "codes/BW401.html": ["BW401: server error on a valid platform payload", "The fix",
                             'v.get("value")'],
    }  # fmt: skip
    for number, (name, words) in enumerate(expected.items()):
        page = (site / name).as_uri()
        dom = subprocess.run(
            [CHROMIUM, *flags, f"--user-data-dir={tmp_path / f'd{number}'}", "--dump-dom", page],
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        text = html.unescape(re.sub(r"<[^>]+>", "", dom))  # as read, without the markup
        for word in words:
            assert word in text, (name, word)
        shot = tmp_path / f"{number}.png"
        subprocess.run(
            [CHROMIUM, *flags, f"--user-data-dir={tmp_path / f's{number}'}",
             f"--screenshot={shot}", "--window-size=1200,900", page],
            capture_output=True, timeout=60,
        )  # fmt: skip
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data[16:24] == (1200).to_bytes(4, "big") + (900).to_bytes(4, "big")
        assert len(data) > 30_000  # drawn: a blank page is a few kilobytes


def test_every_code_block_of_the_written_pages_runs_somewhere() -> None:
    """The pages' own code blocks: the home page's quick start is the README's, which
    .ci/run runs word for word; docs/protocol.md's Python blocks run in
    tests/test_protocol_doc.py; the finding pages' blocks are the cases above.  A
    new block on any other page fails here until a test runs it."""
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = re.search(r"## Quick start\n\n```sh\n(.*?)```", readme, re.S)
    assert quick is not None
    covered = {"index.md": [quick.group(1)], "protocol.md": None}
    for page in sorted((ROOT / "docs").rglob("*.md")):
        name = page.relative_to(ROOT / "docs").as_posix()
        if name.startswith(("codes/", "schema/", "manual/")):
            continue  # the manual's Python blocks all run in tests/test_readme.py
        blocks = re.findall(r"```(\w+)\n(.*?)```", page.read_text("utf-8"), re.S)
        if name in covered and covered[name] is None:
            continue
        code = [body for kind, body in blocks if kind in ("python", "bash", "sh", "py")]
        assert code == covered.get(name, []), name


def _plain(line: str) -> str:
    """A line as read: no heading marks, and links with their targets left out (the
    pages link to each other where the README linked to its own sections)."""
    line = re.sub(r"\]\([^)]*\)", "]()", line)
    line = line.replace("[`examples/booking`]()", "`examples/booking`")
    return line.lstrip("#").strip()


def test_nothing_of_the_old_readme_was_lost() -> None:
    """The README became the landing page and its sections moved to docs/manual/:
    every line it had, word for word, is in the README or a page of the manual.
    Only its table of contents went, now the landing page's list of pages."""
    before = (ROOT / "tests" / "helpers" / "readme_before_the_site.md").read_text("utf-8")
    now = [(ROOT / "README.md").read_text("utf-8")]
    now += [page.read_text("utf-8") for page in sorted((ROOT / "docs" / "manual").glob("*.md"))]
    kept = {_plain(line) for text in now for line in text.splitlines()}
    superseded = {  # said of the README before it moved; the page now says what is true
        "The site is not yet the whole manual; the README still is. What remains of issue",
        "29 is listed in its note.",
        # a line that did not run as typed (no secret): the runner of the manual's
        # commands (tests/test_docs_commands.py) found it
        "botwebhook serve --tls                                   "
        "# https, generated self-signed certificate",
        # the finding pages' sources: the why of each code moved to harness.checks.EXPLAINED
        "  from `harness.checks.CODES` and `docs/finding_cases.py`, so no page can drift",
        "  from the checker. The pages go to `docs/codes/`, which git ignores.",
        # the payloads' speed, missed then, met since issue 28's templates
        "and at most 2× the baseline's cost. Both are missed today: about 5,000/s and",
        "5.1× on this project's 2-core machine, where the baseline makes about 25,600/s.",
        "Drawing realistic values takes most of the time, about 85% of a payload;",
        "writing the JSON takes about 13% and signing about 7%.",
        # a payload's choices: one byte string since issue 28
        "drawn as a fixed sequence of choices (kind, language, kind of text, each",
        "feature, shape, intent, a seed for the values), so a failure shrinks toward",
        "shape A, the first intent, plain text and no features — except the one choice",
        "that makes it fail, such as the emoji or the unfilled optional variable.",
        "`--examples N` (default 200) is per phase. Each **distinct** failure (its",
        # Hypothesis's floors: a batch of calls an example outruns them since issue 28
        "The same run prints Hypothesis's own floors. An empty test that draws one",
        # the check's memory: met since issue 28's kept request headers
        "after call 1,000. The fuzz run meets it: a long phase is made of Hypothesis runs",
        "of at most 1,000 examples each, because Hypothesis keeps every example of a run",
        "in memory (about 6 MiB of growth, a 72 MiB peak). The check misses it: its",
        "report keeps one `Exchange` for each call, about 1.4 kB for a passing call (its",
        "request headers and signature, and the answer's bytes and headers). A passing",
        "call's outcome is worked out again from those bytes when it is asked for.",
        # the fuzz rate: measured again with issue 28's batches
        "at least 2,000 examples/s, and 10× Schemathesis' rate. Measured here: 353/s",
        "against 15/s, which is 23.9× (met), while 2,000/s is missed.",
        "integer makes 2,494/s. A test that draws our payloads and sends nothing makes",
        "738/s. Drawing the decisions of a payload (intent, language, text, features, a",
        "seed) through Hypothesis's engine takes more time than building and sending it,",
        "so 2,000/s is beyond any fuzz run through Hypothesis on this machine.",
        # the TLS ratio and handshake: measured again over more runs for issue 28
        "no timeouts. It is missed: about 0.36–0.38× here, with no timeouts. With",
        "OpenSSL 3.0 that is about 750–850 µs of CPU, more than a whole plain garbage",
        "request takes (about 650 µs). Turning off TLS 1.3 session tickets saved nothing.",
    }
    lost = [
        line
        for line in before.splitlines()
        if _plain(line)
        and _plain(line) not in kept
        and not line.startswith("Contents: ")
        and line not in superseded
    ]
    assert lost == []


def test_the_command_line_reference_has_every_command_and_option(site: Path) -> None:
    """The CLI page is written from the parser: every command and every option of it."""
    import argparse

    from harness.cli import build_parser

    page = html.unescape((site / "reference" / "cli.html").read_text("utf-8"))
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert f"botwebhook {name}" in page, name
        for action in command._actions:
            for option in action.option_strings:
                assert option in page, (name, option)


def test_every_command_line_in_the_manual_is_one_the_cli_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every command in the shell blocks parses with the real parser: no option that
    does not exist, no value of the wrong kind.  (``test_docs_commands.py`` runs
    them, in a folder that stands in for the reader's project.)"""
    from harness.cli import build_parser

    commands = shell_commands()
    assert len(commands) >= 20
    refused = []
    for line in commands:
        try:
            build_parser().parse_args(shlex.split(line)[1:])
        except SystemExit as exc:
            if exc.code not in (0, None):
                refused.append((line, capsys.readouterr().err.strip()))
    assert refused == []


def test_the_first_conversation_tutorial_passes_and_catches_its_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/manual/first-conversation.md, step by step: its bot.py and its file pass
    with the command it shows, and the change it suggests fails at turn 2."""
    text = (ROOT / "docs" / "manual" / "first-conversation.md").read_text("utf-8")
    bot = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    chat = re.search(r"```yaml\n(.*?)```", text, re.S)
    command = re.search(r"```sh\n(botwebhook converse .*?)\n```", text, re.S)
    assert chat is not None
    assert command is not None
    (tmp_path / "bot.py").write_text(bot, "utf-8")
    name = "test_book_a_table.conversation.yaml"
    (tmp_path / name).write_text(chat.group(1), "utf-8")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command.group(1))[1:]
    status, out, _ = run(capsys, *argv)
    assert status == 0, out
    assert "1 passed, 0 failed" in out
    changed = chat.group(1).replace("bot: What kind of food?", "bot: What food?")
    assert changed != chat.group(1)
    (tmp_path / name).write_text(changed, "utf-8")
    status, out, _ = run(capsys, *argv)
    assert status == 1, out
    assert "failed at turn 2" in out
    assert "expected: What food?" in out
    assert "called no webhook: the platform prompted instead" in out


def test_the_manual_runner_reads_every_page() -> None:
    """tests/test_readme.py runs the Python blocks of the pages bw_manual lists: a page
    left out of that list would have its examples silently skipped."""
    from bw_manual import PAGES

    pages = {page.stem for page in (ROOT / "docs" / "manual").glob("*.md")}
    assert set(PAGES) == pages
    assert len(PAGES) == len(set(PAGES))


def test_the_file_reference_has_every_key_the_loaders_take(site: Path) -> None:
    """The file reference is written from the loaders' key tables: the expectations
    and the settings (public) are all there, and an unknown key is refused, naming
    the keys the page lists."""
    from harness.conversations import EXPECTATIONS, load_conversations
    from harness.errors import ConversationFileError
    from harness.model import SETTINGS_KEYS

    page = html.unescape((site / "reference" / "files.html").read_text("utf-8"))
    for key in (*EXPECTATIONS, *SETTINGS_KEYS, "turns", "client_variables", "reset_on_entry"):
        assert f'<code class="docutils literal notranslate"><span class="pre">{key}' in page, key
    bad = site.parent / "test_bad.conversation.yaml"
    bad.write_text("turns:\n  - user: hi\n    zzz: 1\n", "utf-8")
    with pytest.raises(ConversationFileError, match="unknown key") as raised:
        load_conversations(bad)
    for key in ("user", "intent", "entities", "expect"):
        assert key in str(raised.value)
