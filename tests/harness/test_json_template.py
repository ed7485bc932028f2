"""Templates: a struct's bytes with holes write exactly what its one writer writes.

The payload factory builds bodies from templates (issue 28), so every value the
factory can put in a hole is checked here against ``to_json`` + the Gson writer:
strings with Gson's HTML escapes, control characters, U+2028, non-ASCII and lone
surrogates; doubles; maps in ``HashMap`` order.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import PayloadFactory
from harness.model import VariableSpec
from harness.model._layouts import chat_template, memory_variable
from harness.protocol import ChatResult, MemoryVariable, WebhookRequest, gson_dumps
from harness.protocol._gson_writer import java_map
from harness.protocol._json_template import JsonTemplate, finish, map_layout, string_text

# Every character, surrogates too: the writers must agree on all of them.
texts = st.text(st.characters(codec=None, categories=None), max_size=30) | st.sampled_from(
    ["<a href='x'>&=</a>", "\u2028\u2029", '\x00\x1f\x7f"\\', "\ud800", "São 東京 🎉"]
)


@given(value=texts, times=st.integers(0, 2**31 - 1), bare=st.booleans())
def test_a_variable_filled_in_its_template_is_the_one_writers_bytes(
    value: str, times: int, bare: bool
) -> None:
    spec = VariableSpec("city", "sys.places")
    template = JsonTemplate.of(
        memory_variable(spec, "v", times_prompted=1, bare=bare), "value", "times_prompted"
    )
    written = memory_variable(spec, value, times_prompted=times, bare=bare).to_json()
    assert finish(template.fill(string_text(value), times)) == gson_dumps(written)


@given(
    query=texts,
    answer=texts,
    score=st.floats(0.5, 1.0, exclude_min=True, exclude_max=True),
    elapsed=st.integers(12, 400),
    context=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), texts, max_size=5),
)
def test_a_chat_result_filled_in_its_template_is_the_one_writers_bytes(
    query: str, answer: str, score: float, elapsed: int, context: dict[str, str]
) -> None:
    chat = ChatResult.first_turn(query=query, answer=answer, score=score,
                                 elapsed_time=elapsed / 1000, context=context)  # fmt: skip
    encoded = {key: string_text(value) for key, value in context.items()}
    text = chat_template("A", False).fill(
        repr(score), string_text(query), string_text(answer), repr(elapsed / 1000),
        map_layout(tuple(encoded)).texts(encoded),
    )  # fmt: skip
    assert finish(text) == gson_dumps(chat.to_json())


@given(st.dictionaries(texts, texts, max_size=12))
def test_a_map_layout_writes_a_hashmap_as_the_platform_does(mapping: dict[str, str]) -> None:
    assert finish(map_layout(tuple(mapping)).strings(mapping)) == gson_dumps(java_map(mapping))


def test_a_hole_must_hold_a_value_and_holes_come_in_wire_order() -> None:
    unfilled = MemoryVariable(entity="sys.places", label="city")
    with pytest.raises(ValueError, match="value is a hole but holds None"):
        JsonTemplate.of(unfilled, "value")
    filled = MemoryVariable(entity="sys.places", label="city", value="x")
    with pytest.raises(ValueError, match="not in wire order"):
        JsonTemplate.of(filled, "label", "value")


def test_a_fill_takes_text_verbatim_even_with_percent_signs_and_braces() -> None:
    spec = VariableSpec("tip", "sys.percent")
    template = JsonTemplate.of(memory_variable(spec, "v"), "value")
    value = "50% {x} %s {}"
    assert finish(template.fill(string_text(value))) == gson_dumps(
        memory_variable(spec, value).to_json()
    )


@pytest.mark.parametrize(
    "value", ["<b>&'='</b>", "line\u2028break", "tab\tand\x00nul", "lone \udc80 half", "🎉 ok"]
)
def test_explicit_values_of_any_text_round_trip_through_the_one_writer(value: str) -> None:
    factory = PayloadFactory(seed=3)
    for shape in ("A", "B"):
        payload = factory.build(intent="weather", shape=shape, values={"city": value})
        assert WebhookRequest.from_bytes(payload.body).to_bytes() == payload.body
        if "\udc80" not in value:  # a lone surrogate is sent as "?", as Java writes it
            assert payload.request.variables["city"].value == value
