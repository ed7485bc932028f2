"""pytest-botwebhook's core library: the chatbot platform's webhook protocol, exactly.

The top level holds what a user of ``deliver`` / ``run_check`` / ``fuzz``,
payloads, signing and the mocks needs; the rest lives in a few public
namespaces, as Hypothesis does:

- :mod:`harness.errors`: every exception, under :class:`BotWebhookError`;
- :mod:`harness.protocol`: request and response structs, Gson writing and
  lenient reading, signing helpers, the canonical fixtures;
- :mod:`harness.platform`: what the platform does around a call (headers,
  timeouts, reading the answer, the outcome);
- :mod:`harness.model`: the bot model and realistic payloads;
- :mod:`harness.checks`: targets, exchanges, findings, the check matrix and
  reports, fuzzing;
- :mod:`harness.mocks`: mocks and servers for code that sends webhooks;
- :mod:`harness.strategies`: Hypothesis strategies;
- :mod:`harness.reference`: the reference handler;
- :mod:`harness.cli`: the ``botwebhook`` command line.

``_``-prefixed modules are implementation.  This package never imports pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from harness._botmodel import BotModel
from harness._callback import CallbackMock
from harness._check import Report, run_check
from harness._errors import BotWebhookError
from harness._exchange import Exchange, deliver
from harness._findings import Finding
from harness._fuzz import fuzz
from harness._fuzz_report import FuzzReport
from harness._lazy import lazy_attributes as _lazy_attributes
from harness._loader import load_target
from harness._mock import WebhookMock
from harness._model_files import load_model
from harness._outcome import Outcome
from harness._payload import Payload
from harness._server import LiveWebhookServer
from harness._signing import Secret, generate_secret, sign, verify
from harness._transport import Target
from harness._version import __version__

if _TYPE_CHECKING:
    from harness._factory import PayloadFactory, build_payload

# These need Faker, whose import is slow; load them on first use (PEP 562).
__getattr__ = _lazy_attributes(
    globals(), {"PayloadFactory": "harness._factory", "build_payload": "harness._factory"}
)


__all__ = [
    "BotModel",
    "BotWebhookError",
    "CallbackMock",
    "Exchange",
    "Finding",
    "FuzzReport",
    "LiveWebhookServer",
    "Outcome",
    "Payload",
    "PayloadFactory",
    "Report",
    "Secret",
    "Target",
    "WebhookMock",
    "__version__",
    "build_payload",
    "deliver",
    "fuzz",
    "generate_secret",
    "load_model",
    "load_target",
    "run_check",
    "sign",
    "verify",
]
