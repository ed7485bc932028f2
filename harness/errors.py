"""Every exception pytest-botwebhook raises on bad input, under one root.

``BotWebhookError`` is the root; the ``…TypeError`` / ``…ValueError`` kinds also
subclass Python's own.  ``UnmatchedCallError`` is an ``AssertionError``: a mock
saw a call nothing was registered for, which fails a test.
"""

from __future__ import annotations

from harness._errors import (
    BaselineError,
    BotModelError,
    BotWebhookError,
    BotWebhookTypeError,
    BotWebhookValueError,
    CassetteError,
    CodeCoverageError,
    ConversationError,
    ConversationFileError,
    InvalidPayloadError,
    InvalidResponseError,
    InvalidSecretError,
    PayloadOptionError,
    ProtocolError,
    ReplayRuleError,
    SerializationError,
    TargetError,
    TlsUnavailableError,
    UnknownFixtureError,
    UnmatchedCallError,
    UnsupportedRegexError,
)
from harness._patterns import PatternError

__all__ = [
    "BaselineError",
    "BotModelError",
    "BotWebhookError",
    "BotWebhookTypeError",
    "BotWebhookValueError",
    "CassetteError",
    "CodeCoverageError",
    "ConversationError",
    "ConversationFileError",
    "InvalidPayloadError",
    "InvalidResponseError",
    "InvalidSecretError",
    "PatternError",
    "PayloadOptionError",
    "ProtocolError",
    "ReplayRuleError",
    "SerializationError",
    "TargetError",
    "TlsUnavailableError",
    "UnknownFixtureError",
    "UnmatchedCallError",
    "UnsupportedRegexError",
]
