"""The strict response model."""

from __future__ import annotations

import pytest

import harness
import harness.protocol
from harness.errors import InvalidResponseError
from harness.protocol import (
    ContextVariable,
    MessageNode,
    QuickReply,
    WebhookResponse,
    fixture_names,
    load_fixture,
)


@pytest.mark.parametrize("name", fixture_names("response"))
def test_every_response_fixture_round_trips(name: str) -> None:
    body = load_fixture(name)
    assert WebhookResponse.from_bytes(body).to_bytes() == body


def test_context_update_keeps_null_values_that_mean_delete() -> None:
    response = harness.protocol.load_response("response_context_update")
    assert response.context is not None
    assert response.context.variables is not None
    assert response.context.variables["last_question"] == ContextVariable(value=None)
    assert b'"value":null' in response.to_bytes()


def test_context_values_helper_builds_the_nested_form() -> None:
    update = WebhookResponse.context_values({"a": "1", "b": None})
    assert WebhookResponse(context=update).to_json() == {
        "context": {"variables": {"a": {"value": "1"}, "b": {"value": None}}}
    }


def test_null_members_read_as_absent() -> None:
    assert WebhookResponse.from_bytes(b'{"text":null}') == WebhookResponse()


def test_empty_object_is_a_valid_response() -> None:
    assert WebhookResponse.from_bytes(b"{}").to_bytes() == b"{}"


def test_building_rich_content_in_code() -> None:
    node = MessageNode(text="Pick one", quick_replies=[QuickReply(title="Red", payload="RED")])
    body = WebhookResponse(facebook=node).to_bytes()
    assert body == (
        b'{"facebook":{"text":"Pick one","quick_replies":'
        b'[{"content_type":"text","title":"Red","payload":"RED"}]}}'
    )


@pytest.mark.parametrize(
    ("body", "path", "problem"),
    [
        (b'{"text":{}}', "$.text", "expected a string"),
        (b'{"facebook_multi":{}}', "$.facebook_multi", "expected an array"),
        (b'{"txt":"hi"}', "$.txt", "did you mean 'text'"),
        (
            b'{"context":{"variables":{"a":{"value":1}}}}',
            "$.context.variables.a.value",
            "expected a string",
        ),
        (b"[]", "$", "expected an object"),
    ],
)
def test_strict_response_errors(body: bytes, path: str, problem: str) -> None:
    with pytest.raises(InvalidResponseError, match=problem) as info:
        WebhookResponse.from_bytes(body)
    assert info.value.path == path
