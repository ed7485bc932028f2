"""The fast writer is byte-identical to the reference Gson writer."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocol import gson_dumps as dumps
from harness.protocol import gson_dumps_fast as dumps_fast

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=20,
)


def floats_in(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats_in(v)]
    return []


@settings(max_examples=300)
@given(json_values)
def test_fast_writer_matches_reference(value: Any) -> None:
    assert dumps_fast(value, floats_in(value)) == dumps(value)


@given(st.text(max_size=20))
def test_lone_surrogates_fall_back_to_java_behaviour(text: str) -> None:
    assert dumps_fast({"q": text}, []) == dumps({"q": text})
