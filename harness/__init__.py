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

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from harness._errors import BotWebhookError
from harness._lazy import lazy_attributes as _lazy_attributes
from harness._version import __version__

if _TYPE_CHECKING:
    from harness.checks._check import Report, run_check
    from harness.checks._fuzz import fuzz
    from harness.checks._fuzz_report import FuzzReport
    from harness.delivery._exchange import Exchange, deliver
    from harness.delivery._findings import Finding
    from harness.delivery._loader import load_target
    from harness.delivery._transport import Target
    from harness.mocks._callback import CallbackMock
    from harness.mocks._live_server import LiveWebhookServer
    from harness.mocks._mock import WebhookMock
    from harness.model._botmodel import BotModel
    from harness.model._factory import PayloadFactory, build_payload
    from harness.model._files import load_model
    from harness.model._payload import Payload
    from harness.platform._outcome import Outcome
    from harness.protocol._signing import Secret, generate_secret, sign, verify

# Every name loads its module on first use (PEP 562): ``import harness`` costs
# almost nothing, so a command that starts is at once able to say it was
# interrupted, and Faker (slow to import) loads only with the payload factory.
_names = _lazy_attributes(globals(), {
    "Report": "harness.checks._check", "run_check": "harness.checks._check",
    "fuzz": "harness.checks._fuzz", "FuzzReport": "harness.checks._fuzz_report",
    "Exchange": "harness.delivery._exchange", "deliver": "harness.delivery._exchange",
    "Finding": "harness.delivery._findings", "load_target": "harness.delivery._loader",
    "Target": "harness.delivery._transport", "CallbackMock": "harness.mocks._callback",
    "LiveWebhookServer": "harness.mocks._live_server", "WebhookMock": "harness.mocks._mock",
    "BotModel": "harness.model._botmodel", "PayloadFactory": "harness.model._factory",
    "build_payload": "harness.model._factory", "load_model": "harness.model._files",
    "Payload": "harness.model._payload", "Outcome": "harness.platform._outcome",
    "Secret": "harness.protocol._signing", "generate_secret": "harness.protocol._signing",
    "sign": "harness.protocol._signing", "verify": "harness.protocol._signing",
})  # fmt: skip
#: The public namespaces, reachable as attributes once ``harness`` is imported.
_NAMESPACES = frozenset({
    "errors", "protocol", "platform", "model", "checks", "mocks", "strategies",
    "reference", "cli", "replay", "conversations", "delivery", "load", "locust",
})  # fmt: skip


def __getattr__(name: str) -> _Any:
    if name in _NAMESPACES:
        return _importlib.import_module(f"harness.{name}")
    return _names(name)


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
