"""The one-line contract suite (imports only pytest; the rest loads on use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_botwebhook._settings import TEST_SECRET

__all__ = [
    "contract_suite",
    "fuzz_suite",
    "replay_suite",
]


def contract_suite(*, passthrough: bool = False, strict: bool = False) -> Callable[..., None]:
    """A test function that pytest expands into one item per scenario of the
    ``botwebhook check`` matrix, against the configured target::

        # tests/test_webhook_contract.py
        import pytest_botwebhook

        test_contract = pytest_botwebhook.contract_suite()

    Items are named after the scenarios (``test_contract[colour-shapeA]``,
    ``test_contract[signature-wrong]``); the target, secret and model come from
    the usual configuration, the ``botwebhook_target`` fixture or a module's
    ``pytestmark = pytest.mark.botwebhook(...)``.  ``passthrough=True`` checks a
    passthrough endpoint; ``strict=True`` fails on warnings too.
    """

    @pytest.mark.botwebhook_suite(passthrough=passthrough, strict=strict)
    def test_contract(
        botwebhook_scenario: Any, botwebhook: Any, request: pytest.FixtureRequest
    ) -> None:
        __tracebackhide__ = True
        from pytest_botwebhook._suite_items import ScenarioFailed, judge_scenario

        try:
            judge_scenario(
                request.config,
                botwebhook.target,
                botwebhook_scenario,
                secret=botwebhook.secret,
                timeout=botwebhook.timeout,
                model=botwebhook.payloads.declared_model,
                strict=strict or bool(request.config.getoption("botwebhook_strict")),
                default_secret=botwebhook.secret == TEST_SECRET,
                passthrough=passthrough,
            )
        except ScenarioFailed as failed:
            pytest.fail(str(failed), pytrace=False)

    marked: Callable[..., None] = test_contract
    return marked


def fuzz_suite(
    *,
    examples: int = 200,
    seed: int | None = None,
    passthrough: bool = False,
    conversations: int = 0,
    strict: bool = False,
) -> Callable[..., None]:
    """A test that fuzzes the configured target with Hypothesis::

        test_fuzz = pytest_botwebhook.fuzz_suite(examples=500, conversations=50)

    A failure shows the shrunk call, its findings and a curl command; Hypothesis'
    example database replays it first on the next run.  ``conversations=N`` adds N
    whole generated chats, each failure shrunk to the shortest conversation.
    ``strict=True`` (or ``--botwebhook-strict``) also fails on the survey's warnings
    (an intent of the built-in catalogue the handler does not serve).
    """

    def test_fuzz(botwebhook: Any, request: pytest.FixtureRequest) -> None:
        __tracebackhide__ = True
        botwebhook.fuzz(
            examples=examples, seed=seed, passthrough=passthrough, conversations=conversations
        ).assert_ok(strict=strict or bool(request.config.getoption("botwebhook_strict")))

    marked: Callable[..., None] = test_fuzz
    return marked


def replay_suite(
    *patterns: str, verbatim: bool = False, strict: bool = False
) -> Callable[..., None]:
    """A test that pytest expands into one item per recorded call of the cassettes
    matching ``patterns`` (globs relative to the rootdir), named by intent and index::

        test_replay = pytest_botwebhook.replay_suite("tests/cassettes/*.jsonl")

    Each call is sent again to the configured target (re-signed with the configured
    secret, or byte for byte with ``verbatim=True``) and fails on any change in the
    status, what the chat user sees, the context update (and the raw bytes with
    ``strict=True``), or on a new error finding.  An unreadable line is an item that
    fails naming the file and the line.
    """

    @pytest.mark.botwebhook_replay(patterns=patterns, verbatim=verbatim, strict=strict)
    def test_replay(
        botwebhook_replay_call: Any, botwebhook: Any, request: pytest.FixtureRequest
    ) -> None:
        __tracebackhide__ = True
        botwebhook_replay_call.run(
            botwebhook.target, secret=botwebhook.secret, timeout=botwebhook.timeout,
            verbatim=verbatim, strict=strict, config=request.config,
        )  # fmt: skip

    marked: Callable[..., None] = test_replay
    return marked
