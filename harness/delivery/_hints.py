"""Hints written for one finding, from what its call shows.

A code's usual hint is general ("handle every variant the platform sends…").
When the call says more, the hint says that instead: the key a ``KeyError``
names and why this payload had none, the value a user typed that a parse
choked on, a refused signature on a plain-http endpoint (which the platform
never signs), the path an app does not serve.  Every hint is built from the
request body as sent and the answer as received, so it holds for generated,
recorded and replayed calls alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["HTTP_UNSIGNED", "crash_hint", "probe_hint", "status_hint"]

#: The platform signs only https calls: what a refused unsigned call means.
HTTP_UNSIGNED = (
    "the platform sends no X-Hub-Signature to http:// endpoints, so a handler there must "
    "accept unsigned calls; serve it over https, or check it as if it were with --sign always"
)
_KEY_ERROR = re.compile(r"^KeyError: '([^']*)'")
_SHAPE_A_KEYS = ("chatId", "topicIn", "history", "topic_out")


def status_hint(
    status: int, body: bytes, request: Mapping[str, Any], *, signed: bool, secret_known: bool
) -> str:
    """The hint for a valid payload answered with ``status`` (not 200, not a 5xx)."""
    said = body[:500].lower()
    refused = status in (401, 403) or (status == 400 and b"signature" in said)
    if refused and not signed:
        return HTTP_UNSIGNED
    if refused and not secret_known:
        return (
            "the call was signed with a throw-away secret because none was given: pass the "
            "bot's secret with --secret S or $BOTWEBHOOK_SECRET"
        )
    if status in (404, 405):
        return (
            "no route takes a POST here: call the path your app serves the webhook at "
            "(--path /hook, ini botwebhook_path, [tool.botwebhook] path, path= in Python), or "
            "the whole URL the bot calls"
        )
    if 200 <= status < 300:
        return (
            "answer every webhook call the handler accepts with 200: the platform treats "
            "201, 202 and 204 as failures and ignores the body"
        )
    facts = _variant_facts(request)
    return (
        f"the handler refused a valid platform payload with {status}: compare what it "
        f"expects with what the platform sends{f' ({facts})' if facts else ''}; it must "
        "answer 200 to every call of an intent it serves"
    )


def crash_hint(exception: str | None, request: Mapping[str, Any]) -> str:
    """The hint for a server error on a valid payload, from the exception the handler
    raised (``KeyError: 'value' at app.py:14``) and the payload it got."""
    if exception:
        found = _KEY_ERROR.match(exception)
        if found:
            return _missing_key_hint(found.group(1), request)
        value = _typed_value_in(exception, request)
        if value is not None:
            label, entity, text = value
            return (
                f"the value {text!r} of {label} ({entity}) is text a user typed: parse it "
                "defensively and bound it; a number can be a word, a decimal, negative or huge, "
                "a date or a time can be written many ways"
            )
    facts = _variant_facts(request)
    if facts:
        return f"this payload is one the platform sends ({facts}): read every field defensively"
    return (
        "handle every variant the platform sends: read every field with a default, and "
        "every value as text a user typed"
    )


def probe_hint(*, target_signed: bool) -> str | None:
    """The hint for a server error on unsigned junk, when the usual one does not fit:
    on an endpoint the platform does not sign, there is no signature to verify first."""
    if target_signed:
        return None
    return (
        "the platform signs nothing over http, so nothing tells its calls from junk here: "
        "answer 400 to anything that is not a platform payload (parse defensively), never a "
        "5xx; over https, verify the signature first"
    )


def _chat(request: Mapping[str, Any]) -> dict[str, Any]:
    chat = request.get("chatResult")
    return chat if isinstance(chat, dict) else {}


def _missing_key_hint(key: str, request: Mapping[str, Any]) -> str:
    chat = _chat(request)
    variables = _variables(request)
    if key == "clientVariables" and "clientVariables" not in request:
        return (
            "this is a Facebook chat, and Facebook chats have no clientVariables: read it "
            "with .get('clientVariables') or {}"
        )
    if key == "value" and any("value" not in v for v in variables.values()):
        unfilled = ", ".join(label for label, v in variables.items() if "value" not in v)
        return (
            f"{unfilled} is unfilled, and an unfilled variable has no value key (nulls are "
            "left out): read it with .get('value')"
        )
    if key in _SHAPE_A_KEYS and key not in chat:
        return (
            f"this turn was fulfilled on the first sentence, which sends no {key} (nor "
            f"{', '.join(k for k in _SHAPE_A_KEYS if k != key)}): read it with .get()"
        )
    if key == "config" and "config" not in request:
        return "config is sent only when the bot has one: read it with .get('config')"
    if key == "intents" and "intents" not in chat:
        return "chatResult.intents is sent only for chained intents: read it with .get()"
    if key in ("value_type", "max_prompts") and any(key not in v for v in variables.values()):
        return (
            "the trigger-intent and sys.any-command paths send variables without value_type: "
            "read it with .get()"
        )
    intent = request.get("intentName")
    if isinstance(intent, str) and key not in variables and _is_label(key):
        known = ", ".join(variables) or "no variables"
        return (
            f"intent {intent!r} has no variable {key!r} (it has {known}): the handler reads a "
            "variable of another intent; look at intentName first"
        )
    return f"the payload has no key {key!r} here: read it with .get() and a default"


def _variables(request: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found = request.get("variablesMap")
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, dict)}


def _is_label(key: str) -> bool:
    return bool(re.fullmatch(r"[a-zA-Z0-9_.-]+", key))


def _typed_value_in(exception: str, request: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The variable whose value the exception's message quotes, if one does."""
    message = exception.split(": ", 1)[-1]
    for label, variable in _variables(request).items():
        value = variable.get("value")
        if isinstance(value, str) and value and (repr(value) in message or f'"{value}"' in message):
            return label, str(variable.get("entity", "")), value
    return None


def _variant_facts(request: Mapping[str, Any]) -> str:
    """What is particular about this payload, in the platform's terms."""
    facts = []
    chat = _chat(request)
    if "intentName" not in request:
        facts.append("a passthrough call: no intentName or variables")
    if "clientVariables" not in request:
        facts.append("a Facebook chat: no clientVariables")
    if chat and "chatId" not in chat:
        facts.append("fulfilled on the first sentence: no chatId")
    unfilled = [label for label, v in _variables(request).items() if "value" not in v]
    if unfilled:
        facts.append(f"{', '.join(unfilled)} unfilled: no value key")
    if "intents" in chat:
        facts.append("chained intents in chatResult.intents")
    return "; ".join(facts)
