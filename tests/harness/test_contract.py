"""The response contract is described once, in ``harness.platform.RESPONSE_SPEC``
(the type the platform binds an answer to) with ``RESPONSE_ENUMS``.  The
strategies draw their enum values from it; this test holds the response models
and the shipped JSON Schema to it, key by key and enum by enum."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from harness.platform import RESPONSE_ENUMS, RESPONSE_SPEC
from harness.protocol import (
    Attachment,
    AttachmentPayload,
    Button,
    ContextUpdate,
    ContextVariable,
    DefaultAction,
    Element,
    MessageNode,
    QuickReply,
    WebhookResponse,
    load_schema,
)


def _keys(model: type) -> set[str]:
    return {f.metadata.get("key") or f.name for f in dataclasses.fields(model)}


def _spec(path: str) -> dict[str, Any]:
    node: Any = RESPONSE_SPEC
    for part in path.split(".") if path else ():
        node = node[part]
        if isinstance(node, list):
            node = node[0]
        if isinstance(node, tuple):  # ("map", value type)
            node = node[1]
    assert isinstance(node, dict)
    return node


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (WebhookResponse, ""),
        (MessageNode, "facebook"),
        (QuickReply, "facebook.quick_replies"),
        (Attachment, "facebook.attachment"),
        (AttachmentPayload, "facebook.attachment.payload"),
        (Button, "facebook.attachment.payload.buttons"),
        (Element, "facebook.attachment.payload.elements"),
        (DefaultAction, "facebook.attachment.payload.elements.default_action"),
        (ContextUpdate, "context"),
        (ContextVariable, "context.variables"),
    ],
)
def test_the_response_models_have_the_specs_keys(model: type, path: str) -> None:
    assert _keys(model) == set(_spec(path)), model.__name__


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if "items" in node:
        return _resolve(schema, node["items"])
    if "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
        return _resolve(schema, node["additionalProperties"])
    return node


def _walk(schema: dict[str, Any], node: dict[str, Any], spec: Any, path: str) -> None:
    node = _resolve(schema, node)
    if isinstance(spec, list):
        spec = spec[0]
    if isinstance(spec, tuple):
        spec = spec[1]
    if isinstance(spec, dict):
        assert set(node["properties"]) == set(spec), path
        for key, sub in spec.items():
            _walk(schema, node["properties"][key], sub, f"{path}.{key}")
    elif isinstance(spec, str) and spec.startswith("enum:"):
        allowed = [v for v in node.get("enum", [node.get("const")]) if v is not None]
        assert tuple(allowed) == RESPONSE_ENUMS[spec[5:]], path


def test_the_json_schema_has_the_specs_keys_and_enums() -> None:
    schema = load_schema("response")
    _walk(schema, schema, RESPONSE_SPEC, "$")
