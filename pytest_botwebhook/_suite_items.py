"""Scenario parametrization, the items of ``pytest --botwebhook-suite``, and how a
suite's scenario is judged (the same for ``contract_suite()``'s items).

Items run one by one, in any order, on several workers, so what a check sees
only across calls comes from a *survey* of the target (``harness.checks.survey``,
once per session and target): an intent the handler does not serve is reported
by its first item and its other items are skipped (a warning for the built-in
catalogue, an error for declared intents); a target with no webhook at its path
is reported once; the probes are built on a payload the handler accepted, and
skipped as not judged when it accepted none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from harness import BotModel, BotWebhookError, Exchange, Target, load_target
from harness.checks import (
    NOT_JUDGED,
    Baseline,
    Finding,
    Scenario,
    Survey,
    build_matrix,
    probe_scenarios,
)
from harness.checks import survey as take_survey
from pytest_botwebhook._settings import BASELINE_KEY as _BASELINE
from pytest_botwebhook._settings import count_coverage, note_default_secret

if TYPE_CHECKING:
    from pytest_botwebhook._settings import Settings

__all__ = [
    "ScenarioFailed",
    "ScenarioItem",
    "judge_scenario",
    "scenarios_for",
    "session_target",
    "suite_items",
]

_TARGET = pytest.StashKey[Target]()
_SURVEYS = pytest.StashKey[dict[tuple[str, ...], Survey]]()
_REPORTED = pytest.StashKey[dict[str, str]]()


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
        target = load_target(settings.target, connect_timeout=settings.timeout, path=settings.path)
        config.stash[_TARGET] = target
        config.add_cleanup(target.close)  # once per session: an ASGI app's shutdown
    return target


class ScenarioFailed(Exception):
    """A scenario's findings; shown as they are, without a traceback."""


def judge_scenario(
    config: pytest.Config,
    target: Target,
    scenario: Scenario,
    *,
    secret: str,
    timeout: float,
    model: BotModel | None,
    strict: bool,
    default_secret: bool = False,
    passthrough: bool = False,
) -> Exchange | None:
    """Deliver ``scenario`` as the suite judges it, raising :class:`ScenarioFailed`
    with the failure text, or skipping it (see the module docstring); the exchange
    when it passes (None when nothing was sent: a run-level verdict stood for it)."""
    __tracebackhide__ = True
    if passthrough:  # one endpoint for every turn: no intents to survey
        return _deliver(scenario, target, secret, timeout, strict, default_secret,
                        _baseline(config))  # fmt: skip
    baseline = _baseline(config)
    looked = _survey(config, target, secret, timeout, model)
    if scenario.expect == "contract":
        intent = scenario.payload.variant.intent if scenario.payload else None
        for finding in _new(baseline, looked.findings, target):
            if finding.code == "BW108" or finding.variant == intent:
                _once(config, finding, strict, scenario.id)
                return None
    elif looked.accepted is None:
        pytest.skip(f"botwebhook: {NOT_JUDGED}")
    else:
        rebuilt = {s.id: s for s in probe_scenarios(looked.accepted, robustness=True)}
        scenario = rebuilt.get(scenario.id, scenario)
    return _deliver(scenario, target, secret, timeout, strict, default_secret, baseline,
                        lambda e: count_coverage(config, model, lambda c: c.add(e)))  # fmt: skip


def _deliver(
    scenario: Scenario,
    target: Target,
    secret: str,
    timeout: float,
    strict: bool,
    default_secret: bool,
    baseline: Baseline | None = None,
    counted: Callable[[Exchange], None] | None = None,
) -> Exchange:
    __tracebackhide__ = True
    exchange = scenario.deliver(target, secret=secret, timeout=timeout)
    if counted is not None:
        counted(exchange)
    exchange.findings = _new(baseline, exchange.findings, target)
    if default_secret:
        note_default_secret(exchange)
    report = exchange.failure_report(strict=strict)
    if report is not None:
        raise ScenarioFailed(report)
    return exchange


def _new(baseline: Baseline | None, findings: list[Finding], target: Target) -> list[Finding]:
    """The findings the baseline (``botwebhook_baseline``) did not accept."""
    if baseline is None:
        return list(findings)
    source = getattr(target, "source_file", None)
    kept = baseline.new(findings, (source, 1) if source else None)
    baseline.hidden += len(findings) - len(kept)
    return kept


def _baseline(config: pytest.Config) -> Baseline | None:
    """The baseline the settings name, read once (a bad file stops the run, naming it)."""
    if _BASELINE in config.stash:
        kept: Baseline | None = config.stash[_BASELINE]
        return kept
    from pytest_botwebhook._settings import settings_of

    settings = settings_of(config)
    baseline = None
    if settings.baseline:
        try:
            baseline = Baseline.read(config.rootpath / settings.baseline)
        except BotWebhookError as exc:
            source = settings.sources.get("baseline", "")
            raise pytest.UsageError(f"botwebhook: baseline from {source}: {exc}") from None
    config.stash[_BASELINE] = baseline
    return baseline


def _survey(
    config: pytest.Config, target: Target, secret: str, timeout: float, model: BotModel | None
) -> Survey:
    cache = config.stash.setdefault(_SURVEYS, {})
    key = (target.name, target.url, model.source if model else "", secret)
    found = cache.get(key)
    if found is None:
        found = cache[key] = take_survey(target, model, secret=secret, timeout=timeout)
    return found


def _once(config: pytest.Config, finding: Finding, strict: bool, scenario: str) -> None:
    """Fail the first item a run-level finding stands for (when it fails), and skip
    the others, pointing at that first one."""
    __tracebackhide__ = True
    reported = config.stash.setdefault(_REPORTED, {})
    key = f"{finding.code} {finding.scenario}"
    what = f"{finding.code} {finding.severity}: {finding.title}"
    if key in reported or not (strict or finding.severity == "error"):
        where = f" (failed by {reported[key]})" if key in reported else ""
        pytest.skip(f"botwebhook: {finding.code} {finding.severity}{where}: {finding.evidence}")
    reported[key] = scenario
    raise ScenarioFailed(f"{what}\n  {finding.evidence}\n  hint: {finding.hint}")


class _SuiteFile(pytest.File):
    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are made directly
        return []


class ScenarioItem(pytest.Item):
    """One scenario of the contract suite, named after it (``contract[colour-shapeA]``)."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        settings: Settings,
        strict: bool,
        model: BotModel | None = None,
        passthrough: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.scenario = scenario
        self.settings = settings
        self.strict = strict
        self.model = model
        self.passthrough = passthrough

    def _target(self) -> Target:
        try:
            return session_target(self.config, self.settings)
        except BotWebhookError as exc:
            raise ScenarioFailed(f"botwebhook: {exc}") from exc

    def runtest(self) -> None:
        exchange = judge_scenario(
            self.config,
            self._target(),
            self.scenario,
            secret=self.settings.secret,
            timeout=self.settings.timeout,
            model=self.model,
            strict=self.strict,
            default_secret=self.settings.default_secret,
            passthrough=self.passthrough,
        )
        for finding in exchange.findings if exchange is not None else ():
            if finding.severity == "warning":
                self.add_report_section("call", "botwebhook warnings", finding.evidence)

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
            model=model,
            passthrough=passthrough,
        )
        for scenario in scenarios_for(model, settings.seed or 0, passthrough)
    ]
