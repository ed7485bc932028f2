"""Conversation files collected by pytest, and ``botwebhook.conversation()`` in Python:
the booking example's suite, and each of its planted multi-turn defects."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BOOKING = ROOT / "examples" / "booking"


@pytest.fixture
def booking(pytester: pytest.Pytester) -> pytest.Pytester:
    """The booking example, copied as a user's repository would hold it."""
    for name in ("app.py", "botwebhook.toml", "conftest.py", "test_booking.conversation.yaml"):
        shutil.copy(BOOKING / name, pytester.path / name)
    pytester.makeini("[pytest]\npythonpath = .\naddopts = -p no:cacheprovider\n")
    return pytester


def test_the_example_suite_passes_one_item_per_conversation(booking: pytest.Pytester) -> None:
    collected = booking.runpytest("--collect-only", "-q")
    assert "test_booking.conversation.yaml::book in one sentence" in collected.stdout.str()
    result = booking.runpytest("-q")
    result.assert_outcomes(passed=6)


@pytest.mark.parametrize(
    ("defect", "fails", "shown"),
    [
        (
            "flat_context",
            "book after prompting, then track",
            ["turn 3 expected context_has:", "    expected: ['booking_id'] present"],
        ),
        (
            "no_delete",
            "cancel deletes the booking",
            ["turn 2 expected context_lacks:", "'booking_id': ''"],
        ),
        (
            "assumes_chat_id",
            "book in one sentence",
            ["BW401 error", "KeyError: 'chatId' at app.py", "Webhook call failed (HTTP code 500)"],
        ),
        (
            "wrong_token",
            "the table is ready later, on Facebook",
            ["turn 1 expected later:", "400 Invalid webhook session token"],
        ),
    ],
)
def test_each_planted_defect_fails_its_conversation_readably(
    booking: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    defect: str,
    fails: str,
    shown: list[str],
) -> None:
    monkeypatch.setenv("BOOKING_DEFECT", defect)
    result = booking.runpytest("-q", "-k", fails.split(",")[0].replace(" ", " and "))
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"conversation '{fails}' failed at turn" in out
    assert "  1 user: book" in out
    assert "  * bot:" in out
    for text in shown:
        assert text in out
    assert "reproduce turn" in out
    assert "curl -sS -i -X POST" in out
    assert "Traceback" not in out
    assert not re.search(r"harness/(\w+/)?_", out)  # no frame of ours


def test_a_broken_file_is_a_collection_error_naming_file_line_and_key(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".conversation.yaml",
        test_broken="name: x\nturns:\n  - user: I like red\n    expect: {bott: red}\n",
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "test_broken.conversation.yaml:4: turns[0].expect.bott: unknown key" in out
    assert "did you mean 'bot'?" in out
    assert "Traceback" not in out


def test_warnings_are_listed_and_a_missing_target_is_explained(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".conversation.yaml",
        test_colour="turns:\n  - user: I like red\n    expect: {webhook: true}\n",
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert "botwebhook: no target" in result.stdout.str()
    pytester.makeconftest(
        """
        import pytest
        from bw_handlers import SECRET, conforming, reply

        @pytest.fixture
        def botwebhook_target():
            return conforming(lambda p: reply({"text": "x" * 700}))

        @pytest.fixture
        def botwebhook_secret():
            return SECRET
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1)
    assert "BW202" in result.stdout.str()  # a warning, listed with the passing item
    strict = pytester.runpytest("-q", "-p", "no:cacheprovider", "--botwebhook-strict")
    strict.assert_outcomes(failed=1)
    assert "BW202" in strict.stdout.str()


def test_the_fixture_method_drives_a_conversation_from_python(pytester: pytest.Pytester) -> None:
    for name in ("app.py", "botwebhook.toml"):
        shutil.copy(BOOKING / name, pytester.path / name)
    pytester.makeini("[pytest]\npythonpath = .\n")
    pytester.makepyfile(
        """
        import pytest
        import app

        @pytest.fixture
        def botwebhook_target():
            return app.app

        @pytest.fixture
        def botwebhook_secret():
            return app.SECRET

        def test_book_then_cancel(botwebhook):
            chat = botwebhook.conversation()
            chat.say("book a table").expect(prompt="guests", webhook=False)
            chat.say("2").expect(prompt="cuisine")
            turn = chat.say("thai")  # not a cuisine of the model: asked again
            turn.expect(prompt="cuisine", bot="Which cuisine: japanese, italian or indian?")
            booked = chat.say("italian").expect(webhook=True, context_has=["booking_id"])
            assert booked.exchanges[0].received.status == 200
            assert booked.outcome.ok
            chat.say("cancel my booking").expect(context_lacks=["booking_id"])

        def test_a_wrong_expectation_fails_with_the_transcript(botwebhook):
            chat = botwebhook.conversation(channel="facebook")
            chat.say("book a japanese table for 2").expect(bot="nope")
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "  1 user: book a japanese table for 2" in out
    assert "expected bot:" in out
    assert "    expected: nope" in out


def test_the_plugins_fuzz_hunts_through_whole_conversations(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from bw_handlers import SECRET, conforming, reply

        def answer(payload):
            seen = "seen" in payload["chatResult"]["context"]
            if payload["intentName"] == "colour" and seen:
                return reply({"error": "boom"}, 500)
            return reply({"text": "ok", "context": {"variables": {"seen": {"value": "1"}}}})

        @pytest.fixture
        def botwebhook_target():
            return conforming(answer)

        @pytest.fixture
        def botwebhook_secret():
            return SECRET
        """
    )
    pytester.makepyfile(
        """
        import pytest_botwebhook

        test_fuzz = pytest_botwebhook.fuzz_suite(examples=5, conversations=60, seed=1)
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "botwebhook.Failed_BW401: generated conversation turn 2" in out
    assert "the chat until then:" in out
    assert "as a conversation file:" in out
    assert "name: 'found by fuzzing: fails at turn 2'" in out
    assert "      intent: colour" in out
