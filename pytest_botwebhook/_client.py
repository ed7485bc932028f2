"""The objects behind the ``botwebhook_payload`` and ``botwebhook`` fixtures."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from harness import (
    BotModel,
    BotWebhookError,
    Exchange,
    FuzzReport,
    Payload,
    PayloadFactory,
    Report,
    Secret,
    Target,
    deliver,
    load_target,
    run_check,
)
from harness.checks import DEFAULT_DATABASE, DEFAULT_WORKERS, Scenario
from harness.conversations import Conversation
from harness.platform import DEFAULT_TIMEOUT
from harness.protocol import WebhookRequest

__all__ = ["BotWebhookClient", "PayloadBuilder"]

_OPTIONS = frozenset(
    {
        "shape", "language", "text", "unfilled_optional", "facebook", "config", "chained",
        "trigger", "sys_any_command",
    }
)  # fmt: skip


def _is_platform_request(body: bytes) -> bool:
    try:
        WebhookRequest.from_bytes(body)
    except (BotWebhookError, ValueError, RecursionError):
        return False
    return True


class PayloadBuilder:
    """Builds realistic payloads for the bot model, seeded per test.

    ``botwebhook_payload(intent="colour", colour="blue")``: keyword arguments
    that are not factory options (``shape``, ``language``, ``text``, the
    features…) are variable values; pass ``values={...}`` for a label that
    clashes with an option name.
    """

    def __init__(self, model: BotModel | None, seed: int) -> None:
        self.factory = PayloadFactory(model, seed=seed)
        self.seed = seed
        self.declared_model = model  # None: the built-in catalogue

    @property
    def model(self) -> BotModel:
        return self.factory.model

    def __call__(
        self,
        intent: str | None = None,
        *,
        values: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Payload:
        variables = {k: v for k, v in options.items() if k not in _OPTIONS}
        chosen = {k: v for k, v in options.items() if k in _OPTIONS}
        merged = {**(values or {}), **variables}
        return self.factory.build(intent=intent, values=merged or None, **chosen)


class BotWebhookClient:
    """Sends webhook calls to the target the way the platform does, and checks them.

    ``send()`` returns an :class:`harness.Exchange` (``exchange.assert_ok()``
    fails a test readably); ``check()`` runs the whole scenario matrix and
    returns a :class:`harness.Report` (``report.assert_ok()``).
    """

    def __init__(
        self,
        target: Any,
        *,
        secret: Secret | str | bytes,
        payloads: PayloadBuilder,
        timeout: float = DEFAULT_TIMEOUT,
        seed: int = 0,
        path: str | None = None,
    ) -> None:
        self._target_spec = target
        self.path = path
        self._target: Target | None = None
        self.secret = Secret(secret)  # never shown in full, even by pytest -l
        self.payloads = payloads
        self.timeout = timeout
        self.seed = seed
        self._conversations: list[Any] = []

    @property
    def target(self) -> Target:
        """The loaded target (import strings and URLs are loaded on first use)."""
        if self._target is None:
            self._target = load_target(
                self._target_spec, connect_timeout=self.timeout, path=self.path
            )
        return self._target

    def payload(self, intent: str | None = None, **options: Any) -> Payload:
        """Same as the ``botwebhook_payload`` fixture."""
        return self.payloads(intent, **options)

    def send(
        self,
        payload: Payload | bytes | None = None,
        *,
        signed: bool | None = None,
        signature: str | None = None,
        **payload_options: Any,
    ) -> Exchange:
        """Deliver one call: ``payload`` (a Payload or exact bytes) or one built
        from ``payload_options`` (as for ``botwebhook_payload``).  ``signed`` None
        signs as the platform would (https and in-process targets)."""
        if "sign" in payload_options:  # the old name of ``signed``, until 0.3
            if signed is not None:
                raise TypeError("send() got both sign= and signed=: pass signed= only")
            warnings.warn(
                "botwebhook.send(sign=...) is now signed=...; sign= will be removed in 0.3",
                DeprecationWarning,
                stacklevel=2,
            )
            signed = payload_options.pop("sign")
        if payload is None:
            payload = self.payloads(**payload_options)
        elif payload_options:
            raise TypeError(
                f"send() got a payload and payload options {sorted(payload_options)}: "
                "pass one or the other"
            )
        exchange = deliver(
            self.target,
            payload,
            secret=self.secret,
            signed=signed,
            signature=signature,
            timeout=self.timeout,
        )
        return self._noted(exchange)

    def _noted(self, exchange: Exchange) -> Exchange:
        """Say on a refused signature that the default test secret was used."""
        from pytest_botwebhook._settings import TEST_SECRET, note_default_secret

        if self.secret == TEST_SECRET:
            note_default_secret(exchange)
        return exchange

    def run_scenario(self, scenario: Scenario) -> Exchange:
        """Deliver one scenario of the check matrix."""
        exchange = scenario.deliver(self.target, secret=self.secret, timeout=self.timeout)
        return self._noted(exchange)

    def check(
        self,
        *,
        passthrough: bool = False,
        ignore: Iterable[str] = (),
        seed: int | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> Report:
        """Run the full scenario matrix (as ``botwebhook check``) and return the report;
        ``workers`` calls are in flight at once (1 for a handler that is not thread-safe)."""
        from pytest_botwebhook._settings import DEFAULT_SECRET_NOTE, TEST_SECRET

        report = run_check(
            self.target,
            secret=self.secret,
            model=self.payloads.declared_model,
            seed=self.seed if seed is None else seed,
            timeout=self.timeout,
            ignore=ignore,
            passthrough=passthrough,
            workers=workers,
        )
        if self.secret == TEST_SECRET and any(f.code == "BW303" for f in report.findings):
            report.advice.append(DEFAULT_SECRET_NOTE)
        return report

    def conforms(self, payload: Payload | bytes) -> Exchange:
        """Send one payload and fail (``assert_ok``) unless the answer conforms: for use
        inside your own ``@given`` tests, e.g. with ``harness.strategies.payloads()``.

        Bytes that are not a platform request (``harness.strategies.malformed_bodies()``)
        are sent as an attacker would send them, without a valid signature: the
        platform never sends them, so only a 5xx fails (``BW402``)."""
        __tracebackhide__ = True
        if isinstance(payload, Payload) or _is_platform_request(payload):
            exchange = self.send(payload)
        else:
            exchange = deliver(
                self.target, payload, secret=self.secret, timeout=self.timeout, expect="malformed"
            )
        exchange.assert_ok()
        return exchange

    def fuzz(
        self,
        *,
        examples: int = 100,
        seed: int | None = None,
        passthrough: bool = False,
        database: Any = str(DEFAULT_DATABASE),
        conversations: int = 0,
    ) -> FuzzReport:
        """Fuzz the target with Hypothesis (as ``botwebhook fuzz``); ``.assert_ok()``
        on the result fails the test with the shrunk call and a curl reproducer.
        ``conversations=N`` adds N whole generated conversations, each failure shrunk
        to the shortest conversation and shown as a ``.conversation.yaml`` document.
        ``database`` is a folder, None, or a Hypothesis example database:
        ``hypothesis.settings().database`` shares the profile's (a Redis one)."""
        from harness import fuzz

        common: dict[str, Any] = {
            "secret": self.secret,
            "model": self.payloads.declared_model,
            "seed": seed,
            "timeout": self.timeout,
            "database": database,
        }
        report = fuzz(self.target, examples=examples, passthrough=passthrough, **common)
        if conversations:
            from harness.conversations import fuzz_conversations

            fuzz_conversations(self.target, examples=conversations, report=report, **common)
        return report

    def conversation(self, **options: Any) -> Conversation:
        """A :class:`harness.conversations.Conversation` with the target, secret, model,
        timeout and seed of this test: ``chat.say("book a table").expect(prompt="guests")``.
        ``options``: ``language``, ``channel``, ``client_variables``, ``clock``,
        ``callbacks``, ``later_timeout``, ``passthrough``, ``strict``, ``name``…"""
        options.setdefault("model", self.payloads.model)
        options.setdefault("seed", self.seed)
        chat = Conversation(self.target, secret=self.secret, timeout=self.timeout, **options)
        self._conversations.append(chat)
        return chat

    def close(self) -> None:
        for chat in self._conversations:
            chat.close()
        if self._target is not None:
            self._target.close()
