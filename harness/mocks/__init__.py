"""The other direction: mocks for code that *sends* webhooks or calls the platform
back, and the hardened server under ``botwebhook serve``.

:class:`WebhookMock` answers ``requests`` calls in-process; :class:`LiveWebhookServer`
is a real local http(s) server; :class:`CallbackMock` is the platform's callback
API.  Each records calls (:class:`RecordedCall`) with the signature's verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_attributes
from harness.mocks._callback import CallbackMock, ChatSession
from harness.mocks._live_server import LiveWebhookServer
from harness.mocks._mock import MockNetwork, WebhookMock
from harness.mocks._recorder import CallLog, RecordedCall, signature_verdict

if TYPE_CHECKING:
    from harness.delivery._hardened_server import (
        HANDSHAKE_TIMEOUT,
        MAX_CONNECTIONS,
        READ_TIMEOUT,
        HardenedServer,
        make_hardened_server,
    )

# The server needs werkzeug's: it loads on first use, so the mocks alone do not.
_SERVER = "harness.delivery._hardened_server"
_NAMES = ("HANDSHAKE_TIMEOUT", "MAX_CONNECTIONS", "READ_TIMEOUT", "HardenedServer")
__getattr__ = lazy_attributes(globals(), dict.fromkeys((*_NAMES, "make_hardened_server"), _SERVER))

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
