"""Payloads mutated from recorded ones (``botwebhook fuzz --seed-from``): what the
platform really sent, with one thing the chat user controls changed.

Every mutation keeps the body a valid platform request, written platform-exact:
the query becomes other text, a variable's value becomes other text (in
``memoryVariables``, ``variablesMap`` and the context alike), an optional
variable loses its value, or the chat becomes a Facebook chat (no
``clientVariables``).  Shrinking goes back to the recorded body itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from harness.protocol._gson_writer import dumps

__all__ = ["mutated"]

_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)


def _apply(body: bytes, kind: int, index: int, text: str) -> bytes:
    data: Any = json.loads(body)
    if kind == 0 or not isinstance(data, dict):
        return body
    chat = data.get("chatResult") or {}
    variables = [v for v in data.get("memoryVariables") or [] if isinstance(v, dict)]
    if kind == 1 and isinstance(chat.get("query"), str):
        chat["query"] = text[:1024]
    elif kind in (2, 3) and variables:
        variable = variables[index % len(variables)]
        label = variable.get("label")
        same = (data.get("variablesMap") or {}).get(label) or {}
        if kind == 3 and variable.get("mandatory") is False:
            variable.pop("value", None)
            same.pop("value", None)
            (chat.get("context") or {}).pop(label, None)
        elif kind == 2 and "value" in variable:
            variable["value"] = same["value"] = text
            if label in (chat.get("context") or {}):
                chat["context"][label] = text
    elif kind == 4:
        data.pop("clientVariables", None)
    return dumps(data)


def mutated(bodies: Sequence[bytes]) -> SearchStrategy[bytes]:
    """Recorded request bodies, each either as it is or with one mutation."""
    return st.builds(
        _apply, st.sampled_from(list(bodies)), st.integers(0, 4), st.integers(0, 15), _TEXT
    )
