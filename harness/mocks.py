"""The other direction: mocks for code that *sends* webhooks or calls the platform
back, and the hardened server under ``botwebhook serve``.

:class:`WebhookMock` answers ``requests`` calls in-process; :class:`LiveWebhookServer`
is a real local http(s) server; :class:`CallbackMock` is the platform's callback
API.  Each records calls (:class:`RecordedCall`) with the signature's verdict.
"""

from __future__ import annotations

from harness._callback import CallbackMock, ChatSession
from harness._hardened_server import (
    HANDSHAKE_TIMEOUT,
    MAX_CONNECTIONS,
    READ_TIMEOUT,
    HardenedServer,
    make_hardened_server,
)
from harness._mock import MockNetwork, WebhookMock
from harness._recorder import CallLog, RecordedCall, signature_verdict
from harness._server import LiveWebhookServer

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "MAX_CONNECTIONS",
    "READ_TIMEOUT",
    "CallLog",
    "CallbackMock",
    "ChatSession",
    "HardenedServer",
    "LiveWebhookServer",
    "MockNetwork",
    "RecordedCall",
    "WebhookMock",
    "make_hardened_server",
    "signature_verdict",
]
