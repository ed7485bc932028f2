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
    target: Any = None,
    secret: str | None = None,
) -> Callable[..., None]:
    """A plain Hypothesis test that fuzzes the configured target, one call per example::

        test_fuzz = pytest_botwebhook.fuzz_suite(examples=500, conversations=50)

    Each example is one call: a realistic signed payload (answered as the platform
    expects, never a 5xx), a wrong or missing signature (refused), or a malformed
    body sent without a valid signature (never a 5xx); with ``conversations=N``, N
    more examples are whole generated chats.  A failure shows the shrunk call, its
    findings and a curl command (a chat: its transcript and conversation file).

    It is an ordinary ``@given`` test with no fixture argument, so HypoFuzz can run
    it too, and it uses the example database of the settings profile in force (a
    shared Redis database, for one); its key is the test's node id.  Under pytest
    the target, secret and model come from the usual configuration, fixtures and
    markers included; outside a pytest run (HypoFuzz), from the command line, the
    ini file, ``[tool.botwebhook]`` and ``$BOTWEBHOOK_SECRET``, or from ``target=``
    and ``secret=`` here.  ``seed`` fixes Hypothesis's seed; ``strict=True`` (or
    ``--botwebhook-strict``) also fails on the survey's warnings.
    """
    if passthrough and conversations:
        from harness.errors import BotWebhookValueError

        raise BotWebhookValueError(
            f"fuzz_suite(passthrough=True, conversations={conversations!r}): a passthrough "
            "bot has no intents to converse through (hint: drop conversations=)"
        )
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st

    from harness.checks import CallProperty, FuzzContext
    from harness.conversations import ChatProperty

    def resolve() -> FuzzContext:
        from pytest_botwebhook._fuzz_items import ACTIVE

        active = ACTIVE.get()
        if active is not None:  # under pytest: the botwebhook fixture's client
            client, strict_now = active
            model = client.payloads.declared_model
            return FuzzContext(client.target, client.secret, model, client.timeout,
                               passthrough, strict=strict or strict_now)  # fmt: skip
        found: FuzzContext = _outside(test, target, secret, passthrough, strict)
        return found

    calls = CallProperty(resolve)
    properties: list[Any] = [calls, *([ChatProperty(calls)] if conversations else [])]
    cases = st.one_of([p.cases().map(lambda c, i=i: (i, c)) for i, p in enumerate(properties)])

    @pytest.mark.botwebhook_fuzz(strict=strict)
    @settings(max_examples=examples + conversations, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=cases)
    def test_fuzz(case: tuple[int, Any]) -> None:
        __tracebackhide__ = True
        index, drawn = case
        properties[index].check(drawn)

    test: Any = fixed_seed(seed)(test_fuzz) if seed is not None else test_fuzz
    test._botwebhook_reset = calls.reset
    marked: Callable[..., None] = test
    return marked


def _outside(test: Any, target: Any, secret: str | None, passthrough: bool, strict: bool) -> Any:
    """The context of a fuzz_suite test that no pytest run hands a client (HypoFuzz):
    the settings read at collection, or ``target=`` and ``secret=``."""
    from harness import Secret, load_target
    from harness.checks import FuzzContext
    from harness.errors import TargetError
    from harness.platform import DEFAULT_TIMEOUT

    read = getattr(test, "_botwebhook_outside", None)
    found: dict[str, Any] = read() if read is not None else {}
    spec = target if target is not None else found.get("target")
    if spec is None:
        raise TargetError(
            "fuzz_suite() runs outside a pytest run here (HypoFuzz), where fixtures are not "
            "set up: set botwebhook_target in the ini file or [tool.botwebhook], or pass "
            "fuzz_suite(target=...) (hint: a botwebhook_target fixture is seen only by pytest)"
        )
    chosen = secret or found.get("secret") or TEST_SECRET
    return FuzzContext(load_target(spec, path=found.get("path")), Secret(chosen),
                       found.get("model"), found.get("timeout") or DEFAULT_TIMEOUT, passthrough,
                       strict=strict or bool(found.get("strict")))  # fmt: skip


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
