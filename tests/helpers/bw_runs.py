"""One run of every command, as a :class:`~harness.checks.Result`, for tests that hold
what every output of every command does."""

from __future__ import annotations

from typing import Any

from harness import build_payload, deliver, fuzz, load_target, run_check
from harness.checks import Result
from harness.conversations import ConversationRun, ConversationSpec, TurnSpec, run_conversation
from harness.model import builtin_model
from harness.replay import CassetteEntry, ReplayRun, replay_entry


def _broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"boom"]


def _load_result(thresholds: list[str]) -> Result:
    import importlib

    LoadResult = importlib.import_module("harness.load._report").LoadResult  # no Locust needed
    step = {"users": 5, "requests": 100, "rps": 20.0, "ok_rps": 20.0, "p50": 12.0,
            "p95": 30.0, "p99": 40.0, "fallback_share": 0.0, "within_budget": True}  # fmt: skip
    data = {"url": "http://127.0.0.1:1/", "secret": "none", "seed": 0, "interrupted": False,
            "requests": 100, "elapsed": 5.0, "rps": 20.0, "ok_rps": 20.0, "p50": 12.0,
            "p95": 30.0, "p99": 40.0, "max": 50.0, "by_code": {}, "fallbacks": 0,
            "fallback_share": 0.0, "steps": [step]}  # fmt: skip
    result: Result = LoadResult(data, 10.0, thresholds)
    return result


def every_run(target: Any, failing: bool, secret: str) -> dict[str, Result]:
    """One result of each command (check, fuzz, converse, replay, load), against the
    reference handler ``target`` (signed with ``secret``) or, ``failing``, a handler
    that answers every call with a 500."""
    app = load_target(_broken) if failing else target
    report = run_check(app, secret=secret, probes=False)
    fuzzed = fuzz(app, secret=secret, examples=5, seed=1, database=None, save_dir=None)
    spec = ConversationSpec(
        name="colour",
        path="test.conversation.yaml",
        index=0,
        line=1,
        model=builtin_model(),
        language=None,
        channel="api",
        client_variables={},
        turns=(TurnSpec("my favourite colour is red"),),
    )
    chat = ConversationRun([run_conversation(spec, app, secret=secret)], {"target": "app"})
    sent = build_payload(intent="colour", seed=1)
    got = deliver(target, sent, secret=secret).received
    assert got is not None
    entry = CassetteEntry("POST", "https://bot.example/hook", [], sent.body, got.status,
                          list(got.headers.items()), got.body)  # fmt: skip
    replayed = ReplayRun([replay_entry(entry, app, name="x[0]", secret=secret, twice=False)])
    load = _load_result(["p99 12 s is over --max-p99 1 s"] if failing else [])
    return {"check": report, "fuzz": fuzzed, "converse": chat, "replay": replayed, "load": load}
