"""Replaying cassettes in pytest: ``replay_suite(...)`` parameters and the items of
``--botwebhook-replay FILE``, one per recorded call, named by intent and index."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import BotWebhookError, Target
from harness.replay import (
    CassetteEntry,
    Rules,
    read_cassette,
    read_sidecar,
    replay_entry,
    sidecar_path,
)

if TYPE_CHECKING:
    from pytest_botwebhook._settings import Settings

__all__ = ["ReplayCall", "replay_calls", "replay_items"]


@dataclass(frozen=True)
class ReplayCall:
    """One recorded call to replay, or the reason a line could not be read; ``rules``
    are the ignore rules of its cassette's sidecar."""

    id: str
    entry: CassetteEntry | None = None
    problem: str | None = None
    rules: tuple[str, ...] = ()
    sidecar: str = ""

    def run(self, target: Target, *, secret: Any, timeout: float, verbatim: bool,
            strict: bool, config: pytest.Config | None = None) -> None:  # fmt: skip
        """Replay the call (twice, to tell noise from change); fail on a regression, and
        show the noise beside the test."""
        __tracebackhide__ = True
        if self.entry is None:
            pytest.fail(f"botwebhook: {self.problem}", pytrace=False)
        try:
            rules = Rules.parse(self.rules, self.sidecar)
            for rule in configured_rules(config):
                rules.add(rule, "botwebhook_replay_ignore")
        except BotWebhookError as exc:
            pytest.fail(f"botwebhook: {exc}", pytrace=False)
        case = replay_entry(self.entry, target, name=self.id, secret=secret, verbatim=verbatim,
                            strict=strict, timeout=timeout, rules=rules)  # fmt: skip
        if case.regression:
            pytest.fail(case.report(), pytrace=False)
        if case.noise:
            print(case.report())  # captured: shown with -rP, and with the test's report


def configured_rules(config: pytest.Config | None) -> list[str]:
    """The ignore rules of the command line, the ini and ``[tool.botwebhook] replay_ignore``."""
    if config is None:
        return []
    given = list(config.getoption("botwebhook_replay_ignore") or [])
    given += [line for line in config.getini("botwebhook_replay_ignore") if line.strip()]
    if not given:
        from harness.model import tool_table

        table = tool_table(config.rootpath / "pyproject.toml").get("replay_ignore", [])
        given = [table] if isinstance(table, str) else [str(rule) for rule in table]
    return given


def replay_calls(root: Path, patterns: tuple[str, ...]) -> list[ReplayCall]:
    """Every call of the cassettes matching ``patterns`` (relative to ``root``)."""
    files: list[Path] = []
    for pattern in patterns:
        found = sorted(glob.glob(str(root / pattern), recursive=True)) or (
            [pattern] if Path(pattern).is_file() else []
        )
        if not found:
            return [ReplayCall(f"no-cassette[{pattern}]", problem=f"no cassette matches "
                               f"{pattern!r} (relative to {root})")]  # fmt: skip
        files.extend(Path(f) for f in found)
    calls: list[ReplayCall] = []
    for path in files:
        prefix = f"{path.stem}-" if len(files) > 1 else ""
        try:
            entries, problems = read_cassette(path)
        except BotWebhookError as exc:
            calls.append(ReplayCall(f"{prefix}unreadable", problem=str(exc)))
            continue
        try:
            rules = tuple(read_sidecar(path))
        except BotWebhookError as exc:
            calls.append(ReplayCall(f"{prefix}sidecar", problem=str(exc)))
            rules = ()
        sidecar = str(sidecar_path(path))
        calls.extend(
            ReplayCall(f"{prefix}{entry.intent}[{index}]", entry, rules=rules, sidecar=sidecar)
            for index, entry in enumerate(entries)
        )
        calls.extend(
            ReplayCall(f"{prefix}line-{problem.line}", problem=str(problem)) for problem in problems
        )
    return calls


class _ReplayFile(pytest.File):
    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are made directly
        return []


class ReplayItem(pytest.Item):
    """One recorded call of ``--botwebhook-replay FILE``."""

    def __init__(self, *, call: ReplayCall, settings: Settings, strict: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.call = call
        self.settings = settings
        self.strict = strict

    def runtest(self) -> None:
        from pytest_botwebhook._suite_items import session_target

        try:
            target = session_target(self.config, self.settings)
        except BotWebhookError as exc:
            pytest.fail(f"botwebhook: {exc}", pytrace=False)
        self.call.run(target, secret=self.settings.secret, timeout=self.settings.timeout,
                      verbatim=False, strict=self.strict, config=self.config)  # fmt: skip

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"botwebhook replay {self.call.id}"


def replay_items(session: pytest.Session, settings: Settings, files: list[str]) -> list[Any]:
    config = session.config
    strict = bool(config.getoption("botwebhook_strict"))
    items: list[Any] = []
    for name in files:
        parent = _ReplayFile.from_parent(session, path=config.rootpath / "botwebhook-replay")
        for call in replay_calls(config.rootpath, (name,)):
            items.append(
                ReplayItem.from_parent(
                    parent,
                    name=f"replay[{call.id}]",
                    nodeid=f"botwebhook-replay::{call.id}",
                    call=call,
                    settings=settings,
                    strict=strict,
                )
            )
    return items
