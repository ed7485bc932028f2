"""The HTML report, opened in a real browser (Debian's headless Chromium): it shows the
findings and a conversation's transcript, and the page makes no network request."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness import load_target, run_check
from harness.conversations import ConversationRun, load_conversations, run_conversation

SECRET = "h" * 40
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CRASHING = """import json


def app(environ, start_response):
    json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    raise RuntimeError("the handler broke <b>here</b>")
"""


class _References(HTMLParser):
    """Every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value:
                self.found.append(f"<{tag} {name}={value}>")


def _pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handler.py").write_text(CRASHING)
    target = load_target("handler.py:app")
    check = tmp_path / "check.html"
    check.write_text(run_check(target, secret=SECRET, probes=True).render("html"))
    conversation = tmp_path / "test_colour.conversation.yaml"
    conversation.write_text(
        "name: colour\nturns:\n  - user: my favourite colour is blue\n    intent: colour\n"
    )
    run = ConversationRun([run_conversation(spec, target, secret=SECRET)
                           for spec in load_conversations(conversation)])  # fmt: skip
    converse = tmp_path / "converse.html"
    converse.write_text(run.render("html"))
    return {"check": check, "converse": converse}


def test_the_page_is_self_contained_and_escapes_what_the_handler_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for page in _pages(tmp_path, monkeypatch).values():
        text = page.read_text()
        parser = _References()
        parser.feed(text)
        assert parser.found == []  # nothing to fetch: no src, href, …
        assert "url(" not in text
        assert "@import" not in text
        assert "<b>here</b>" not in text  # the handler's words are text, never markup
    check = (tmp_path / "check.html").read_text()
    assert "&lt;b&gt;here&lt;/b&gt;" in check
    assert "BW401" in check
    assert "button class='copy'" in check


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]  # fmt: skip
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=60)


def _page_requests(net_log: Path) -> list[str]:
    """The URLs a page asked for: requests with an initiator (Chromium's own
    background requests have none, 'not an origin')."""
    log = json.loads(net_log.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start
        and event.get("params", {}).get("initiator", "not an origin") != "not an origin"
    ]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (.ci/run installs Debian's chromium)")
def test_a_real_browser_renders_findings_and_a_transcript_without_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = _pages(tmp_path, monkeypatch)
    for name, page in pages.items():
        dom = _chromium("--dump-dom", page.as_uri(), profile=tmp_path / f"p-{name}").stdout
        shot = tmp_path / f"{name}.png"
        net = tmp_path / f"{name}.net.json"
        _chromium(f"--screenshot={shot}", "--window-size=1200,1500", f"--log-net-log={net}",
                  page.as_uri(), profile=tmp_path / f"q-{name}")  # fmt: skip
        assert _png_size(shot) == (1200, 1500)
        assert shot.stat().st_size > 30_000  # drawn: a blank page is a few kilobytes
        assert _page_requests(net) == []
        assert "botwebhook" in dom
        if name == "check":
            assert "BW401" in dom
            assert "RuntimeError" in dom
            assert "curl -sS" in dom  # the reproducer, with its copy button
        else:
            assert 'class="bubble user">my favourite colour is blue' in dom
            assert "webhook call: 500" in dom


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (.ci/run installs Debian's chromium)")
def test_the_network_check_sees_a_page_that_fetches(tmp_path: Path) -> None:
    """The control: a page that asks for an image is caught by the same check."""
    page = tmp_path / "fetching.html"
    page.write_text("<!DOCTYPE html><img src='http://127.0.0.1:9/x.png'>")
    net = tmp_path / "net.json"
    _chromium("--screenshot=" + str(tmp_path / "x.png"), f"--log-net-log={net}", page.as_uri(),
              profile=tmp_path / "profile")  # fmt: skip
    assert _page_requests(net) == ["http://127.0.0.1:9/x.png"]
