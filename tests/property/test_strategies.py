"""The public strategies: schema-valid output, byte-exactness, registration, errors."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import harness.strategies as bst
from harness import BotModel, Payload, verify
from harness.model import IntentSpec, VariableSpec
from harness.platform import read_answer
from harness.protocol import (
    ChatResult,
    MemoryVariable,
    WebhookRequest,
    WebhookResponse,
    load_schema,
)

REQUEST = jsonschema.Draft202012Validator(load_schema("request"))
RESPONSE = jsonschema.Draft202012Validator(load_schema("response"))


@settings(max_examples=150)
@given(bst.payloads(kinds=("intent", "passthrough")))
def test_payloads_are_schema_valid_and_byte_exact(payload: Payload) -> None:
    assert not list(REQUEST.iter_errors(json.loads(payload.body)))
    assert WebhookRequest.from_bytes(payload.body).to_bytes() == payload.body


@settings(max_examples=40)
@given(
    bst.payloads(
        model=BotModel(
            (IntentSpec("ping", variables=(VariableSpec("who", "sys.person", mandatory=False),)),),
            languages=("FR",),
        )
    )
)
def test_payloads_for_a_user_model(payload: Payload) -> None:
    assert payload.variant.intent == "ping"
    assert payload.variant.language == "FR"
    assert payload.variant.shape == "A"  # no mandatory variable: never shape B


@settings(max_examples=150)
@given(bst.responses())
def test_responses_are_schema_valid_and_finding_free(response: WebhookResponse) -> None:
    body = response.to_bytes()
    assert not list(RESPONSE.iter_errors(json.loads(body)))
    answer = read_answer(body, passthrough=False)
    assert answer.failure is None
    assert [i.code for i in answer.findings] == []
    assert WebhookResponse.from_bytes(body) == response


@given(bst.variables())
def test_variables_round_trip(variable: MemoryVariable) -> None:
    assert MemoryVariable.from_json(variable.to_json()) == variable


@given(bst.chat_results())
def test_chat_results_round_trip(chat: ChatResult) -> None:
    data = chat.to_json()
    jsonschema.Draft202012Validator(
        load_schema("request")["$defs"]["chatResult"] | {"$defs": load_schema("request")["$defs"]}
    ).validate(data)
    assert ChatResult.from_json(data) == chat


@settings(max_examples=60)
@given(bst.malformed_bodies())
def test_malformed_bodies_are_not_valid_requests(body: bytes) -> None:
    from harness.errors import InvalidPayloadError

    with pytest.raises(InvalidPayloadError):
        WebhookRequest.from_bytes(body)


def test_huge_malformed_bodies_are_bytes_that_hypothesis_does_not_keep() -> None:
    """Hypothesis keeps the ``bytes`` a run drew with the examples it caches, and only
    weak references to other values; a 300 kB body drawn by every hundredth example
    of a 10,000-example fuzz run held 16 MB until the run ended (bench/memory.py)."""
    import weakref

    found = []

    @settings(max_examples=200, database=None)
    @given(bst.malformed_bodies())
    def collect(body: bytes) -> None:
        assert isinstance(body, bytes)
        if len(body) >= 100_000:
            found.append(body)

    collect()
    assert found, "no huge body drawn in 200 examples"
    huge = found[0]
    assert bytes(huge).startswith(b'{"query":"')
    assert type(huge) is not bytes  # so it is not kept
    with pytest.raises(TypeError):
        weakref.ref(huge)  # nor weakly referenced: not recorded at all


@given(st.data())
def test_signatures(data: st.DataObject) -> None:
    body = b'{"a":1}'
    good = data.draw(bst.signatures(valid=True, body=body, secret="k"))
    assert verify(body, good, "k")
    bad = data.draw(bst.signatures(valid=False, body=body, secret="k"))
    assert not verify(body, bad, "k")


@settings(max_examples=10)
@given(
    st.from_type(WebhookRequest),
    st.from_type(MemoryVariable),
    st.from_type(ChatResult),
    st.from_type(WebhookResponse),
    st.from_type(Payload),
)
def test_registered_for_from_type(
    request: WebhookRequest,
    variable: MemoryVariable,
    chat: ChatResult,
    response: WebhookResponse,
    payload: Payload,
) -> None:
    assert isinstance(request, WebhookRequest)
    assert isinstance(variable, MemoryVariable)
    assert isinstance(chat, ChatResult)
    assert isinstance(response, WebhookResponse)
    assert isinstance(payload, Payload)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: bst.payloads(kinds="intent"), "kinds='intent' must be a non-empty sequence"),
        (lambda: bst.payloads(kinds=("robot",)), "kinds contains 'robot'"),
        (lambda: bst.payloads(shapes=("P",)), "shapes contains 'P'"),
        (lambda: bst.payloads(model="bot.toml"), "must be a harness.BotModel"),  # type: ignore[arg-type]
        (lambda: bst.chat_results(shapes=()), "shapes=() must be a non-empty sequence"),
        (lambda: bst.signatures(valid=True), "needs body=... and secret=..."),
    ],
)
def test_options_are_validated_eagerly(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        make()
