"""How the platform reads answers (lenient Gson) and what the user sees."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.platform import outcome, read_answer, substitute
from harness.protocol import load_fixture
from harness.protocol import read_lenient as read

INTENT = json.loads(load_fixture("book_table_shape_b"))
PASSTHROUGH = json.loads(load_fixture("passthrough"))


@pytest.mark.parametrize(
    ("text", "value", "lenient"),
    [
        ('{"text":"hi"}', {"text": "hi"}, []),
        ("{'text':'hi'}", {"text": "hi"}, ["single-quoted string"]),
        ("{text: hi}", {"text": "hi"}, ["unquoted name", "unquoted string"]),
        ('\ufeff{"a":1}', {"a": 1}, ["byte order mark"]),
        (')]}\'\n{"a":1}', {"a": 1}, ["non-execute prefix )]}'"]),
        ('{"a":1,"a":2}', {"a": 2}, ["duplicate key"]),
        ('{"a":1 // note\n}', {"a": 1}, ["comment"]),
        ('{"a":1 # note\n}', {"a": 1}, ["comment"]),
        ('{"a":/* c */1}', {"a": 1}, ["comment"]),
        (
            "{a=1;b=>2}",
            {"a": 1, "b": 2},
            ["unquoted name", "'=' between name and value", "';' between members"],
        ),
        ('{"a":TRUE}', {"a": True}, ["upper-case keyword"]),
        ("[1;2]", [1, 2], ["';' between elements"]),
        ('{"a":"\\u00e9\\n"}', {"a": "é\n"}, []),
    ],
)
def test_lenient_reader_accepts_what_gson_accepts(
    text: str, value: Any, lenient: list[str]
) -> None:
    result = read(text)
    assert result.error is None
    assert result.value == value
    assert result.lenient == lenient


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"text":"ok"} trailing', "JSON document was not fully consumed."),
        ('{"text":"ok"}{}', "JSON document was not fully consumed."),
        ('{"a":', "End of input at line 1 column 6 path $.a"),
        ('{"a":"open', "Unterminated string at line 1 column 11 path $.a"),
        ('{"a":"\\x"}', "Invalid escape sequence at line 1 column 9 path $.a"),
        ("{,}", "Expected name at line 1 column 3 path $"),
        ('{"a":1,}', "Expected name at line 1 column 8 path $"),
        ("", "End of input at line 1 column 1 path $"),
        ('{"a":1 /* open', "Unterminated comment at line 1 column 8 path $"),
    ],
)
def test_lenient_reader_refuses_what_gson_refuses(text: str, error: str) -> None:
    result = read(text)
    assert result.error is not None
    assert error in result.error


def codes(body: bytes, passthrough: bool = False) -> list[str]:
    return [i.code for i in read_answer(body, passthrough=passthrough).findings]


@pytest.mark.parametrize(
    ("body", "expected", "failed"),
    [
        (b'{"text":"ok"}', [], False),
        (b"{}", [], False),
        (b"", ["BW102"], True),
        (b"null", ["BW102"], True),
        (b"[]", ["BW103"], True),
        (b'"text"', ["BW103"], True),
        (b"<html>", ["BW103"], True),
        (b'{"text":{}}', ["BW104"], True),
        (b'{"facebook_multi":{}}', ["BW104"], True),
        (b'{"facebook":"x"}', ["BW104"], True),
        (
            b'{"context":{"variables":{"a":{"value":"1"},"a":{"value":"2"}}}}',
            ["BW205", "BW104"],
            True,
        ),
        (b'{"context":{"variables":{"a":{"lifespan_turns":"x"}}}}', ["BW104"], True),
        (b'{"text":123}', ["BW205"], False),
        (b'{"text":true}', ["BW205"], False),
        (
            b'{"context":{"variables":{"a":{"value":"1","lifespan_turns":"3"}}}}',
            ["BW205", "BW207"],
            False,
        ),
        (b'{"context":{"a":"b"}}', ["BW201"], False),
        (b'{"text":"' + b"x" * 641 + b'"}', ["BW202"], False),
        (b'{"text":"' + b"x" * 640 + b'"}', [], False),
        (b'{"facebook":{"quick_replies":[{"title":"a"}]}}', ["BW203"], False),
        (
            b'{"facebook":{"quick_replies":[{"content_type":"button","title":"a"}]}}',
            ["BW203"],
            False,
        ),
        (
            b'{"facebook":{"attachment":{"type":"template","payload":{"template_type":"carousel"}}}}',
            ["BW204"],
            False,
        ),
        (
            b'{"facebook":{"attachment":{"type":"template","payload":{"buttons":[{"type":"call"}]}}}}',
            ["BW204"],
            False,
        ),
        (b'{"txt":"a"}', ["BW206"], False),
        (b'{"facebook":{"txt":"a"}}', ["BW206"], False),
        (b'{"webhook_token":"abc"}', ["BW207"], False),
        (b'{"context":{"intent_score":0.5}}', ["BW207"], False),
    ],
)
def test_answer_reading(body: bytes, expected: list[str], failed: bool) -> None:
    answer = read_answer(body, passthrough=False)
    assert [i.code for i in answer.findings] == expected
    assert (answer.failure is not None) == failed
    if failed:
        assert answer.failure == "Failed to deserialize webhook response JSON"


def test_unknown_key_suggests_the_known_one() -> None:
    (finding,) = read_answer(b'{"facebok":{}}', passthrough=False).findings
    assert "did you mean 'facebook'" in finding.message


def test_context_is_ignored_on_passthrough() -> None:
    assert codes(b'{"text":"a","context":{"variables":{}}}', passthrough=True) == ["BW207"]


def test_charset_is_honoured() -> None:
    answer = read_answer(
        '{"text":"café"}'.encode("latin-1"),
        "application/json; charset=ISO-8859-1",
        passthrough=False,
    )
    assert answer.data == {"text": "café"}


def test_dropped_enum_values_disappear_from_the_data() -> None:
    answer = read_answer(
        b'{"facebook":{"quick_replies":[{"content_type":"x","title":"a"}]}}', passthrough=False
    )
    assert answer.data == {"facebook": {"quick_replies": [{"title": "a"}]}}


def ok(body: bytes) -> Any:
    return read_answer(body, passthrough=False)


def test_outcome_text_replaces_the_intent_response_then_substitutes() -> None:
    result = outcome(INTENT, ok(b'{"text":"Booked for $guests, $cuisine."}'))
    assert result.ok
    assert result.user_text == "Booked for 4, italian."
    assert result.token_stored


@pytest.mark.parametrize("body", [b"{}", b'{"text":""}', b'{"text":null}'])
def test_outcome_empty_text_keeps_the_intent_response(body: bytes) -> None:
    result = outcome(INTENT, ok(body))
    assert result.user_text == "Great, I'll book a table for 4 people."


def test_outcome_whitespace_text_replaces() -> None:
    assert outcome(INTENT, ok(b'{"text":" "}')).user_text == " "


def test_outcome_context_update_rules() -> None:
    body = json.dumps(
        {
            "text": "You chose $cuisine for $day",
            "context": {
                "variables": {
                    "cuisine": {"value": "thai", "lifespan_turns": 2},  # existing: replaced
                    "guests": {"value": None},  # existing + null: deleted
                    "day": {"value": "Friday"},  # new: added
                    "ghost": {"value": None},  # new + null: ignored
                    "gone": None,  # null entry: delete (absent anyway)
                }
            },
        }
    ).encode()
    result = outcome(INTENT, ok(body))
    assert result.context == {"cuisine": "thai", "day": "Friday"}
    assert result.user_text == "You chose thai for Friday"


def test_outcome_flat_context_changes_nothing() -> None:
    result = outcome(INTENT, ok(b'{"text":"$cuisine","context":{"cuisine":"thai"}}'))
    assert result.context == {"guests": "4", "cuisine": "italian"}
    assert result.user_text == "italian"


def test_outcome_failure_keeps_the_intent_response_and_context() -> None:
    result = outcome(INTENT, ok(b"[]"))
    assert not result.ok
    assert result.user_text == "Great, I'll book a table for 4 people."
    assert result.failure == "Failed to deserialize webhook response JSON"
    assert not result.token_stored
    status = outcome(INTENT, None, "Webhook call failed (HTTP code 500)")
    assert status.failure == "Webhook call failed (HTTP code 500)"
    assert "the intent's own response" in status.describe()


def test_outcome_passthrough() -> None:
    good = outcome(PASSTHROUGH, read_answer(b'{"text":"$x as is"}', passthrough=True))
    assert good.user_text == "$x as is"
    failed = outcome(PASSTHROUGH, None, "Webhook call failed (HTTP code 404)")
    assert failed.chat_api_error == "400 Error in external webhook call"
    assert "the chat API answers 400" in failed.describe()


def test_outcome_rich_content_facebook_multi_wins() -> None:
    body = b'{"facebook":{"text":"one"},"facebook_multi":[{"text":"a"},{"text":"b"}]}'
    assert outcome(INTENT, ok(body)).rich == [{"text": "a"}, {"text": "b"}]
    assert outcome(INTENT, ok(b'{"facebook":{"text":"one"}}')).rich == [{"text": "one"}]


def test_substitute_prefers_longer_names() -> None:
    assert substitute("$a $ab", {"a": "1", "ab": "2"}) == "1 2"
