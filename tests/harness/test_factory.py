"""The payload factory: variants, realism, byte-exactness, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import jsonschema
import pytest

from harness import BotModel, Payload, PayloadFactory, build_payload
from harness.errors import PayloadOptionError
from harness.model import (
    FEATURES,
    TEXT_VARIANTS,
    IntentSpec,
    VariableSpec,
    builtin_model,
    edge_values,
)
from harness.protocol import LANGUAGES, WebhookRequest, load_schema

VALIDATOR = jsonschema.Draft202012Validator(load_schema("request"))
ESCAPABLE = set("'<>&=")


def features_seen(body: dict[str, Any]) -> set[str]:
    """What the bytes alone show, independently of the factory's own bookkeeping."""
    seen = set()
    if "clientVariables" not in body:
        seen.add("facebook")
    if "config" in body:
        seen.add("config")
    if "intents" in body["chatResult"]:
        seen.add("chained")
    variables = body.get("memoryVariables", [])
    command = [
        v for v in variables
        if v["entity"] == "sys.any" and v["max_prompts"] == 0 and "value_type" not in v
        and v.get("value") == body["chatResult"]["query"]
    ]  # fmt: skip
    if command:
        seen.add("sys_any_command")
    bare = [v for v in variables if v["max_prompts"] == 0 and "value_type" not in v]
    if variables and len(bare) == len(variables) and not (command and len(variables) == 1):
        seen.add("trigger")
    if any(not v["mandatory"] and "value" not in v for v in variables):
        seen.add("unfilled_optional")
    return seen


def check_payload(payload: Payload, model: BotModel | None = None) -> None:
    body = json.loads(payload.body)
    assert not list(VALIDATOR.iter_errors(body)), payload
    request = WebhookRequest.from_bytes(payload.body)
    assert request.to_bytes() == payload.body
    variant = payload.variant
    chat = body["chatResult"]
    assert request.shape == variant.shape
    if variant.shape == "A":
        assert "chatId" not in chat
        assert chat["timestamp"] == 0
        assert all(v["times_prompted"] == 0 for v in body["memoryVariables"])
        captured = [v["value"] for v in body["memoryVariables"] if "value" in v]
        assert all(value in chat["query"] for value in captured), (captured, chat["query"])
    elif variant.shape == "B":
        assert chat["chatId"]
        assert chat["timestamp"] > 1_700_000_000_000
        assert chat["topicIn"] == chat["history"] == chat["topic_out"] == ""
        assert chat["elapsedTime"] == 0.0
        assert any(v["times_prompted"] > 0 for v in body["memoryVariables"])
    else:
        assert "intentName" not in body
        assert body["language"] == "EN"
        assert chat["score"] == 0.0
        assert chat["answer"] == ""
    if variant.intent is not None:
        assert body["intentName"] == variant.intent
        assert body["language"] == variant.language
        context = chat["context"]
        for v in body["memoryVariables"]:
            assert context.get(v["label"]) == v.get("value")
    seen = features_seen(body)
    if "edge_values" in variant.features:
        # Every value drawn is one of its variable's edge values (the bytes alone cannot
        # tell: a LIST entity's edge values are all its values).
        intent = (model or builtin_model()).intent(variant.intent or "")
        for v in body["memoryVariables"]:
            if "value" in v and not {"trigger", "sys_any_command"} & variant.features:
                pool = edge_values(intent.variable(v["label"]), variant.language)
                # sys.any is free text: the text variant shows in it too.
                assert not pool or any(v["value"].startswith(e) for e in pool), (v, pool)
        seen.add("edge_values")
    if seen ^ set(variant.features) == {"trigger", "sys_any_command"}:
        # One sys.any variable whose value is the whole query: the two paths send
        # identical bytes, so either name is right.
        assert len(body["memoryVariables"]) == 1
    else:
        assert seen == set(variant.features), (variant, seen)
    query = chat["query"]
    assert len(query) <= 1024
    if variant.text == "escaped":
        assert ESCAPABLE & set(query)
        assert any(e in payload.body for e in (b"\\u0027", b"\\u003c", b"\\u0026", b"\\u003d"))
    elif variant.text == "non_ascii":
        assert any(ord(c) > 127 for c in query)
    elif variant.text == "emoji":
        assert any(ord(c) > 0xFFFF or c == "\u2764" for c in query)
    elif variant.text == "max_length":
        assert len(query) == 1024


def test_default_mix_reaches_every_variant_and_all_are_valid() -> None:
    factory = PayloadFactory(seed=123)
    counts: Counter[str] = Counter()
    for _ in range(1500):
        payload = factory.build()
        check_payload(payload)
        variant = payload.variant
        counts.update(
            [
                f"shape:{variant.shape}",
                f"text:{variant.text}",
                f"language:{variant.language}",
                *variant.features,
            ]
        )
        if variant.intent is not None and "chained" not in variant.features:
            body = payload.json()
            if not body["memoryVariables"]:
                counts["no_variables"] += 1
    expected = (
        {f"shape:{s}" for s in "ABP"}
        | {f"text:{t}" for t in TEXT_VARIANTS}
        | {f"language:{lang}" for lang in LANGUAGES}
        | set(FEATURES)
        | {"no_variables"}
    )
    assert expected <= set(counts), expected - set(counts)


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_on_request(feature: str) -> None:
    factory = PayloadFactory(seed=7)
    for _ in range(20):
        payload = factory.build(**{feature: True})
        check_payload(payload)
        assert feature in payload.variant.features
        off = factory.build(**{feature: False})
        assert feature not in off.variant.features


@pytest.mark.parametrize("text", TEXT_VARIANTS)
@pytest.mark.parametrize("shape", ["A", "B", "P"])
def test_each_text_variant_on_each_shape(text: str, shape: str) -> None:
    factory = PayloadFactory(seed=8)
    for _ in range(10):
        payload = factory.build(text=text, shape=shape)  # type: ignore[arg-type]
        check_payload(payload)
        assert payload.variant.text == text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language(language: str) -> None:
    factory = PayloadFactory(seed=9)
    queries = []
    for _ in range(10):
        payload = factory.build(language=language, intent="colour", shape="A", text="plain")
        check_payload(payload)
        queries.append(payload.request.chat_result.query)
    colours = {
        "EN": "red green blue yellow",
        "ES": "rojo verde azul amarillo",
        "PT": "vermelho verde azul amarelo",
        "FR": "rouge vert bleu jaune",
        "NL": "rood groen blauw geel",
        "IT": "rosso verde blu giallo",
    }[language].split()
    assert all(any(c in q for c in colours) for q in queries), queries


def test_explicit_values_are_used_verbatim() -> None:
    payload = build_payload(intent="colour", values={"colour": "Blue-ish & <odd>"}, shape="A")
    variable = payload.request.variables["colour"]
    assert variable.value == "Blue-ish & <odd>"
    assert "Blue-ish & <odd>" in payload.request.chat_result.query


def test_answer_keeps_placeholders() -> None:
    payload = build_payload(intent="book_table", seed=3)
    assert "$guests" in payload.request.chat_result.answer


def test_shape_b_answers_the_last_prompted_variable() -> None:
    factory = PayloadFactory(seed=11)
    for _ in range(30):
        request = factory.build(intent="book_table", shape="B", text="plain").request
        prompted = [v for v in request.memory_variables or [] if v.times_prompted]
        assert prompted
        assert all(v.times_prompted <= v.max_prompts for v in prompted)
        assert prompted[-1].value is not None
        assert prompted[-1].value in request.chat_result.query


def test_sys_any_takes_the_raw_text() -> None:
    factory = PayloadFactory(seed=12)
    for _ in range(10):
        request = factory.build(intent="remember_note", shape="B", text="plain").request
        assert request.variables["note"].value == request.chat_result.query
        command = factory.build(intent="remember_note", sys_any_command=True).request
        note = command.variables["note"]
        assert note.value == command.chat_result.query
        assert note.max_prompts == 0
        assert note.value_type is None


def test_same_seed_same_bytes_different_seed_differs() -> None:
    def run(seed: int) -> list[bytes]:
        factory = PayloadFactory(seed=seed)
        return [factory.build().body for _ in range(50)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    code = (
        "import hashlib, harness\n"
        "f = harness.PayloadFactory(seed=42)\n"
        "h = hashlib.sha256(b''.join(f.build().body for _ in range(200)))\n"
        "print(h.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(hash_seed), "PATH": ""},
        ).stdout.strip()
        for hash_seed in (0, 1, 12345)
    }
    assert len(digests) == 1


def test_no_wall_clock_unless_injected(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> float:
        raise AssertionError("the factory read the wall clock")

    monkeypatch.setattr(time, "time", forbidden)
    monkeypatch.setattr(time, "time_ns", forbidden)
    factory = PayloadFactory(seed=5)
    for _ in range(100):
        factory.build()
    injected = PayloadFactory(seed=5, clock=lambda: 1_700_000_000.5)
    request = injected.build(shape="B").request
    assert request.chat_result.timestamp == 1_700_000_000_500


def test_user_model_with_regex_and_no_examples() -> None:
    model = BotModel(
        (
            IntentSpec(
                "ticket",
                responses=["Ticket $code noted."],
                variables=(
                    VariableSpec("code", "ticket", regex=r"TK-[0-9]{4}"),
                    VariableSpec("who", "sys.person", mandatory=False),
                ),
            ),
        ),
        languages=("NL",),
    )
    factory = PayloadFactory(model, seed=2)
    for _ in range(40):
        payload = factory.build()
        check_payload(payload, model)
        assert payload.variant.language == "NL"
        if payload.variant.shape != "P":
            code = payload.request.variables["code"].value
            assert code is not None
            assert code.startswith("TK-")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shape": "C"}, "unknown shape 'C' for shape"),
        ({"language": "en"}, "unknown language 'en' for language"),
        ({"text": "loud"}, "unknown text variant 'loud' for text"),
        ({"intent": "colour", "shape": "P"}, "a passthrough call has no intent"),
        ({"intent": "opening_hours", "shape": "B"}, "no mandatory variable to prompt for"),
        ({"intent": "colour", "unfilled_optional": True}, "no optional variable"),
        ({"intent": "colour", "sys_any_command": True}, "sys.any variable"),
        ({"shape": "P", "config": True}, "a passthrough call never carries it"),
        ({"shape": "B", "trigger": True}, "trigger=True with shape='B'"),
        ({"values": {"nope": "1"}}, "can have the variables nope"),
    ],
)
def test_impossible_options_are_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadOptionError, match=message):
        PayloadFactory(seed=0).build(**options)


def test_bad_arguments() -> None:
    from harness import BotWebhookError
    from harness.errors import BotModelError

    with pytest.raises(BotWebhookError, match="for seed"):
        PayloadFactory(seed="1")  # type: ignore[arg-type]
    with pytest.raises(BotWebhookError, match="expected a BotModel for model"):
        PayloadFactory({"intents": []})  # type: ignore[arg-type]
    with pytest.raises(BotModelError, match="did you mean 'colour'"):
        build_payload(intent="colur")
    with pytest.raises(BotWebhookError, match=r"values\['colour'\]"):
        build_payload(intent="colour", values={"colour": 3})


def test_payload_helpers() -> None:
    payload = build_payload(intent="colour", shape="A", seed=1)
    assert payload.json()["intentName"] == "colour"
    assert payload.signature("k").startswith("sha256=")
    assert repr(payload).startswith("<Payload colour-shapeA")
    assert payload.request is payload.request


_ON_A_DAY = """
import datetime as real, hashlib, sys
import faker.providers.date_time as clock

class Frozen(real.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(int(sys.argv[1]), 6, 15, 12, 0, tzinfo=tz)

clock.datetime = Frozen  # what Faker takes for the present
import harness
factory = harness.PayloadFactory(seed=42, clock=lambda: 1.7e9)
bodies = [factory.build(intent="book_table").body for _ in range(100)]
print(hashlib.sha256(b"".join(bodies)).hexdigest())
"""


def test_the_same_seed_gives_the_same_bytes_on_any_day() -> None:
    """Faker draws weekday and month names from a date between 1970 and now: the
    factory's values must not move with the calendar (a stored failing example
    replays the same call next year)."""
    digests = {
        subprocess.run([sys.executable, "-c", _ON_A_DAY, str(year)], capture_output=True,
                       text=True, check=True).stdout.strip()
        for year in (2021, 2026, 2031)
    }  # fmt: skip
    assert len(digests) == 1
