"""pytest entry point ``botwebhook`` (disable with ``-p no:botwebhook``).

pytest imports this module on every run of every project where the package
is installed, so it imports nothing but pytest at top level; the harness and
its dependencies are imported inside the hooks and fixtures that need them.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``botwebhook`` option group (options arrive with the fixtures)."""
    parser.getgroup("botwebhook", "webhook testing with pytest-botwebhook")
