"""pytest-botwebhook's core library: the chatbot platform's webhook protocol, exactly.

Everything public is importable from here; the ``_``-prefixed modules are
implementation.  This package never imports pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from harness._botmodel import (
    SYSTEM_ENTITIES,
    BotModel,
    BotModelError,
    IntentSpec,
    VariableSpec,
    find_model,
    load_model,
)
from harness._callback import CallbackMock, ChatSession
from harness._check import Report, Scenario, build_matrix, run_check
from harness._errors import (
    BotWebhookError,
    BotWebhookTypeError,
    BotWebhookValueError,
    InvalidPayloadError,
    InvalidResponseError,
    InvalidSecretError,
    ProtocolError,
    SerializationError,
    UnknownFixtureError,
)
from harness._exchange import Exchange, check_exchange, deliver
from harness._findings import CODES as FINDING_CODES
from harness._findings import Code, Finding
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
from harness._loader import load_target
from harness._mock import MockNetwork, UnmatchedCallError, WebhookMock
from harness._payload import FEATURES, TEXT_VARIANTS, Payload, Variant
from harness._platform import Outcome
from harness._recorder import CallLog, RecordedCall
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
from harness._server import LiveWebhookServer
from harness._signing import SIGNATURE_HEADER, generate_secret, redact_secret, sign, verify
from harness._transport import Target, TargetError
from harness._version import __version__

if _TYPE_CHECKING:
    from harness._catalogue import builtin_model
    from harness._factory import PayloadFactory, PayloadOptionError, build_payload, make_faker
    from harness._provider import BotWebhookProvider

# These need Faker, whose import is slow; load them on first use (PEP 562).
_LAZY = {
    "BotWebhookProvider": "harness._provider",
    "PayloadFactory": "harness._factory",
    "PayloadOptionError": "harness._factory",
    "build_payload": "harness._factory",
    "builtin_model": "harness._catalogue",
    "make_faker": "harness._factory",
}


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FEATURES",
    "FINDING_CODES",
    "LANGUAGES",
    "SIGNATURE_HEADER",
    "SYSTEM_ENTITIES",
    "TEXT_VARIANTS",
    "Attachment",
    "AttachmentPayload",
    "BotModel",
    "BotModelError",
    "BotWebhookError",
    "BotWebhookProvider",
    "BotWebhookTypeError",
    "BotWebhookValueError",
    "Button",
    "CallLog",
    "CallbackMock",
    "ChainedIntent",
    "ChatResult",
    "ChatSession",
    "Code",
    "Config",
    "ContextUpdate",
    "ContextVariable",
    "DefaultAction",
    "Element",
    "Exchange",
    "Finding",
    "FixtureInfo",
    "IntentSpec",
    "InvalidPayloadError",
    "InvalidResponseError",
    "InvalidSecretError",
    "LiveWebhookServer",
    "MemoryVariable",
    "MessageNode",
    "MockNetwork",
    "Outcome",
    "Payload",
    "PayloadFactory",
    "PayloadOptionError",
    "ProtocolError",
    "QuickReply",
    "RecordedCall",
    "Report",
    "Scenario",
    "SerializationError",
    "Shape",
    "Target",
    "TargetError",
    "UnknownFixtureError",
    "UnmatchedCallError",
    "VariableSpec",
    "Variant",
    "WebhookMock",
    "WebhookRequest",
    "WebhookResponse",
    "__version__",
    "build_matrix",
    "build_payload",
    "builtin_model",
    "check_exchange",
    "deliver",
    "find_model",
    "fixture_info",
    "fixture_names",
    "generate_secret",
    "gson_dumps",
    "java_double",
    "java_hash_order",
    "load_fixture",
    "load_model",
    "load_request",
    "load_response",
    "load_schema",
    "load_target",
    "make_faker",
    "redact_secret",
    "run_check",
    "sign",
    "verify",
]
