"""What the platform does with an endpoint's answer (docs/protocol.md, sections 4 and 5).
(The request's headers are ``harness.platform._headers``.)

:func:`read_answer` reads a 200 response body the way the platform's Gson
does (lenient parsing, type binding with its coercions, unknown enum values
dropped) and says what did not fit; :func:`outcome` then computes what the
chat user would see and the conversation context after the update.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.protocol._gson_reader import not_an_object, read

__all__ = [
    "FACEBOOK_TEXT_LIMIT",
    "FAILED_DESERIALIZE",
    "RESPONSE_ENUMS",
    "RESPONSE_SPEC",
    "Answer",
    "AnswerFinding",
    "read_answer",
]

FACEBOOK_TEXT_LIMIT = 640
FAILED_DESERIALIZE = "Failed to deserialize webhook response JSON"


@dataclass(frozen=True, slots=True)
class AnswerFinding:
    """A finding about an answer's body, found while reading it: its code, the JSON
    path and what happened.  It becomes a :class:`~harness.Finding` of the exchange."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Answer:
    """A response body as the platform reads it: ``data`` (the bound response, with
    dropped values removed) or ``failure`` (the platform's message), and ``findings``."""

    data: dict[str, Any] | None = None
    failure: str | None = None
    findings: list[AnswerFinding] = field(default_factory=list)


# -- the response type, as the platform binds it -------------------------------------

_STR, _INT, _DOUBLE, _BOOL = "string", "int", "double", "bool"
#: The values the platform knows for each enum of a Facebook node; others are dropped.
RESPONSE_ENUMS: dict[str, tuple[str, ...]] = {
    "content_type": ("text", "location"),
    "attachment.type": ("audio", "video", "file", "image", "template"),
    "template_type": ("button", "generic", "list"),
    "top_element_style": ("large", "compact"),
    "button.type": ("web_url", "phone_number", "element_share", "postback"),
    "default_action.type": ("web_url",),
}
_BUTTON = {"type": "enum:button.type", "title": _STR, "url": _STR, "payload": _STR}
_PAYLOAD: dict[str, Any] = {
    "url": _STR,
    "template_type": "enum:template_type",
    "text": _STR,
    "buttons": [_BUTTON],
    "elements": [
        {
            "title": _STR,
            "image_url": _STR,
            "subtitle": _STR,
            "default_action": {
                "type": "enum:default_action.type",
                "url": _STR,
                "webview_height_ratio": _STR,
            },
            "buttons": [_BUTTON],
        }
    ],
    "sharable": _BOOL,
    "image_aspect_ratio": _STR,
    "top_element_style": "enum:top_element_style",
}
_QUICK_REPLY: dict[str, Any] = {
    "content_type": "enum:content_type",
    "title": _STR,
    "payload": _STR,
    "image_url": _STR,
}
_NODE: dict[str, Any] = {
    "text": _STR,
    "quick_replies": [_QUICK_REPLY],
    "attachment": {"type": "enum:attachment.type", "payload": _PAYLOAD},
    "type": "enum:attachment.type",
    "payload": _PAYLOAD,
}
_CONTEXT: dict[str, Any] = {
    "intent_score": _DOUBLE,
    "variables": ("map", {"value": _STR, "lifespan_turns": _INT}),
}
#: The response type as the platform binds it: key -> type ("string", "int",
#: "double", "bool", "enum:<name>"), a nested dict, a one-item list for an array,
#: or ("map", value type).  The one description of the response contract: the
#: strategies draw their enums from it and a test holds the response structs and
#: the JSON Schema to it.
RESPONSE_SPEC: dict[str, Any] = {
    "text": _STR,
    "facebook": _NODE,
    "facebook_multi": [_NODE],
    "context": _CONTEXT,
    "webhook_token": _STR,
}
_JSON_KIND = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


class _Fail(Exception):
    def __init__(self, finding: AnswerFinding) -> None:
        self.finding = finding


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _JSON_KIND.get(type(value), type(value).__name__)


class _Binder:
    def __init__(self, duplicates: list[str]) -> None:
        self.findings: list[AnswerFinding] = []
        self.duplicates = set(duplicates)

    def finding(self, code: str, path: str, message: str) -> None:
        self.findings.append(AnswerFinding(code, path, message))

    def bind(self, value: Any, spec: Any, path: str) -> Any:
        if value is None:
            return None
        if isinstance(spec, dict):
            return self.obj(value, spec, path)
        if isinstance(spec, list):
            if not isinstance(value, list):
                raise _Fail(AnswerFinding("BW104", path, f"expected an array, got {_kind(value)}"))
            return [self.bind(v, spec[0], f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(spec, tuple):
            return self.map(value, spec[1], path)
        return self.scalar(value, spec, path)

    def obj(self, value: Any, spec: dict[str, Any], path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Fail(AnswerFinding("BW104", path, f"expected an object, got {_kind(value)}"))
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{path}.{key}"
            if key not in spec:
                close = difflib.get_close_matches(key, list(spec), n=1)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                self.finding("BW206", where, f"unknown key {key!r} is ignored{guess}")
                continue
            bound = self.bind(item, spec[key], where)
            if bound is not None:
                out[key] = bound
        if spec is _QUICK_REPLY and "content_type" not in value:
            self.finding("BW203", f"{path}.content_type", "missing: the quick reply is dropped")
        return out

    def map(self, value: Any, spec: dict[str, Any], path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Fail(AnswerFinding("BW104", path, f"expected an object, got {_kind(value)}"))
        dup = next((d for d in self.duplicates if d.rsplit(".", 1)[0] == path), None)
        if dup is not None:
            raise _Fail(AnswerFinding("BW104", dup, "duplicate key in a map: Gson refuses it"))
        return {key: self.bind(item, spec, f"{path}.{key}") for key, item in value.items()}

    def scalar(self, value: Any, spec: str, path: str) -> Any:
        if spec.startswith("enum:"):
            return self.enum(value, spec[5:], path)
        if spec == _STR:
            if isinstance(value, str):
                return value
            if isinstance(value, bool | int | float):
                text = json.dumps(value)
                self.finding("BW205", path, f"{_kind(value)} {text} is coerced to a string")
                return text
        elif spec in (_INT, _DOUBLE):
            number = value
            if isinstance(value, str):
                try:
                    number = float(value) if spec == _DOUBLE else int(value)
                except ValueError:
                    number = None
                else:
                    self.finding("BW205", path, f"the string {value!r} is coerced to a number")
            if spec == _INT and isinstance(number, float) and number.is_integer():
                number = int(number)
            ok = isinstance(number, int if spec == _INT else int | float)
            if ok and not isinstance(number, bool):
                return number
        elif spec == _BOOL and isinstance(value, bool):
            return value
        expected = {_STR: "a string", _INT: "an integer", _DOUBLE: "a number", _BOOL: "a boolean"}
        raise _Fail(AnswerFinding("BW104", path, f"expected {expected[spec]}, got {_kind(value)}"))

    def enum(self, value: Any, name: str, path: str) -> Any:
        if isinstance(value, dict | list):
            raise _Fail(AnswerFinding("BW104", path, f"expected a string, got {_kind(value)}"))
        allowed = RESPONSE_ENUMS[name]
        if isinstance(value, str) and value in allowed:
            return value
        code = "BW203" if name == "content_type" else "BW204"
        shown = json.dumps(value, ensure_ascii=False)
        self.finding(code, path, f"{shown} is not one of {', '.join(allowed)}: dropped")
        return None


def read_answer(body: bytes, content_type: str | None = None, *, passthrough: bool) -> Answer:
    """Read a 200 response body as the platform does; see :class:`Answer`."""
    charset = "utf-8"
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"')
    try:
        text = body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        text = body.decode("utf-8", errors="replace")
    if not text.strip():
        return Answer(
            failure=FAILED_DESERIALIZE, findings=[AnswerFinding("BW102", "$", "empty body")]
        )
    not_object = not_an_object(text)
    if not_object is not None:
        problem = f"not a JSON object; Gson reports: {not_object}"
        return Answer(failure=FAILED_DESERIALIZE, findings=[AnswerFinding("BW103", "$", problem)])
    result = read(text)
    if result.error is not None:
        problem = f"not JSON the platform can read; Gson reports: {result.error}"
        return Answer(failure=FAILED_DESERIALIZE, findings=[AnswerFinding("BW103", "$", problem)])
    if result.value is None:
        return Answer(
            failure=FAILED_DESERIALIZE, findings=[AnswerFinding("BW102", "$", "the body is null")]
        )
    if not isinstance(result.value, dict):  # pragma: no cover - not_an_object said it
        problem = f"the body is {_kind(result.value)}, not an object"
        return Answer(failure=FAILED_DESERIALIZE, findings=[AnswerFinding("BW103", "$", problem)])
    findings = [
        AnswerFinding("BW205", "$", f"needs lenient parsing: {what}") for what in result.lenient
    ]
    binder = _Binder(result.duplicates)
    context = result.value.get("context")
    if isinstance(context, dict) and context and not set(context) & set(_CONTEXT):
        findings.append(
            AnswerFinding(
                "BW201",
                "$.context",
                f"flat map {json.dumps(context, ensure_ascii=False)[:80]} is ignored "
                '(expected {"variables": {"name": {"value": ...}}})',
            )
        )
        result.value = {k: v for k, v in result.value.items() if k != "context"}
    try:
        data = binder.obj(result.value, RESPONSE_SPEC, "$")
    except _Fail as failed:
        findings.extend(binder.findings)
        findings.append(failed.finding)
        return Answer(failure=FAILED_DESERIALIZE, findings=findings)
    findings.extend(binder.findings)
    findings.extend(_ignored(data, passthrough))
    findings.extend(_long_texts(data))
    return Answer(data=data, findings=findings)


def _ignored(data: Mapping[str, Any], passthrough: bool) -> list[AnswerFinding]:
    out = []
    if "webhook_token" in data:
        out.append(AnswerFinding("BW207", "$.webhook_token", "only read by the callback API"))
    context = data.get("context")
    if isinstance(context, dict):
        if passthrough:
            out.append(
                AnswerFinding("BW207", "$.context", "passthrough calls ignore context updates")
            )
        if "intent_score" in context:
            out.append(AnswerFinding("BW207", "$.context.intent_score", "ignored by the platform"))
        for name, variable in (context.get("variables") or {}).items():
            if isinstance(variable, dict) and "lifespan_turns" in variable:
                out.append(
                    AnswerFinding("BW207", f"$.context.variables.{name}.lifespan_turns",
                          "ignored: a variable set by a webhook never expires")
                )  # fmt: skip
    return out


def _long_texts(data: Mapping[str, Any]) -> list[AnswerFinding]:
    texts = [("$.text", data.get("text"))]
    if isinstance(data.get("facebook"), dict):
        texts.append(("$.facebook.text", data["facebook"].get("text")))
    for i, node in enumerate(data.get("facebook_multi") or []):
        if isinstance(node, dict):
            texts.append((f"$.facebook_multi[{i}].text", node.get("text")))
    return [
        AnswerFinding("BW202", path, f"{len(text)} characters; Facebook shows the first 640")
        for path, text in texts
        if isinstance(text, str) and len(text) > FACEBOOK_TEXT_LIMIT
    ]
