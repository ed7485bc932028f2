"""The fuzzer: shrinking to minimal failing payloads, reproducibility, reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bw_handlers as H
import pytest

from harness import FuzzReport, fuzz, load_target
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
    assert report.first_failure is not None, report.render()
    return json.loads(report.first_failure.exchange.sent.body)


def test_reference_handler_survives() -> None:
    report = run(make_app(secret=SECRET), examples=300, seed=7)
    assert report.ok, report.render()
    # A survey first: two valid payloads of each of the catalogue's 12 intents.
    assert report.phases == {"survey": 24, "valid": 300, "attacker": 300}
    assert report.examples == 624
    report.assert_ok()


def test_shrinks_to_the_emoji() -> None:
    from harness.model import EMOJI

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
    assert first.first_failure is not None
    assert second.first_failure is not None
    assert first.first_failure.exchange.sent.body == second.first_failure.exchange.sent.body
    assert first.examples == second.examples


def test_database_replays_a_found_failure_first(tmp_path: Path) -> None:
    received: list[bytes] = []

    def noting(payload: dict[str, Any]) -> bool:
        received.append(json.dumps(payload).encode())
        return payload.get("language") == "PT"

    it = planted(noting)
    found = fuzz(load_target(it), secret=SECRET, examples=300, database=tmp_path / "db")
    assert found.first_failure is not None
    received.clear()
    again = fuzz(load_target(it), secret=SECRET, examples=300, database=tmp_path / "db")
    assert again.first_failure is not None
    assert again.first_failure.exchange.sent.body == found.first_failure.exchange.sent.body
    # replayed before any new example: the very first call of the run
    first = received[again.phases["survey"]]  # the first call after the survey
    assert first == json.dumps(json.loads(found.first_failure.exchange.sent.body)).encode()


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
    assert report.first_failure is not None
    assert report.first_failure.saved is not None
    assert report.first_failure.saved.read_bytes() == report.first_failure.exchange.sent.body
    assert "reproduce with:" in text
    assert SECRET not in text
    with pytest.raises(AssertionError, match="BW401"):
        report.assert_ok()


def test_bad_examples_argument() -> None:
    from harness import BotWebhookError

    with pytest.raises(BotWebhookError, match="for examples, got 0"):
        run(H.GOOD, examples=0)


# -- phases, distinct failures, bounded reports ------------------------------------------------


def _two_bugs(payload: dict[str, Any]) -> Any:
    """KeyError on an unfilled optional variable, TypeError on a Facebook chat."""
    for variable in payload["variablesMap"].values():
        variable["value"]
    if "clientVariables" not in payload:
        raise TypeError("planted: no clientVariables")
    return H.reply({"text": "ok"})


TWO_BUGS = H.conforming(_two_bugs)


def test_each_distinct_failure_is_reported_and_shrunk_on_its_own() -> None:
    report = run(TWO_BUGS, examples=300, seed=2)
    raised = {f.exchange.received.exception.split(":")[0] for f in report.failures}  # type: ignore[union-attr]
    assert raised == {"KeyError", "TypeError"}, report.render()
    assert all(f.code == "BW401" and f.phase == "valid" for f in report.failures)
    text = report.render()
    assert "2 distinct failures" in text
    assert "1. FAILED in the valid phase" in text
    assert "2. FAILED in the valid phase" in text
    for failure in report.failures:
        variant = failure.exchange.variant
        # each shrunk to its own cause: the plainest variant that still has it
        assert "emoji" not in variant, variant
        assert "non_ascii" not in variant, variant


def test_a_malformed_failure_never_hides_a_crash_on_a_valid_payload() -> None:
    @H.Request.application  # type: ignore[arg-type]
    def both(request: Any) -> Any:
        payload = json.loads(request.get_data())  # parses first: BW402 for anyone
        if not H.signed_ok(request.get_data(), request.headers.get("X-Hub-Signature")):
            return H.reply({"error": "signature"}, 401)
        return _two_bugs(payload)

    report = run(both, examples=200, seed=3)
    phases = [f.phase for f in report.failures]
    assert "valid" in phases, report.render()
    assert "attacker" in phases, report.render()
    assert phases == sorted(phases, key=["valid", "attacker"].index)  # valid ones first
    assert report.first_failure is report.failures[0]
    assert report.first_failure.exchange.expect == "contract"


def test_a_shrunk_malformed_body_is_minimal_and_the_report_is_bounded() -> None:
    report = run(H.PARSES_FIRST, examples=200, seed=4)
    # It crashes three ways (a body that is not JSON, too deep, not UTF-8): each found is
    # its own failure, shrunk on its own.
    assert {f.code for f in report.failures} == {"BW402"}
    kinds = {f.exchange.received.exception.split(":")[0]: f for f in report.failures}  # type: ignore[union-attr]
    assert len(kinds["JSONDecodeError"].exchange.sent.body) <= 2  # b"" or b"[]"
    if "UnicodeDecodeError" in kinds:
        assert len(kinds["UnicodeDecodeError"].exchange.sent.body) <= 10  # {"q":"\xff"}
    assert len(report.render().splitlines()) < 40 * len(report.failures)


def _report_of(body: bytes) -> str:
    from harness import deliver
    from harness.checks import FuzzFailure

    exchange = deliver(load_target(H.PARSES_FIRST), body, expect="malformed")
    failure = FuzzFailure(exchange, "attacker")
    return FuzzReport("app", "none", 0, 1, 0.0, failures=[failure]).render()


def test_printed_bodies_are_bounded() -> None:
    deep = _report_of(b"[" * 3000 + b"]" * 3000)
    assert len(deep.splitlines()) < 60
    assert "more characters)" in deep  # what was cut is said
    huge = _report_of(b'{"query":"' + b"x" * 300_000 + b'"}')
    assert len(huge) < 14_000  # the payload, the curl command and the rest, each bounded


def test_the_saved_body_never_follows_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "fuzz-BW402-1.body").symlink_to(outside)
    report = fuzz(
        load_target(H.PARSES_FIRST),
        secret=SECRET,
        examples=100,
        seed=4,
        database=None,
        save_dir=folder,
    )
    assert report.first_failure.saved == folder / "fuzz-BW402-1.body"
    assert not report.first_failure.saved.is_symlink()
    assert report.first_failure.saved.read_bytes() == report.first_failure.exchange.sent.body  # type: ignore[union-attr]
    assert outside.read_text() == "keep me"


def test_a_handler_slower_than_the_timeout_stops_being_called() -> None:
    from harness.checks import MAX_TIMEOUTS

    report = run(H.SLOW, examples=200, seed=1, timeout=0.05)
    assert report.gave_up == ["valid", "attacker"] or report.gave_up == ["valid"]
    assert report.phases["valid"] <= MAX_TIMEOUTS + 1
    assert [f.code for f in report.failures][:1] == ["BW105"]
    assert "stopped calling the target after 5 timed-out calls" in report.render()


def test_the_default_save_folder_ignores_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.checks import DEFAULT_SAVE_DIR

    monkeypatch.chdir(tmp_path)
    report = fuzz(
        load_target(H.PARSES_FIRST), secret=SECRET, examples=50, seed=4, save_dir=DEFAULT_SAVE_DIR
    )
    assert report.first_failure is not None
    assert report.first_failure.saved is not None
    assert report.first_failure.saved.parent == DEFAULT_SAVE_DIR
    assert (tmp_path / ".botwebhook" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not any(p.name.startswith("botwebhook-fuzz") for p in tmp_path.iterdir())


def test_a_long_run_makes_every_example_in_runs_of_a_thousand() -> None:
    """Issue 28: Hypothesis keeps every example of a run in memory, so a long phase is
    made of runs of at most 1,000 examples; together they make all that were asked."""
    report = run(H.conforming(), examples=2100, seed=3)
    assert report.ok, report.render()
    assert report.phases["valid"] == 2100
    assert report.phases["attacker"] == 2100
