"""The protocol itself, exactly: request and response structs, the platform's
Gson writing and lenient reading, signing, and the canonical fixtures.

See ``docs/protocol.md`` (sections 2, 3 and 5).  ``WebhookRequest.from_bytes`` and
``.to_bytes`` round-trip the platform's bytes; :func:`gson_dumps` writes any JSON
value as the platform's Gson does; :func:`read_lenient` reads text as its
lenient reader does.
"""

from __future__ import annotations

from harness.protocol._fixtures import (
    FixtureInfo,
    fixture_info,
    fixture_names,
    load_fixture,
    load_request,
    load_response,
    load_schema,
)
from harness.protocol._gson_reader import LenientResult
from harness.protocol._gson_reader import read as read_lenient
from harness.protocol._gson_writer import dumps as gson_dumps
from harness.protocol._gson_writer import dumps_fast as gson_dumps_fast
from harness.protocol._gson_writer import java_double, java_hash_order, java_string_hash
from harness.protocol._request import (
    LANGUAGES,
    ChainedIntent,
    ChatResult,
    Config,
    MemoryVariable,
    Shape,
    WebhookRequest,
)
from harness.protocol._response import (
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
from harness.protocol._signing import (
    SIGNATURE_HEADER,
    TEST_SECRET,
    SecretLike,
    redact_secret,
    signature_problem,
)

__all__ = [
    "LANGUAGES",
    "SIGNATURE_HEADER",
    "TEST_SECRET",
    "Attachment",
    "AttachmentPayload",
    "Button",
    "ChainedIntent",
    "ChatResult",
    "Config",
    "ContextUpdate",
    "ContextVariable",
    "DefaultAction",
    "Element",
    "FixtureInfo",
    "LenientResult",
    "MemoryVariable",
    "MessageNode",
    "QuickReply",
    "SecretLike",
    "Shape",
    "WebhookRequest",
    "WebhookResponse",
    "fixture_info",
    "fixture_names",
    "gson_dumps",
    "gson_dumps_fast",
    "java_double",
    "java_hash_order",
    "java_string_hash",
    "load_fixture",
    "load_request",
    "load_response",
    "load_schema",
    "read_lenient",
    "redact_secret",
    "signature_problem",
]
