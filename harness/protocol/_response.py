"""The endpoint's answer to the platform (docs/protocol.md, section 5).

These classes are the *strict* model of a well-formed response: what a
handler should write.  How the platform's lenient parser reads whatever a
handler really writes is the checker's business, not this module's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from harness._errors import InvalidResponseError
from harness.protocol._json_strict import loads_strict
from harness.protocol._json_struct import (
    BOOL,
    DOUBLE,
    INT,
    STR,
    JsonStruct,
    ListOf,
    MapOf,
    StructOf,
    jfield,
)

__all__ = [
    "Attachment",
    "AttachmentPayload",
    "Button",
    "ContextUpdate",
    "ContextVariable",
    "DefaultAction",
    "Element",
    "MessageNode",
    "QuickReply",
    "WebhookResponse",
]


class _ResponseModel(JsonStruct):
    __slots__ = ()
    _error = InvalidResponseError
    _null_is_absent = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultAction(_ResponseModel):
    """What tapping a generic-template element opens."""

    type: str | None = jfield(STR, default="web_url")
    url: str | None = jfield(STR)
    webview_height_ratio: str | None = jfield(STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class Button(_ResponseModel):
    """``web_url``, ``phone_number``, ``element_share`` or ``postback``."""

    type: str | None = jfield(STR)
    title: str | None = jfield(STR)
    url: str | None = jfield(STR)
    payload: str | None = jfield(STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class Element(_ResponseModel):
    """One card of a generic or list template."""

    title: str | None = jfield(STR)
    image_url: str | None = jfield(STR)
    subtitle: str | None = jfield(STR)
    default_action: DefaultAction | None = jfield(StructOf(DefaultAction))
    buttons: list[Button] | None = jfield(ListOf(StructOf(Button)))


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentPayload(_ResponseModel):
    """An attachment's payload: a media ``url`` or a ``button|generic|list`` template."""

    url: str | None = jfield(STR)
    template_type: str | None = jfield(STR)
    text: str | None = jfield(STR)
    buttons: list[Button] | None = jfield(ListOf(StructOf(Button)))
    elements: list[Element] | None = jfield(ListOf(StructOf(Element)))
    sharable: bool | None = jfield(BOOL)
    image_aspect_ratio: str | None = jfield(STR)
    top_element_style: str | None = jfield(STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment(_ResponseModel):
    """``audio``, ``video``, ``file``, ``image`` or ``template``, with its payload."""

    type: str | None = jfield(STR)
    payload: AttachmentPayload | None = jfield(StructOf(AttachmentPayload))


@dataclass(frozen=True, slots=True, kw_only=True)
class QuickReply(_ResponseModel):
    """A quick reply chip; ``content_type`` (``text`` or ``location``) is required
    by the platform, which drops a chip without a valid one."""

    content_type: str | None = jfield(STR, default="text")
    title: str | None = jfield(STR)
    payload: str | None = jfield(STR)
    image_url: str | None = jfield(STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageNode(_ResponseModel):
    """A Facebook message node.  ``type``/``payload`` on the node itself are the
    deprecated spelling of ``attachment``."""

    text: str | None = jfield(STR)
    quick_replies: list[QuickReply] | None = jfield(ListOf(StructOf(QuickReply)))
    attachment: Attachment | None = jfield(StructOf(Attachment))
    type: str | None = jfield(STR)
    payload: AttachmentPayload | None = jfield(StructOf(AttachmentPayload))


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextVariable(_ResponseModel):
    """A context update for one name: a new ``value``, or None to delete it.
    ``lifespan_turns`` is accepted but ignored by the platform."""

    value: str | None = jfield(STR, keep_null=True)
    lifespan_turns: int | None = jfield(INT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextUpdate(_ResponseModel):
    """The nested ``context`` object; a flat ``{"name": "value"}`` map is ignored
    by the platform, which is why this shape exists."""

    intent_score: float | None = jfield(DOUBLE)
    variables: dict[str, ContextVariable | None] | None = jfield(
        MapOf(StructOf(ContextVariable), allow_null=True)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookResponse(_ResponseModel):
    """What a webhook answers with status 200.  ``{}`` is a valid response."""

    text: str | None = jfield(STR)
    facebook: MessageNode | None = jfield(StructOf(MessageNode))
    facebook_multi: list[MessageNode] | None = jfield(ListOf(StructOf(MessageNode)))
    context: ContextUpdate | None = jfield(StructOf(ContextUpdate))
    webhook_token: str | None = jfield(STR)

    @classmethod
    def from_bytes(cls, body: bytes | bytearray | memoryview | str) -> WebhookResponse:
        """Parse a response strictly; see :class:`InvalidResponseError`."""
        return cls.from_json(loads_strict(body, InvalidResponseError))

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON, explicit nulls kept where they mean 'delete'."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode()

    @staticmethod
    def context_values(values: dict[str, str | None]) -> ContextUpdate:
        """A nested context update from a plain ``{name: value-or-None}`` mapping."""
        return ContextUpdate(
            variables={name: ContextVariable(value=value) for name, value in values.items()}
        )
