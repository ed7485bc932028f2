"""Issue 28: a check's calls run on its own workers, with no thread handoff, and the
deadline still holds: a call that passes it is abandoned at the timeout, its output
kept, the handler never called twice, and the run goes on without it."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

from bw_handlers import SECRET, conforming, reply

from harness import deliver, load_target, run_check

HANG = 3.0


def _recording(hang_on: str | None = None) -> tuple[Any, list[tuple[str, str, bytes]]]:
    """A conforming handler that notes the thread and body of every call, and hangs
    (after a print) on the intent ``hang_on``."""
    seen: list[tuple[str, str, bytes]] = []

    def answer(payload: dict[str, Any]) -> Any:
        body = json.dumps(payload, sort_keys=True).encode()
        seen.append((threading.current_thread().name, payload.get("intentName", ""), body))
        if payload.get("intentName") == hang_on:
            print("thinking about", hang_on)
            time.sleep(HANG)
        return reply({"text": "ok"})

    return conforming(answer), seen


def test_a_checks_calls_run_on_its_workers_without_a_handoff() -> None:
    app, seen = _recording()
    before = {t.name for t in threading.enumerate()}
    report = run_check(load_target(app), secret=SECRET)
    assert report.exit_code() == 0, report.findings
    assert seen
    assert {name for name, _, _ in seen} == {"botwebhook-worker"}
    started = {t.name for t in threading.enumerate()} - before
    assert "botwebhook-call" not in started  # no thread was started to hand calls to


def test_a_call_past_its_deadline_is_abandoned_and_the_run_goes_on() -> None:
    app, seen = _recording(hang_on="colour")
    target = load_target(app, capture=True)
    started = time.monotonic()
    report = run_check(target, secret=SECRET, timeout=0.5)
    elapsed = time.monotonic() - started
    late = [e for e in report.exchanges if e.delivery.timed_out]
    assert late, "the colour calls time out"
    assert all(e.variant.startswith("colour") or "colour" in e.scenario for e in late), [
        (e.scenario, e.variant) for e in late
    ]
    assert elapsed < HANG, elapsed  # abandoned at 0.5 s, not waited for
    assert all(e.delivery.elapsed >= 0.5 for e in late)  # the platform waited that long
    for exchange in late:  # what the handler wrote before its deadline stays with the call
        assert "thinking about colour" in exchange.delivery.output
    # The item was handed to a new worker, which replayed it: the handler saw each
    # body once, not once per worker that held the item.
    colour = Counter(body for _, intent, body in seen if intent == "colour")
    assert len(colour) == len(late)
    assert set(colour.values()) == {1}
    assert len(report.exchanges) == len({(e.scenario, e.variant) for e in report.exchanges})
    assert any("past their deadline, each holding a thread" in n for n in report.notes)


def test_a_call_abandoned_after_a_redirect_replays_the_redirect() -> None:
    """The worker that takes over an item replays the calls that had returned (here a
    307) and gives the stuck one its timeout: the handler sees each path once."""
    paths: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        paths.append(path)
        environ["wsgi.input"].read()
        if path == "/":
            start_response("307 Temporary Redirect", [("Location", "/slow")])
            return [b""]
        print("on my way")
        time.sleep(HANG)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"text": "late"}']

    report = run_check(
        load_target(app, capture=True), secret=SECRET, timeout=0.5, intents=["colour"]
    )
    exchange = report.exchanges[0]
    assert exchange.delivery.timed_out
    assert exchange.delivery.hops == ["307 to https://localhost/slow: POST again with the body"]
    assert "on my way" in exchange.delivery.output
    assert Counter(paths)["/"] == Counter(paths)["/slow"]  # one each per call, no replays


def test_a_call_on_its_own_is_bounded_too() -> None:
    """Outside a run's workers (a test's call, a fuzz example) the call is handed to a
    kept thread, and abandoned at the timeout just the same."""
    app, seen = _recording(hang_on="colour")
    from harness import build_payload

    body = build_payload(intent="colour", seed=2)
    started = time.monotonic()
    exchange = deliver(load_target(app, capture=True), body, secret=SECRET, timeout=0.3)
    assert exchange.delivery.timed_out
    assert time.monotonic() - started < HANG
    assert [name for name, _, _ in seen] == ["botwebhook-call"]
    assert "thinking about colour" in exchange.delivery.output
