"""The conversation engine, rule by rule against docs/protocol.md, sections 4, 5 and 7, and
against the exact request bodies it produces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bw_handlers import SECRET, conforming, reply

from harness import BotModel
from harness.conversations import Conversation, ConversationError, ConversationFailed, Dialogue
from harness.model import IntentSpec, VariableSpec, builtin_model
from harness.protocol import WebhookRequest, gson_dumps

VECTOR = Path(__file__).parent.parent / "vectors" / "book_table_shape_b.json"
NOW = 1_795_000_000.123


def clock() -> float:
    return NOW


def shop() -> BotModel:
    """A bot with every kind of variable, prompts and an ``index`` order."""
    return BotModel(
        (
            IntentSpec(
                name="order",
                responses=("Order of $count $item on the way.",),
                examples=("order $count $item", "I want some $item"),
                variables=(
                    VariableSpec(
                        "item", "item", values=("tea", "green tea", "coffee"), index=1,
                        prompts=("What would you like?",),
                    ),
                    VariableSpec(
                        "count", "sys.number", index=0, max_prompts=2,
                        prompts=("How many?", "Sorry, how many?"),
                    ),
                    VariableSpec("code", "voucher", regex=r"V-[0-9]{4}", mandatory=False),
                    VariableSpec("note", "sys.any", index=2, prompts=("Any note?",)),
                ),
            ),
            IntentSpec(name="hello", responses=("Hi!",), examples=("hello", "hi there")),
            IntentSpec(name="status", responses=("Status: $state",), examples=("status",)),
        ),
        source="shop",
    )  # fmt: skip


def body(payload: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload.body)
    return data


# -- the session -----------------------------------------------------------------------


def test_one_chat_session_per_conversation_and_a_chat_id_once_prompted() -> None:
    chat = Dialogue(shop(), clock=clock, seed=3)
    assert chat.chat_id is None
    chat.plan("hello")
    first = body(chat.webhook_body("hello", "hello"))
    assert "chatId" not in first["chatResult"]  # shape A: no prompting yet
    plan = chat.plan("I want some tea")
    assert plan.prompt is not None
    assert plan.prompt.label == "count"
    chat_id = chat.chat_id
    assert chat_id is not None
    chat.plan("2")
    assert chat.plan("no onions").fulfilled == ("order",)
    later = body(chat.webhook_body("order", "no onions"))
    assert later["chatResult"]["chatId"] == chat_id
    assert later["chatSession"] == first["chatSession"] == chat.chat_session
    assert later["webhook_token"] != first["webhook_token"]  # new for each call
    assert later["chatResult"]["timestamp"] == int(NOW * 1000)  # the injected clock, in ms


def test_the_same_seed_gives_the_same_bodies() -> None:
    def run() -> bytes:
        chat = Dialogue(shop(), clock=clock, seed=7)
        chat.plan("order 2 tea", entities={"note": "x"})
        return chat.webhook_body("order", "order 2 tea").body

    assert run() == run()


# -- section 7: prompting and filling ------------------------------------------------------


def test_mandatory_empty_variables_are_prompted_in_index_order_with_their_prompts() -> None:
    chat = Dialogue(shop(), clock=clock)
    plan = chat.plan("I want some coffee")
    assert plan.captured == {"item": "coffee"}
    assert plan.prompt is not None
    assert (plan.prompt.label, plan.prompt.text) == (
        "count",
        "How many?",
    )
    slots = {s.spec.label: s for s in chat.memory["order"]}
    assert (slots["count"].times_prompted, slots["count"].requested) == (1, True)
    # An answer without a number: the same variable again, with prompts[times_prompted].
    plan = chat.plan("lots")
    assert plan.prompt is not None
    assert plan.prompt.text == "Sorry, how many?"
    assert slots["count"].times_prompted == 2
    plan = chat.plan("make it 3 please")
    assert plan.captured == {"count": "3"}
    assert slots["count"].requested is False
    assert plan.prompt is not None
    assert plan.prompt.label == "note"


def test_prompts_past_the_list_reuse_the_first() -> None:
    model = BotModel(
        (IntentSpec("ask", ("ok",), (VariableSpec("n", "sys.number", prompts=("N?",)),)),)
    )
    chat = Dialogue(model)
    chat.plan("x", ["ask"])
    assert chat.plan("no").prompt.text == "N?"  # type: ignore[union-attr]
    assert chat.plan("still no").prompt.text == "N?"  # type: ignore[union-attr]


def test_the_answer_fills_only_the_requested_variable() -> None:
    chat = Dialogue(shop())
    chat.plan("I want some tea")  # prompts for count
    plan = chat.plan("2 coffee")  # a number and another item: only count is filled
    assert plan.captured == {"count": "2"}
    assert chat.context["item"] == "tea"
    with pytest.raises(ConversationError, match="fills only the requested variable") as info:
        chat.plan("V-1234", entities={"code": "V-1234"})
    assert info.value.key == "entities.code"


@pytest.mark.parametrize(
    ("label", "answer", "value"),
    [
        ("count", "make it 12, thanks", "12"),  # sys.number: the number in the text
        ("item", "Green Tea please", "green tea"),  # LIST: the matching value, as the model has it
        ("note", "  Ring twice, please  ", "  Ring twice, please  "),  # sys.any: the raw text
    ],
)
def test_fill_rules(label: str, answer: str, value: str) -> None:
    chat = Dialogue(shop())
    given = {"count": "1", "item": "tea", "note": "n"}
    del given[label]
    chat.plan("order", ["order"], given)
    chat.plan(answer)
    assert chat.context[label] == value


def test_sys_any_prompted_takes_the_whole_text_even_when_it_looks_like_an_intent() -> None:
    chat = Dialogue(shop())
    chat.plan("order 2 tea")
    plan = chat.plan("hello")  # answers the prompt for note; no intent is matched
    assert plan.fulfilled == ("order",)
    assert chat.context["note"] == "hello"


def test_no_webhook_on_prompting_turns_and_none_when_the_prompts_run_out() -> None:
    chat = Dialogue(shop())
    assert chat.plan("I want some tea").fulfilled == ()
    assert chat.plan("no idea").fulfilled == ()
    plan = chat.plan("still no idea")  # max_prompts 2 for count: the platform gives up
    assert (plan.fulfilled, plan.prompt, plan.gave_up) == ((), None, "count")
    assert chat.pending is None
    assert chat.plan("hello").fulfilled == ("hello",)  # the chat goes on


def test_reset_on_entry_empties_variables_when_the_intent_starts_again() -> None:
    keep = VariableSpec("city", "sys.places", reset_on_entry=False, prompts=("Where?",))
    reset = VariableSpec("day", "sys.date", prompts=("When?",))
    model = BotModel((IntentSpec("trip", ("ok",), (keep, reset)),))
    chat = Dialogue(model)
    chat.plan("go", ["trip"], {"city": "Rome", "day": "today"})
    plan = chat.plan("again", ["trip"])
    assert plan.prompt is not None
    assert plan.prompt.label == "day"
    assert body(chat.webhook_body("trip", "x"))["variablesMap"]["city"]["value"] == "Rome"


# -- exact bodies ---------------------------------------------------------------------


def test_shape_a_on_the_first_sentence_is_exact() -> None:
    chat = Dialogue(shop(), clock=clock)
    chat.plan("order 2 green tea", entities={"note": "ring"})
    payload = chat.webhook_body("order", "order 2 green tea")
    data = body(payload)
    assert list(data["chatResult"]) == [
        "score", "query", "answer", "elapsedTime", "context", "timestamp", "rich_answer",
    ]  # fmt: skip
    assert data["chatResult"]["timestamp"] == 0
    assert [v["label"] for v in data["memoryVariables"]] == ["count", "code", "item", "note"]
    assert [v["index"] for v in data["memoryVariables"]] == [0, 0, 1, 2]  # by index
    assert all(v["times_prompted"] == 0 and not v["requested"] for v in data["memoryVariables"])
    assert "value" not in data["variablesMap"]["code"]  # the unfilled optional variable
    assert data["chatResult"]["context"] == {"count": "2", "item": "green tea", "note": "ring"}
    assert payload.variant.shape == "A"
    assert WebhookRequest.from_bytes(payload.body).to_bytes() == payload.body


def test_shape_b_matches_the_platform_vector_byte_for_byte() -> None:
    """The shape-B vector: guests from the first sentence, cuisine prompted once."""
    vector = VECTOR.read_bytes()
    expected = json.loads(vector)
    chat = Dialogue(builtin_model(), clock=lambda: expected["chatResult"]["timestamp"] / 1000)
    chat.plan("book a table for 4", ["book_table"], {"guests": "4"})
    assert chat.plan("italian please").fulfilled == ("book_table",)
    data = body(chat.webhook_body("book_table", "italian please"))
    for key in ("score", "chatId"):
        data["chatResult"][key] = expected["chatResult"][key]
    for key in ("clientVariables", "originatingAiid", "chatSession", "webhook_token"):
        data[key] = expected[key]
    assert data["chatResult"]["timestamp"] == expected["chatResult"]["timestamp"]
    assert gson_dumps(data) == vector


def test_passthrough_sends_every_turn_in_shape_p() -> None:
    chat = Dialogue(shop(), passthrough=True, clock=clock)
    chat.plan("anything at all")
    data = body(chat.passthrough_body("anything at all"))
    assert set(data) == {
        "chatResult", "clientVariables", "originatingAiid", "chatSession", "webhook_token",
        "language",
    }  # fmt: skip
    assert data["chatResult"]["score"] == 0.0
    assert data["chatResult"]["answer"] == ""
    assert data["language"] == "EN"


def test_facebook_chats_have_no_client_variables_and_api_chats_have_them() -> None:
    facebook = Dialogue(shop(), channel="facebook")
    facebook.plan("hello")
    assert "clientVariables" not in body(facebook.webhook_body("hello", "hello"))
    api = Dialogue(shop(), client_variables={"plan": "premium"})
    api.plan("hello")
    assert body(api.webhook_body("hello", "hello"))["clientVariables"] == {"plan": "premium"}
    with pytest.raises(ConversationError, match="only for API chats"):
        Dialogue(shop(), channel="facebook", client_variables={"plan": "x"})


# -- the matcher --------------------------------------------------------------------------


def test_the_matcher_ignores_case_spacing_and_end_punctuation() -> None:
    chat = Dialogue(shop())
    plan = chat.plan("  ORDER   3  Green TEA!! ")
    assert plan.fulfilled == ()
    assert plan.intents == ("order",)
    assert plan.captured == {"count": "3", "item": "green tea"}


@pytest.mark.parametrize(
    ("text", "why"),
    [("what is this", "no example of the model matches it"), ("hello", "several intents")],
)
def test_an_unknown_or_ambiguous_sentence_asks_for_intent(text: str, why: str) -> None:
    model = shop()
    if text == "hello":  # a second intent with the same example
        model = BotModel((*model.intents, IntentSpec("greet", ("Yo",), examples=("Hello",))))
    with pytest.raises(ConversationError, match=why) as info:
        Dialogue(model).plan(text)
    assert "add intent:" in str(info.value)


def test_an_entity_the_model_cannot_have_is_refused() -> None:
    with pytest.raises(ConversationError, match="not a value of entity 'item'") as info:
        Dialogue(shop()).plan("order", ["order"], {"item": "beer"})
    assert info.value.key == "entities.item"
    with pytest.raises(ConversationError, match="does not match"):
        Dialogue(shop()).plan("order", ["order"], {"code": "X-1"})


# -- the platform's answer handling, through a handler ----------------------------------------


def _context_bot(payload: dict[str, Any]) -> Any:
    name = payload["intentName"]
    if name == "hello":
        return reply(
            {"text": "Hi! $state", "context": {"variables": {"state": {"value": "ready"}}}}
        )
    if name == "status":
        return reply({"context": {"variables": {"state": {"value": None}}}})
    return reply({"text": "ok"})


def test_context_updates_carry_over_turns_deletion_by_null_and_substitution_after() -> None:
    with Conversation(conforming(_context_bot), model=shop(), secret=SECRET) as chat:
        chat.say("hello").expect(bot="Hi! ready", context={"state": "ready"}, webhook=True)
        sent = json.loads(chat.say("status").exchanges[0].sent.body)
        assert sent["chatResult"]["context"] == {"state": "ready"}  # carried into the request
        assert chat.turns[-1].context == {}  # deleted by null
        assert chat.turns[-1].bot == "Status: $state"  # own response; nothing to substitute


def test_a_failed_call_shows_the_intents_response_and_keeps_the_context() -> None:
    def bot(payload: dict[str, Any]) -> Any:
        if payload["intentName"] == "status":
            return reply({"text": "never seen"}, 201)
        return _context_bot(payload)

    with Conversation(conforming(bot), model=shop(), secret=SECRET) as chat:
        chat.say("hello")
        turn = chat.say("status")
        assert turn.bot == "Status: ready"  # the intent's own response, substituted
        assert turn.context == {"state": "ready"}  # unchanged
        assert [f.code for f in turn.errors] == ["BW101"]
        with pytest.raises(ConversationFailed) as info:
            turn.expect(bot="Status: ready")  # the expectation holds; the contract does not
        text = str(info.value)
        assert "BW101" in text
        assert "curl" in text
        assert "  2 user: status" in text


def test_passthrough_failure_is_the_chat_apis_400() -> None:
    def bot(payload: dict[str, Any]) -> Any:
        return reply({"text": payload["chatResult"]["query"].upper()}, 200)

    with Conversation(conforming(bot), model=shop(), secret=SECRET, passthrough=True) as chat:
        assert chat.say("anything").expect(webhook=True).bot == "ANYTHING"
    broken = conforming(lambda p: reply({"text": "x"}, 500))
    with Conversation(broken, model=shop(), secret=SECRET, passthrough=True) as chat:
        turn = chat.say("anything")
        assert turn.chat_api_error == "400 Error in external webhook call"


def test_chained_intents_fire_one_webhook_each_and_the_last_answer_wins() -> None:
    with Conversation(
        conforming(lambda p: reply({"text": f"from {p['intentName']}"})), model=shop(),
        secret=SECRET,
    ) as chat:  # fmt: skip
        turn = chat.say("hello, status?", intent=["hello", "status"])
        assert [json.loads(e.sent.body)["intentName"] for e in turn.exchanges] == [
            "hello", "status",
        ]  # fmt: skip
        second = json.loads(turn.exchanges[1].sent.body)["chatResult"]["intents"]
        assert [i["name"] for i in second] == ["hello", "status"]
        turn.expect(bot="from status", webhook=True)


def test_expectations_report_expected_against_actual_with_the_transcript() -> None:
    with Conversation(conforming(_context_bot), model=shop(), secret=SECRET) as chat:
        chat.say("I want some tea").expect(prompt="count", webhook=False, bot="How many?")
        with pytest.raises(ConversationFailed) as info:
            chat.say("2").expect(prompt="item")
        text = str(info.value)
        assert "  1 user: I want some tea" in text
        assert "[prompt: count]" in text
        assert "expected prompt:\n    expected: item\n    actual:   note" in text
        assert "called no webhook" in text


# -- callbacks -------------------------------------------------------------------------------


def _calls_back(payload: dict[str, Any]) -> Any:
    import threading

    import requests

    def later() -> None:
        url = f"https://api.hutoma.ai/v1/ai/chat/webhook/callback/{payload['chatSession']}"
        requests.post(url, json={"text": "Done!", "webhook_token": payload["webhook_token"]})

    threading.Thread(target=later, daemon=True).start()
    return reply({"text": "Working on it"})


def test_a_later_message_through_the_callback_api_is_caught() -> None:
    with Conversation(
        conforming(_calls_back), model=shop(), secret=SECRET, channel="facebook"
    ) as chat:
        turn = chat.say("hello").expect(bot="Working on it", later="^Done!$")
        assert turn.later == ["Done!"]


def test_a_refused_callback_is_reported_without_waiting_the_whole_timeout() -> None:
    chat = Conversation(conforming(_calls_back), model=shop(), secret=SECRET, later_timeout=30)
    with chat, pytest.raises(ConversationFailed) as info:  # an API chat: no callback served
        chat.say("hello").expect(later="Done")
    assert "400 Session not supported for callback" in str(info.value)


def test_the_handlers_other_requests_still_reach_the_tests_own_mock() -> None:
    import requests
    import responses

    def bot(payload: dict[str, Any]) -> Any:
        sky = requests.get("https://weather.example/now", timeout=5).json()["sky"]
        return reply({"text": sky})

    with responses.RequestsMock() as mock:
        mock.get("https://weather.example/now", json={"sky": "sunny"})
        with Conversation(conforming(bot), model=shop(), secret=SECRET) as chat:
            chat.say("hello").expect(bot="sunny")


def test_a_callback_that_beats_the_recording_of_its_webhook_waits_for_it() -> None:
    """Over the network, a callback can arrive before the webhook call that carried its
    token is recorded; the platform stores the token first, so the mock waits."""
    import threading

    from harness import CallbackMock

    mock = CallbackMock()
    session, token = "a" * 64, "b" * 64
    mock.webhook_started(session)
    answers: list[int] = []
    body = json.dumps({"text": "later", "webhook_token": token}).encode()
    caller = threading.Thread(
        target=lambda: answers.append(mock.handle(session, body, over_network=True)[0])
    )
    caller.start()
    caller.join(0.2)
    assert answers == []  # still waiting for the webhook call in flight
    mock.open_session(session, token)
    mock.webhook_ended(session)
    caller.join(5)
    assert answers == [200]
