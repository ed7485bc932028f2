"""The items of ``test_*.conversation.yaml`` files: one per conversation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness import BotModel, BotWebhookError, load_model
from harness.conversations import (
    ConversationFailed,
    ConversationRun,
    ConversationSpec,
    load_conversations,
    run_conversation,
)

__all__ = ["ConversationFile", "ConversationItem"]


class ConversationFile(pytest.File):
    """A conversation file; ``model`` is the plugin's, for conversations naming none."""

    def __init__(self, *, model: BotModel | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.model = model

    def collect(self) -> Iterator[pytest.Item]:
        try:
            specs = load_conversations(self.path, model=self.model, load_model=load_model)
        except BotWebhookError as exc:
            raise self.CollectError(f"botwebhook: {exc}") from None
        seen: set[str] = set()
        for spec in specs:
            name = spec.name.replace("::", ":")
            if name in seen:
                name = f"{name} [{spec.index}]"
            seen.add(name)
            yield ConversationItem.from_parent(self, name=name, callobj=_test_for(spec), spec=spec)


def _test_for(spec: ConversationSpec) -> Callable[..., None]:
    def test_conversation(botwebhook: Any, request: pytest.FixtureRequest) -> None:
        __tracebackhide__ = True
        try:
            result = run_conversation(
                spec,
                botwebhook.target,
                secret=botwebhook.secret,
                timeout=botwebhook.timeout,
                seed=botwebhook.seed,
                strict=bool(request.config.getoption("botwebhook_strict")),
            )
        except BotWebhookError as exc:  # e.g. a pattern too slow to match: file and line
            pytest.fail(f"botwebhook: {exc}", pytrace=False)
        from pytest_botwebhook._settings import count_coverage

        count_coverage(request.config, spec.model,
                       lambda c: c.merge(ConversationRun([result]).coverage))  # fmt: skip
        item = request.node
        for finding in result.warnings:
            item.add_report_section(
                "call", "botwebhook warnings", f"{finding.code} {finding.title}: {finding.evidence}"
            )
        if result.failure is not None:
            from pytest_botwebhook._settings import DEFAULT_SECRET_NOTE, TEST_SECRET

            text = result.failure
            if botwebhook.secret == TEST_SECRET and "BW303" in text:
                text += f"\nnote: {DEFAULT_SECRET_NOTE}"
            raise ConversationFailed(text)

    return test_conversation


class ConversationItem(pytest.Function):
    """One conversation, run through the ``botwebhook`` fixture (so the target,
    secret and timeout come from the usual configuration or fixture overrides)."""

    def __init__(self, *, spec: ConversationSpec, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec

    def repr_failure(self, excinfo: Any) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, ConversationFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, self.spec.line - 1, f"conversation {self.spec.name}"
