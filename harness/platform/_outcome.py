"""What the chat user sees after a webhook call (docs/protocol.md, sections 4 and 5):
the platform's failure, or the answer it read; the context after the answer's
update; the text with its ``$label`` placeholders filled in.

:func:`take_answer` is the one place that decides what the platform takes from a
call, however it was made or recorded: checks (``judge``), the mocks' recorder and
replay call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.platform._answer import FAILED_DESERIALIZE, Answer, AnswerFinding, read_answer
from harness.platform._headers import find_header

__all__ = [
    "Outcome",
    "apply_context_update",
    "call_failed",
    "outcome",
    "substitute",
    "take_answer",
    "transport_failed",
]

_SHOWN_TEXT = 300


def transport_failed(reason: str) -> str:
    """The platform's failure for a call that got no answer (timeout, refused, TLS)."""
    return f"WebHook Execution Failed - {reason}"


def call_failed(status: int) -> str:
    """The platform's failure for an answer whose status is not exactly 200."""
    return f"Webhook call failed (HTTP code {status})"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the platform makes of one webhook call.

    ``ok`` False means the call failed (``failure`` has the platform's message):
    an intent webhook then shows the intent's own response and changes nothing,
    a passthrough call makes the chat API answer ``400 Error in external webhook
    call``.  ``user_text`` is what the chat user reads; ``context`` the
    conversation context afterwards; ``rich`` the Facebook nodes forwarded.
    """

    ok: bool
    user_text: str | None
    context: dict[str, str]
    failure: str | None = None
    rich: list[dict[str, Any]] | None = None
    chat_api_error: str | None = None
    token_stored: bool = False

    def describe(self) -> str:
        if self.chat_api_error:
            return f"the chat API answers {self.chat_api_error} ({self.failure})"
        text = self.user_text
        if text is not None and len(text) > _SHOWN_TEXT:
            text = f"{text[:_SHOWN_TEXT]}… ({len(text)} characters)"
        seen = f"the user would see: {text!r}"
        if not self.ok:
            seen += f" (the intent's own response: {self.failure})"
        if self.rich:
            seen += f", plus {len(self.rich)} Facebook node(s)"
        return seen


def apply_context_update(context: dict[str, str], data: Mapping[str, Any]) -> None:
    """Apply an answer's nested ``context.variables`` to ``context`` in place, by the
    platform's rules (docs/protocol.md, section 5)."""
    for name, variable in ((data.get("context") or {}).get("variables") or {}).items():
        value = variable.get("value") if isinstance(variable, dict) else None
        if value is None:
            context.pop(name, None)  # existing + null: deleted; new + null: ignored
        else:
            context[name] = value  # replaced (lifespan kept) or added


def substitute(text: str, context: Mapping[str, str]) -> str:
    """Replace ``$name`` placeholders with context values, longest names first."""
    for name in sorted(context, key=len, reverse=True):
        text = text.replace("$" + name, context[name])
    return text


def outcome(
    request: Mapping[str, Any], answer: Answer | None, failure: str | None = None
) -> Outcome:
    """The platform's result for ``request`` (decoded JSON) and its ``answer``.

    ``failure`` is the platform's message when the call itself failed (status,
    timeout, connection); otherwise the answer's own failure applies.
    """
    chat = request.get("chatResult") or {}
    context = dict(chat.get("context") or {})
    passthrough = "intentName" not in request
    failure = failure or (answer.failure if answer else "no answer")
    if answer is None or answer.data is None or failure:
        if passthrough:
            return Outcome(
                False, None, context, failure, None, "400 Error in external webhook call"
            )
        own = substitute(str(chat.get("answer") or ""), context)
        return Outcome(False, own, context, failure)
    data = answer.data
    nodes = data.get("facebook_multi") or ([data["facebook"]] if data.get("facebook") else None)
    if passthrough:  # text used as-is, even null; context updates ignored
        return Outcome(True, data.get("text"), context, None, nodes)
    apply_context_update(context, data)
    text = data.get("text")
    shown = text if isinstance(text, str) and text != "" else str(chat.get("answer") or "")
    return Outcome(True, substitute(shown, context), context, None, nodes, token_stored=True)


def take_answer(
    status: int | None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    *,
    passthrough: bool,
    failure: str | None = None,
) -> tuple[str | None, Answer | None]:
    """What the platform takes from one call, however it was made or recorded: the
    failure message when the call failed (``failure``, the transport's reason when no
    answer came, or a status other than 200), else the body read as the platform reads
    it (a ``Content-Encoding`` it did not ask for cannot be read).  The one place that
    decides it: checks, the mocks' recorder, replay and load all come here."""
    if failure is not None or status is None:
        return transport_failed(failure or "no answer"), None
    if status != 200:
        return call_failed(status), None
    encoding = find_header(headers, "Content-Encoding")
    if encoding not in (None, "", "identity"):
        problem = (
            f"Content-Encoding {encoding}: the platform did not ask for it and does not decode it"
        )
        return None, Answer(failure=FAILED_DESERIALIZE,
                            findings=[AnswerFinding("BW103", "$", problem)])  # fmt: skip
    return None, read_answer(body, find_header(headers, "Content-Type"), passthrough=passthrough)
