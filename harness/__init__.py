"""pytest-botwebhook's core library: the chatbot platform's webhook protocol, exactly.

Everything public is importable from here; the ``_``-prefixed modules are
implementation.  This package never imports pytest.
"""

from __future__ import annotations

from harness._errors import (
    BotWebhookError,
    BotWebhookTypeError,
    BotWebhookValueError,
    InvalidPayloadError,
    InvalidResponseError,
    InvalidSecretError,
    ModelError,
    SerializationError,
    UnknownFixtureError,
)
from harness._fixtures import (
    FixtureInfo,
    fixture_info,
    fixture_names,
    load_fixture,
    load_request,
    load_response,
    load_schema,
)
from harness._gson import dumps as gson_dumps
from harness._gson import java_double, java_hash_order
from harness._request import (
    LANGUAGES,
    ChainedIntent,
    ChatResult,
    Config,
    MemoryVariable,
    Shape,
    WebhookRequest,
)
from harness._response import (
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
)
from harness._signing import SIGNATURE_HEADER, generate_secret, redact_secret, sign, verify
from harness._version import __version__

__all__ = [
    "LANGUAGES",
    "SIGNATURE_HEADER",
    "Attachment",
    "AttachmentPayload",
    "BotWebhookError",
    "BotWebhookTypeError",
    "BotWebhookValueError",
    "Button",
    "ChainedIntent",
    "ChatResult",
    "Config",
    "ContextUpdate",
    "ContextVariable",
    "DefaultAction",
    "Element",
    "FixtureInfo",
    "InvalidPayloadError",
    "InvalidResponseError",
    "InvalidSecretError",
    "MemoryVariable",
    "MessageNode",
    "ModelError",
    "QuickReply",
    "SerializationError",
    "Shape",
    "UnknownFixtureError",
    "WebhookRequest",
    "WebhookResponse",
    "__version__",
    "fixture_info",
    "fixture_names",
    "generate_secret",
    "gson_dumps",
    "java_double",
    "java_hash_order",
    "load_fixture",
    "load_request",
    "load_response",
    "load_schema",
    "redact_secret",
    "sign",
    "verify",
]
