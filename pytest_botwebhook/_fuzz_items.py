"""The tests ``fuzz_suite()`` makes: plain Hypothesis tests, which HypoFuzz runs too.

A ``fuzz_suite()`` test takes no fixture (HypoFuzz does not collect tests that
do), so what it calls is found two ways:

- under pytest, the ``botwebhook`` fixture is set up for it all the same (its
  name is added to the item's fixtures at collection, not to the function's
  arguments), and handed over while the test runs: the ``botwebhook_target``
  fixture, markers and every setting apply, as for any other test;
- outside pytest's run (HypoFuzz calls the function itself), the settings read
  at collection: the command line, the ini file, ``[tool.botwebhook]`` and
  ``$BOTWEBHOOK_SECRET``.

Each item's Hypothesis database key is its node id, as HypoFuzz keys it, so a
failure HypoFuzz found replays under pytest and in CI from a shared database.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Generator
from typing import Any

import pytest

__all__ = ["ACTIVE", "MARKER", "register_fuzz_items"]

MARKER = "botwebhook_fuzz"
#: (the ``botwebhook`` client, strict) while a fuzz_suite test runs under pytest.
ACTIVE: contextvars.ContextVar[tuple[Any, bool] | None] = contextvars.ContextVar(
    "botwebhook_fuzz_client", default=None
)


def register_fuzz_items(config: pytest.Config, load_model: Callable[..., Any]) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(strict=False): a plain Hypothesis fuzz test (made by "
        "pytest_botwebhook.fuzz_suite())",
    )
    config.pluginmanager.register(_FuzzItems(config, load_model), "botwebhook-fuzz-items")


class _FuzzItems:
    def __init__(self, config: pytest.Config, load_model: Callable[..., Any]) -> None:
        self.config = config
        self.load_model = load_model

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if not isinstance(item, pytest.Function) or not item.get_closest_marker(MARKER):
                continue
            if "botwebhook" not in item.fixturenames:
                item.fixturenames.append("botwebhook")  # set up, not passed
            inner = getattr(getattr(item.obj, "hypothesis", None), "inner_test", None)
            if inner is not None:  # the key HypoFuzz gives it: one per item
                inner._hypothesis_internal_add_digest = item.nodeid.encode()
            item.obj._botwebhook_outside = self._outside

    def _outside(self) -> dict[str, Any]:
        """What a fuzz_suite test calls when no pytest run hands it a client."""
        from pytest_botwebhook._settings import settings_of

        settings = settings_of(self.config)
        return {
            "target": settings.target,
            "path": settings.path,
            "secret": settings.secret,
            "timeout": settings.timeout,
            "model": self.load_model(self.config, settings.model, fail=False),
            "strict": bool(self.config.getoption("botwebhook_strict", False)),
        }

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        marker = item.get_closest_marker(MARKER)
        if marker is None or not isinstance(item, pytest.Function):
            return (yield)
        strict = bool(marker.kwargs.get("strict")) or bool(
            self.config.getoption("botwebhook_strict", False)
        )
        token = ACTIVE.set((item.funcargs["botwebhook"], strict))
        reset = getattr(item.obj, "_botwebhook_reset", lambda: None)
        reset()
        try:
            return (yield)
        finally:
            ACTIVE.reset(token)
            reset()
