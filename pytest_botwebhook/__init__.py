"""pytest-botwebhook: the pytest side of the webhook harness.

The plugin module (:mod:`pytest_botwebhook.plugin`) is loaded by pytest on
every run, so it stays cheap to import; the core library is :mod:`harness`.
"""

from __future__ import annotations

__all__: list[str] = []
