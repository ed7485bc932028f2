"""The reference handler never answers 5xx, whatever arrives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from harness import sign
from harness.protocol import load_fixture
from harness.reference import make_app

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
CLIENT = Client(make_app(secret=SECRET, max_body=4096))
VALID = [load_fixture(n) for n in ("colour_shape_a", "book_table_shape_b", "passthrough")]

bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(VALID),
    st.sampled_from(VALID).map(lambda b: b[: len(b) // 2]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "intentName",
                        "variablesMap",
                        "memoryVariables",
                        "chatResult",
                        "label",
                        "value",
                        "query",
                        "colour",
                    ]
                )
                | st.text(max_size=5),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ).map(lambda v: __import__("json").dumps(v).encode()),
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    body=bodies,
    signature=st.one_of(st.none(), st.just("valid"), header_text),
    content_type=st.one_of(st.none(), header_text),
)
def test_never_a_5xx(
    method: str, body: bytes, signature: str | None, content_type: str | None
) -> None:
    headers = {}
    if signature == "valid":
        signature = sign(body, SECRET)
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = CLIENT.open("/", method=method, data=body, headers=headers)
    assert response.status_code < 500
    if response.status_code != 200:
        assert response.json is not None
        assert "error" in response.json
