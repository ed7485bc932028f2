"""Every exception pytest-botwebhook raises on bad input, under one root.

``BotWebhookError`` is the root; the ``…TypeError`` / ``…ValueError`` kinds also
subclass Python's own.  ``UnmatchedCallError`` is an ``AssertionError``: a mock
saw a call nothing was registered for, which fails a test.
"""

from __future__ import annotations

from harness._botmodel import BotModelError
from harness._cassette import CassetteError
from harness._errors import (
    BotWebhookError,
    BotWebhookTypeError,
    BotWebhookValueError,
    ConversationError,
    ConversationFileError,
    InvalidPayloadError,
    InvalidResponseError,
    InvalidSecretError,
    PayloadOptionError,
    ProtocolError,
    SerializationError,
    TargetError,
    UnknownFixtureError,
)
from harness._mock import UnmatchedCallError
from harness._patterns import PatternError
from harness._regexgen import UnsupportedRegexError
from harness._replay_diff import ReplayRuleError
from harness._tls import TlsUnavailableError

__all__ = [
    "BotModelError",
    "BotWebhookError",
    "BotWebhookTypeError",
    "BotWebhookValueError",
    "CassetteError",
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
