"""Payloads mutated from recorded ones (``botwebhook fuzz --seed-from``): what the
platform really sent, with one thing the chat user controls changed.

Every mutation keeps the body a valid platform request, written platform-exact:
the query becomes other text, a variable's value becomes other text (in
``memoryVariables``, ``variablesMap`` and the context alike), an optional
variable loses its value, or the chat becomes a Facebook chat (no
``clientVariables``).  Shrinking goes back to the recorded body itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from harness._errors import BotWebhookError
from harness.protocol._request import MAX_QUERY, MemoryVariable, WebhookRequest

__all__ = ["mutated"]

_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)


def _apply(body: bytes, kind: int, index: int, text: str) -> bytes:
    if kind == 0:
        return body
    try:
        request = WebhookRequest.from_bytes(body)
    except BotWebhookError:
        return body  # not a platform request: nothing to keep valid, so no mutation
    chat = request.chat_result
    variables = request.memory_variables or []
    if kind == 1:
        request = replace(request, chat_result=replace(chat, query=text[:MAX_QUERY]))
    elif kind in (2, 3) and variables:
        variable = variables[index % len(variables)]
        if kind == 3 and not variable.mandatory:
            request = _with_value(request, variable, None)
        elif kind == 2 and variable.filled:
            request = _with_value(request, variable, text)
    elif kind == 4:
        request = replace(request, client_variables=None)
    return request.to_bytes()


def _with_value(
    request: WebhookRequest, variable: MemoryVariable, value: str | None
) -> WebhookRequest:
    """``request`` with ``variable`` holding ``value`` everywhere it appears (None: the
    value removed), every map keeping the order the platform wrote it in."""
    changed = replace(variable, value=value)
    chat = request.chat_result
    context = dict(chat.context)
    if variable.label in context:
        if value is None:
            del context[variable.label]
        else:
            context[variable.label] = value
    return replace(
        request,
        memory_variables=[changed if v is variable else v for v in request.memory_variables or []],
        variables_map={
            label: changed if v.label == variable.label else v
            for label, v in (request.variables_map or {}).items()
        },
        chat_result=replace(chat, context=context),
    )


def mutated(bodies: Sequence[bytes]) -> SearchStrategy[bytes]:
    """Recorded request bodies, each either as it is or with one mutation."""
    return st.builds(
        _apply, st.sampled_from(list(bodies)), st.integers(0, 4), st.integers(0, 15), _TEXT
    )
