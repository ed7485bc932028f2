"""Issue 24: what a run holds stays bounded: threads of calls that passed their
deadline, the callback API's record, and output paths refused up front."""

from __future__ import annotations

import gc
import json
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from bw_cli import run
from bw_handlers import SECRET, conforming, reply

from harness import build_payload, deliver, load_target, run_check
from harness.mocks import CallbackMock

BODY = build_payload(shape="A", seed=1)


def _hangs(seconds: float) -> Any:
    def answer(payload: dict[str, Any]) -> Any:
        time.sleep(seconds)
        return reply({"text": "late"})

    return conforming(answer)


def test_calls_that_time_out_hold_a_bounded_number_of_threads() -> None:
    from harness.checks import MAX_CALL_THREADS

    target = load_target(_hangs(3.0))
    before = threading.active_count()
    outcomes = [deliver(target, BODY, secret=SECRET, timeout=0.05) for _ in range(60)]
    assert all(e.delivery.timed_out for e in outcomes)
    assert threading.active_count() - before <= MAX_CALL_THREADS
    late = [e for e in outcomes if "never started" in (e.delivery.failure or "")]
    assert late  # calls past the cap waited for a thread, within their own deadline
    note = target.overdue_note()
    assert note is not None
    assert "call(s) running past their deadline, each holding a thread" in note
    assert "still running now" in note
    assert "could not start" in note


def test_the_wait_for_a_thread_counts_in_the_calls_deadline() -> None:
    """Every thread busy with a late call: a new call waits for one, and that wait is
    part of its deadline, never added to it (the platform waits once)."""
    from harness.checks import MAX_CALL_THREADS

    target = load_target(_hangs(1.0))
    for _ in range(MAX_CALL_THREADS):  # each abandoned at once, each holding a thread 1 s
        deliver(target, BODY, secret=SECRET, timeout=0.01)
    started = time.monotonic()
    late = deliver(target, BODY, secret=SECRET, timeout=0.8)  # a thread frees after ~0.6 s
    elapsed = time.monotonic() - started
    assert late.delivery.timed_out
    assert elapsed < 1.1, elapsed  # 0.8 s in all, not 0.6 s of waiting + 0.8 s of call


def test_threads_are_reused_once_the_late_calls_end() -> None:
    target = load_target(_hangs(0.3))
    before = threading.active_count()
    for _ in range(3):
        deliver(target, BODY, secret=SECRET, timeout=0.05)
    time.sleep(0.6)  # the late calls end and their threads rejoin the pool
    for _ in range(3):
        deliver(target, BODY, secret=SECRET, timeout=0.05)
    assert threading.active_count() - before <= 3
    note = target.overdue_note()
    assert note is not None
    assert "ended later (the latest 0." in note


def test_the_check_report_says_when_the_handler_kept_calls_running() -> None:
    report = run_check(load_target(_hangs(0.5)), secret=SECRET, timeout=0.1, intents=["colour"])
    assert any("past their deadline, each holding a thread" in n for n in report.notes)
    fine = run_check(load_target(conforming()), secret=SECRET, intents=["colour"])
    assert not any("past their deadline" in n for n in fine.notes)


# -- the callback API keeps a bounded record ------------------------------------------------


def test_callback_memory_stays_flat_under_200_one_mib_callbacks() -> None:
    import requests

    mock = CallbackMock(secret=SECRET)
    server = mock.serve()
    try:
        text = "x" * (1024 * 1024)
        http = requests.Session()

        def post(n: int) -> None:
            session = f"s{n}"
            mock.open_session(session, token=f"t{n}")
            body = json.dumps({"text": text, "webhook_token": f"t{n}"})
            answer = http.post(
                f"{server.url}/v1/ai/chat/webhook/callback/{session}", data=body, timeout=10
            )
            assert answer.status_code == 200, answer.text

        for n in range(30):  # warm: threads, caches
            post(n)
        # What the process holds, traced, garbage collected: the resident size swung
        # by tens of MiB from run to run with the allocator's caches and the cycles of
        # finished requests (their 1 MiB bodies) not yet collected.
        tracemalloc.start()
        try:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for n in range(30, 230):
                post(n)
            gc.collect()
            grown = (tracemalloc.get_traced_memory()[0] - before) // 1024
        finally:
            tracemalloc.stop()
        assert grown < 40 * 1024, f"held memory grew {grown} KiB"  # unbounded: 200 MiB
        kept = mock.sessions["s229"].messages[0]["text"]
        assert kept.startswith("x" * 100)
        assert kept.endswith(f"[{1024 * 1024 - 16 * 1024} more characters not kept]")
        assert mock.sessions["s229"].accepted == 1
    finally:
        server.stop()


def test_the_record_is_a_ring_of_recent_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.mocks._callback.KEPT_CALLBACKS", 5)
    monkeypatch.setattr("harness.mocks._callback.KEPT_SESSIONS", 3)
    mock = CallbackMock()
    mock.open_session("a", token="t0")
    for n in range(8):
        body = json.dumps({"text": f"m{n}", "webhook_token": f"t{n}"}).encode()
        assert mock.handle("a", body)[0] == 200
        mock.sessions["a"].token = f"t{n + 1}"
        mock.sessions["a"].expires = time.time() + 60
    session = mock.sessions["a"]
    assert session.accepted == 8
    assert [m["text"] for m in session.messages] == ["m3", "m4", "m5", "m6", "m7"]
    assert [m["text"] for m in session.accepted_after(6)] == ["m6", "m7"]
    for _ in range(10):
        mock.handle("nobody", b"{}")
    assert len(mock.refused) == 5
    assert mock.refused_total == 10
    assert mock.refused_after("nobody", 8) == [(400, "Invalid chat session token")] * 2
    for name in ("b", "c", "d"):
        mock.open_session(name, token="x")
    assert list(mock.sessions) == ["b", "c", "d"]  # the oldest session is forgotten


def test_a_callback_over_the_served_cap_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    monkeypatch.setattr("harness.mocks._callback.CALLBACK_MAX_BODY", 1000)
    mock = CallbackMock()
    server = mock.serve()
    try:
        answer = requests.post(
            f"{server.url}/v1/ai/chat/webhook/callback/s", data=b"x" * 5000, timeout=10
        )
        assert answer.status_code == 413
    finally:
        server.stop()


# -- output paths are checked before anything runs ------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "harness.reference:make_app", "--junit-xml", "{dir}"],
        ["check", "harness.reference:make_app", "--junit-xml", "{missing}/r.xml"],
        ["converse", "harness.reference:make_app", "{convo}", "--junit-xml", "{dir}"],
        ["replay", "{cassette}", "harness.reference:make_app", "--junit-xml", "{dir}"],
        ["fuzz", "harness.reference:make_app", "--save-dir", "{file}"],
        ["redact", "{cassette}", "--out", "{dir}"],
        ["redact", "{cassette}", "--out", "{link}"],
        ["listen", "--forward-to", "harness.reference:make_app", "--record", "{dir}"],
        ["listen", "--forward-to", "harness.reference:make_app", "--record", "{link}"],
        ["load", "--serve", "harness.reference:make_app", "--html", "{dir}"],
        ["load", "--serve", "harness.reference:make_app", "--csv", "{missing}/x"],
    ],
    ids=lambda argv: f"{argv[0]}-{argv[-2]}-{argv[-1].strip('{}')}",
)
def test_every_output_path_is_checked_up_front(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOTWEBHOOK_SECRET", SECRET)
    (tmp_path / "out").mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "test_c.conversation.yaml").write_text("turns:\n  - user: hello\n")
    (tmp_path / "calls.jsonl").write_text("")
    names = {"dir": "out", "missing": "no/such", "convo": "test_c.conversation.yaml",
             "cassette": "calls.jsonl", "file": "a-file", "link": "link"}  # fmt: skip
    argv = [part.format(**names) for part in argv]
    started = time.monotonic()
    code, _, err = run(capsys, *argv)
    assert time.monotonic() - started < 5  # refused before anything ran
    assert (code, err.count("\n")) == (2, 1), err
    assert "Traceback" not in err
    assert "hint:" in err
    assert (tmp_path / "elsewhere").read_text() == ""  # nothing written through the link


def test_a_mocks_call_log_is_bounded_and_still_counts_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness import LiveWebhookServer

    monkeypatch.setattr("harness.mocks._recorder.KEPT_CALLS", 3)
    import requests

    with LiveWebhookServer() as server:
        for n in range(5):
            requests.post(server.url, data=json.dumps({"n": n}), timeout=10)
        assert [json.loads(c.body)["n"] for c in server.calls] == [2, 3, 4]
        assert (server.received, server.dropped) == (5, 2)
        server.assert_called(times=5)
        with pytest.raises(AssertionError) as info:
            server.assert_called(times=4)
        text = str(info.value)
        assert "(2 earlier call(s) not kept)" in text
        assert "  3. POST" in text
        assert "  5. POST" in text
    monkeypatch.setattr("harness.mocks._recorder.KEPT_CALLS", 1000)
    monkeypatch.setattr("harness.mocks._recorder.KEPT_BYTES", 10_000)
    with LiveWebhookServer() as server:
        for _ in range(5):
            requests.post(server.url, data=b"x" * 3000, timeout=10)
        assert len(server.calls) == 1  # kept whole, never cut: the newest that fits
        assert len(server.calls[0].body) == 3000
