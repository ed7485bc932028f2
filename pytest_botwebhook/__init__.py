"""pytest-botwebhook: the pytest side of the webhook harness.

pytest imports the plugin (:mod:`pytest_botwebhook.plugin`, and so this
package) on every run wherever the package is installed, so nothing here
imports more than pytest; the fixture classes load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from pytest_botwebhook._settings import TEST_SECRET
from pytest_botwebhook._suite import contract_suite, fuzz_suite, replay_suite

if _TYPE_CHECKING:
    from pytest_botwebhook._client import BotWebhookClient, PayloadBuilder

__all__ = [
    "TEST_SECRET",
    "BotWebhookClient",
    "PayloadBuilder",
    "contract_suite",
    "fuzz_suite",
    "replay_suite",
]


def __getattr__(name: str) -> _Any:
    if name in ("BotWebhookClient", "PayloadBuilder"):
        from pytest_botwebhook import _client

        value = getattr(_client, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_botwebhook' has no attribute {name!r}")
