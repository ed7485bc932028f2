"""Scenario parametrization and the items of ``pytest --botwebhook-suite``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness import BotModel, BotWebhookError, Exchange, Target, load_target
from harness.checks import Scenario, build_matrix

if TYPE_CHECKING:
    from pytest_botwebhook._settings import Settings

__all__ = ["ScenarioItem", "scenarios_for", "session_target", "suite_items"]

_TARGET = pytest.StashKey[Target]()


_MATRICES: dict[tuple[int, int, bool], tuple[BotModel | None, list[Scenario]]] = {}


def scenarios_for(model: BotModel | None, seed: int, passthrough: bool) -> list[Scenario]:
    """The check matrix (deterministic, so every xdist worker collects the same),
    built once per model, seed and kind in a session."""
    key = (id(model), seed, passthrough)
    cached = _MATRICES.get(key)
    if cached is None or cached[0] is not model:
        cached = _MATRICES[key] = (model, build_matrix(model, seed=seed, passthrough=passthrough))
    return list(cached[1])


def session_target(config: pytest.Config, settings: Settings) -> Target:
    """The configured target, loaded once per session for the items that have no
    fixtures (the contract suite's, the replayed calls'), and closed at the end."""
    target = config.stash.get(_TARGET, None)
    if target is None:
        assert settings.target is not None
        target = load_target(settings.target, connect_timeout=settings.timeout)
        config.stash[_TARGET] = target
        config.add_cleanup(target.close)  # once per session: an ASGI app's shutdown
    return target


class ScenarioFailed(Exception):
    """A scenario's findings; shown as they are, without a traceback."""


class _SuiteFile(pytest.File):
    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are made directly
        return []


class ScenarioItem(pytest.Item):
    """One scenario of the contract suite, named after it (``contract[colour-shapeA]``)."""

    def __init__(self, *, scenario: Scenario, settings: Settings, strict: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.scenario = scenario
        self.settings = settings
        self.strict = strict

    def _target(self) -> Target:
        try:
            return session_target(self.config, self.settings)
        except BotWebhookError as exc:
            raise ScenarioFailed(f"botwebhook: {exc}") from exc

    def runtest(self) -> None:
        exchange: Exchange = self.scenario.deliver(
            self._target(), secret=self.settings.secret, timeout=self.settings.timeout
        )
        report = exchange.failure_report(strict=self.strict)
        for finding in exchange.findings:
            if finding.severity == "warning" and not self.strict:
                self.add_report_section("call", "botwebhook warnings", finding.evidence)
        if report is not None:
            raise ScenarioFailed(report)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"botwebhook {self.scenario.id}"


def suite_items(session: pytest.Session, settings: Settings, model: BotModel | None) -> list[Any]:
    config = session.config
    parent = _SuiteFile.from_parent(session, path=config.rootpath / "botwebhook")
    passthrough = bool(config.getoption("botwebhook_passthrough"))
    strict = bool(config.getoption("botwebhook_strict"))
    return [
        ScenarioItem.from_parent(
            parent,
            name=scenario.id,
            # Given as text so pytest parses it the way it parses the ids it stores
            # for --lf ("contract" with the parameter "colour-shapeA").
            nodeid=f"botwebhook::{scenario.id}",
            scenario=scenario,
            settings=settings,
            strict=strict,
        )
        for scenario in scenarios_for(model, settings.seed or 0, passthrough)
    ]
