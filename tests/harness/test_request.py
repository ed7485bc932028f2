"""The request model: byte-exact round trips, shapes, strict parsing, building in code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import harness
import harness.errors
import harness.protocol
from harness.errors import InvalidPayloadError
from harness.protocol import ChatResult, MemoryVariable, WebhookRequest, fixture_names, load_fixture

REQUESTS = fixture_names("request")


@pytest.mark.parametrize("name", REQUESTS)
def test_every_request_fixture_round_trips_byte_exact(name: str) -> None:
    body = load_fixture(name)
    assert WebhookRequest.from_bytes(body).to_bytes() == body
    assert not body.endswith(b"\n")


def test_shape_b_vector_is_reproduced_exactly(shared_vectors: Path) -> None:
    body = (shared_vectors / "book_table_shape_b.json").read_bytes()
    assert len(body) == 1951
    request = WebhookRequest.from_bytes(body)
    assert request.to_bytes() == body
    assert request.shape == "B"
    assert load_fixture("book_table_shape_b") == body


@pytest.mark.parametrize(
    ("name", "shape", "kind"),
    [
        ("colour_shape_a", "A", "intent"),
        ("book_table_shape_b", "B", "intent"),
        ("passthrough", "P", "passthrough"),
    ],
)
def test_shape_and_kind(name: str, shape: str, kind: str) -> None:
    request = harness.protocol.load_request(name)
    assert request.shape == shape
    assert request.kind == kind


def test_variants_in_the_fixtures_are_what_their_names_say() -> None:
    assert harness.protocol.load_request("facebook_chat").client_variables is None
    assert b"clientVariables" not in load_fixture("facebook_chat")
    no_vars = harness.protocol.load_request("no_variables")
    assert no_vars.memory_variables == []
    assert no_vars.variables_map == {}
    date = harness.protocol.load_request("unfilled_optional").variables["date"]
    assert not date.filled
    assert not date.mandatory
    assert b'"label":"date"' in load_fixture("unfilled_optional")
    config = harness.protocol.load_request("with_config").config
    assert config is not None
    assert config.api_keys
    assert b"\\u0027" in load_fixture("escaped_text")
    assert "🍕".encode() in load_fixture("escaped_text")


def test_parsed_values_are_typed() -> None:
    request = harness.protocol.load_request("book_table_shape_b")
    assert request.intent_name == "book_table"
    assert request.chat_result.score == 0.87654321
    assert isinstance(request.chat_result.elapsed_time, float)
    assert request.chat_result.timestamp == 1568901234567
    assert request.chat_result.answer == "Great, I'll book a table for $guests people."
    assert list(request.variables) == ["date", "guests", "cuisine"]
    assert request.variables["guests"].value == "4"
    assert request.variables["date"].value is None


def _vector() -> dict[str, object]:
    data: dict[str, object] = json.loads(load_fixture("book_table_shape_b"))
    return data


@pytest.mark.parametrize(
    ("mutate", "path", "problem"),
    [
        (lambda d: d.__setitem__("extra", 1), "$.extra", "unknown key"),
        (lambda d: d.__setitem__("intentNme", "x"), "$.intentNme", "did you mean 'intentName'"),
        (lambda d: d.pop("chatSession"), "$.chatSession", "missing required key"),
        (lambda d: d.__setitem__("language", "en"), "$.language", "uppercase"),
        (lambda d: d.__setitem__("chatSession", "ABC"), "$.chatSession", "64 lowercase hex"),
        (
            lambda d: d["chatResult"].__setitem__("score", "high"),
            "$.chatResult.score",
            "expected a number",
        ),
        (lambda d: d["chatResult"].__setitem__("score", 1.5), "$.chatResult.score", "outside"),
        (lambda d: d["chatResult"].__setitem__("query", "q" * 1025), "$.chatResult.query", "1024"),
        (
            lambda d: d["chatResult"].__setitem__("chatId", "3F2B8C1E-9D4A-4B7E-A1C2-5E6F7A8B9C0D"),
            "$.chatResult.chatId",
            "lowercase",
        ),
        (
            lambda d: d["memoryVariables"][0].__setitem__("times_prompted", True),
            "$.memoryVariables[0].times_prompted",
            "expected an integer",
        ),
        (
            lambda d: d["memoryVariables"][0].__setitem__("value", None),
            "$.memoryVariables[0].value",
            "leaves a key out",
        ),
        (
            lambda d: d["chatResult"]["context"].__setitem__("x", None),
            "$.chatResult.context.x",
            "null map entries",
        ),
        (
            lambda d: d["variablesMap"]["guests"].__setitem__("value", "5"),
            "$.variablesMap.guests",
            "differs",
        ),
        (lambda d: d["variablesMap"].pop("date"), "$.variablesMap", "'date'"),
        (lambda d: d.pop("memoryVariables"), "$.memoryVariables", "missing"),
        (lambda d: d.pop("intentName"), "$.memoryVariables", "without intentName"),
        (lambda d: d.__setitem__("intentName", "book table"), "$.intentName", "does not match"),
    ],
)
def test_strict_parse_errors_name_the_path(mutate, path: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    data = _vector()
    mutate(data)
    with pytest.raises(InvalidPayloadError, match=problem) as info:
        WebhookRequest.from_json(data)
    assert info.value.path == path


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty document"),
        (b"   ", "empty document"),
        (b"[]", "expected an object"),
        (b"null", "expected an object"),
        (b'{"a":', "invalid JSON at line 1 column 6"),
        (b"\xff{}", "not UTF-8: byte 0xff at offset 0"),
        ("\ufeff{}".encode(), "byte order mark"),
        (b'{"language":"EN","language":"EN"}', "duplicate key"),
        (b'{"x": NaN}', "invalid JSON"),
    ],
)
def test_bad_bytes_raise_invalid_payload(body: bytes, problem: str) -> None:
    with pytest.raises(InvalidPayloadError, match=problem):
        WebhookRequest.from_bytes(body)


def test_from_bytes_rejects_non_bytes_with_a_hint() -> None:
    with pytest.raises(harness.errors.BotWebhookTypeError, match=r"for data, got 42 \(int\)"):
        WebhookRequest.from_bytes(42)  # type: ignore[arg-type]


def test_errors_are_in_one_tree() -> None:
    assert issubclass(InvalidPayloadError, harness.errors.ProtocolError)
    assert issubclass(InvalidPayloadError, ValueError)
    assert issubclass(harness.errors.ProtocolError, harness.BotWebhookError)
    assert issubclass(harness.errors.BotWebhookTypeError, TypeError)


def test_building_in_code_reproduces_the_vector() -> None:
    guests = MemoryVariable(entity="sys.number", value="4", label="guests")
    cuisine = MemoryVariable(entity="cuisine", value="italian", label="cuisine", times_prompted=1)
    date = MemoryVariable(entity="sys.date", label="date", mandatory=False)
    assert guests.system_entity
    assert guests.value_type == "SYS"
    assert not cuisine.system_entity
    assert cuisine.value_type == "LIST"
    request = WebhookRequest.intent(
        intent_name="book_table",
        variables=[guests, cuisine, date],
        chat_result=ChatResult(
            topic_in="",
            score=0.87654321,
            query="italian please",
            answer="Great, I'll book a table for $guests people.",
            history="",
            elapsed_time=0,
            context={"guests": "4", "cuisine": "italian"},
            topic_out="",
            chat_id="3f2b8c1e-9d4a-4b7e-a1c2-5e6f7a8b9c0d",
            timestamp=1568901234567,
        ),
        client_variables={"customer_id": "C-1001"},
        originating_aiid="bd2700ff-279b-4bac-ad2f-85a5275ac073",
        chat_session="3a92d9cb71e517f72d5e177ae44777c88b92c7e94f4e0a81bc27a8ed42bf6347",
        webhook_token="f15991a1248eeab9d7ce41f6a34debcc0e376d4da0a0eb4a56939b7385f78915",
    )
    assert request.to_bytes() == load_fixture("book_table_shape_b")


def test_trigger_path_variable_has_no_value_type() -> None:
    variable = MemoryVariable(entity="sys.any", label="cmd", value_type=None, max_prompts=0)
    assert "value_type" not in variable.to_json()


def test_missing_required_constructor_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="entity"):
        MemoryVariable(label="x")  # type: ignore[call-arg]


def _rebuilt(request: WebhookRequest) -> WebhookRequest:
    """``request`` built again from its values through the shape constructors, the way
    the payload factory and the dialogue build theirs."""
    chat = request.chat_result
    common = {
        "originating_aiid": request.originating_aiid,
        "chat_session": request.chat_session,
        "webhook_token": request.webhook_token,
        "client_variables": request.client_variables,
    }
    if request.shape == "P":
        rebuilt = ChatResult.passthrough(query=chat.query, chat_id=chat.chat_id or "",
                                         timestamp=chat.timestamp)  # fmt: skip
        return WebhookRequest.passthrough(chat_result=rebuilt, **common)
    if request.shape == "A":
        rebuilt = ChatResult.first_turn(
            query=chat.query, answer=chat.answer, score=chat.score,
            elapsed_time=chat.elapsed_time, context=chat.context, intents=chat.intents,
        )  # fmt: skip
    else:
        rebuilt = ChatResult.later_turn(
            query=chat.query, answer=chat.answer, score=chat.score, context=chat.context,
            chat_id=chat.chat_id or "", timestamp=chat.timestamp, intents=chat.intents,
        )  # fmt: skip
    return WebhookRequest.intent(
        intent_name=request.intent_name or "",
        variables=request.memory_variables or [],
        chat_result=rebuilt,
        config=request.config,
        language=request.language,
        **common,
    )


@pytest.mark.parametrize(
    "name", ["colour_shape_a", "book_table_shape_b", "passthrough", "with_config"]
)
def test_the_one_writer_builds_every_shape_byte_exact(name: str, shared_vectors: Path) -> None:
    """Shapes A, B and P built from typed values come out as the platform writes them
    (the shape B body is the protocol's own vector)."""
    body = load_fixture(name)
    if name == "book_table_shape_b":
        body = (shared_vectors / "book_table_shape_b.json").read_bytes()
    assert _rebuilt(WebhookRequest.from_bytes(body)).to_bytes() == body


def test_the_writer_takes_the_slow_path_for_free_json() -> None:
    """``action`` and ``rich_answer`` hold any JSON (floats included): written exactly."""
    request = harness.protocol.load_request("colour_shape_a")
    chat = dataclasses.replace(request.chat_result, rich_answer={"ratio": 1e-7, "n": None})
    body = dataclasses.replace(request, chat_result=chat).to_bytes()
    assert b'"rich_answer":{"ratio":1.0E-7}' in body
