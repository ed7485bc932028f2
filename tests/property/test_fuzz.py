"""The fuzzer: shrinking to minimal failing payloads, reproducibility, reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bw_handlers as H
import pytest

from harness import load_target
from harness._fuzz import fuzz
from harness.reference import make_app

SECRET = H.SECRET


def planted(condition: Any) -> Any:
    """A conforming handler that crashes when ``condition(payload)`` holds."""

    def answer(payload: dict[str, Any]) -> Any:
        try:
            hit = condition(payload)
        except (KeyError, TypeError, AttributeError):  # not a platform payload at all
            hit = False
        if hit:
            raise RuntimeError("planted bug")
        return H.reply({"text": "ok"})

    return H.conforming(answer)


def run(app: Any, **kw: Any) -> Any:
    return fuzz(load_target(app), secret=SECRET, database=None, **kw)


def shrunk(report: Any) -> Any:
    assert report.failure is not None, report.render()
    return json.loads(report.failure.sent.body)


def test_reference_handler_survives() -> None:
    report = run(make_app(secret=SECRET), examples=300, seed=7)
    assert report.ok, report.render()
    assert report.phases == {"valid": 300, "attacker": 300}
    assert report.examples == 600
    report.assert_ok()


def test_shrinks_to_the_emoji() -> None:
    from harness._langdata import EMOJI

    emoji = planted(lambda p: any(e in p["chatResult"]["query"] for e in EMOJI))
    body = shrunk(run(emoji, examples=400, seed=1))
    request_variant = body["intentName"], body["chatResult"]["query"]
    assert body["intentName"] == "colour", request_variant  # the first intent
    assert "chatId" not in body["chatResult"]  # shape A
    assert "config" not in body
    assert "clientVariables" in body  # not the Facebook variant
    assert "intents" not in body["chatResult"]
    assert body["language"] == "EN"


def test_shrinks_to_the_unfilled_optional_variable() -> None:
    def unfilled(p: dict[str, Any]) -> bool:
        return any("value" not in v for v in p.get("memoryVariables", []))

    body = shrunk(run(planted(unfilled), examples=400, seed=2))
    assert body["intentName"] == "book_table"  # the first intent with an optional variable
    assert "chatId" not in body["chatResult"]
    assert "config" not in body
    assert "intents" not in body["chatResult"]
    assert body["chatResult"]["query"].isascii()  # plain text


def test_shrinks_to_shape_a() -> None:
    body = shrunk(run(planted(lambda p: "chatId" not in p["chatResult"]), examples=200, seed=3))
    assert body["intentName"] == "colour"
    assert "config" not in body
    assert body["chatResult"]["timestamp"] == 0


def test_same_seed_same_run() -> None:
    flaky = planted(lambda p: p.get("language") == "IT")
    first = run(flaky, examples=300, seed=11)
    second = run(flaky, examples=300, seed=11)
    assert first.failure is not None
    assert second.failure is not None
    assert first.failure.sent.body == second.failure.sent.body
    assert first.examples == second.examples


def test_database_replays_a_found_failure_first(tmp_path: Path) -> None:
    it = planted(lambda p: p.get("language") == "PT")
    found = fuzz(load_target(it), secret=SECRET, examples=300, database=tmp_path / "db")
    assert found.failure is not None
    again = fuzz(load_target(it), secret=SECRET, examples=300, database=tmp_path / "db")
    assert again.failure is not None
    assert again.examples <= found.examples  # replayed before any new example
    assert again.failure.sent.body == found.failure.sent.body


def test_signature_and_malformed_properties() -> None:
    assert "BW301" in run(H.ANY_SIGNATURE, examples=300, seed=4).render()
    assert "BW302" in run(H.NO_SIGNATURE_OK, examples=300, seed=4).render()
    assert "BW402" in run(H.PARSES_FIRST, examples=300, seed=4).render()
    # Verifies first: the malformed bodies that crash it need the secret to get in.
    assert run(H.CRASHES_ON_GARBAGE, examples=300, seed=4).ok


def test_slow_handler_is_bw105_not_a_hypothesis_error() -> None:
    report = run(H.SLOW, examples=5, seed=1, timeout=0.1)
    assert "BW105" in report.render()


def test_report_saves_the_body_and_shows_a_reproducer(tmp_path: Path) -> None:
    report = fuzz(
        load_target(H.CRASHES_ON_UNFILLED),
        secret=SECRET,
        examples=400,
        seed=5,
        database=None,
        save_dir=tmp_path,
    )
    text = report.render()
    assert report.exit_code() == 1
    assert "BW401 error" in text
    assert "KeyError: 'value'" in text
    assert report.saved is not None
    assert report.saved.read_bytes() == report.failure.sent.body
    assert "reproduce with:" in text
    assert SECRET not in text
    with pytest.raises(AssertionError, match="BW401"):
        report.assert_ok()


def test_bad_examples_argument() -> None:
    from harness import BotWebhookError

    with pytest.raises(BotWebhookError, match="for examples, got 0"):
        run(H.GOOD, examples=0)
