"""One call per Hypothesis example: the body of a plain ``@given`` test.

:func:`harness.checks.fuzz` runs its own Hypothesis runs, with their own
settings and database.  A *plain* test is the other way round: the test is an
ordinary ``@given`` function that draws a case (:meth:`CallProperty.cases`) and
checks it (:meth:`CallProperty.check`), so whatever runs Hypothesis tests runs
it as it is: pytest, with the settings profile the project loads (a shared
Redis example database among them), or HypoFuzz, on every core, for as long as
it is left running.

What a test needs is resolved on its first example, not at import, through a
function given to the property: the test takes no pytest fixture (HypoFuzz does
not collect tests that do).  The first example also surveys the target, as
``fuzz`` does: an intent the handler does not serve is left out, a target with no
webhook at its path fails every example with that finding.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.checks._attacks import attack_cases
from harness.checks._fuzz_report import MAX_TIMEOUTS
from harness.checks._hunt import failure_key, failure_type
from harness.delivery._exchange import Exchange, deliver
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import Secret

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["CallProperty", "FuzzContext", "PropertyFailed"]


class PropertyFailed(AssertionError):
    """A case the platform would not accept as meant; one subclass per distinct
    failure (finding codes, exception and where it was raised), so that Hypothesis
    shrinks and reports each on its own."""


@dataclass
class FuzzContext:
    """What a plain fuzz test calls, resolved on its first example."""

    target: Target
    secret: Secret | None = None
    model: BotModel | None = None
    timeout: float = DEFAULT_TIMEOUT
    passthrough: bool = False
    signed: bool | None = None
    #: The survey's warnings (an intent of the catalogue not served) fail too.
    strict: bool = False
    #: Set by the first example's survey: the intents served, the survey's errors.
    surveyed: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def signing(self) -> bool:
        return self.target.platform_signs if self.signed is None else self.signed


class CallProperty:
    """Cases (valid payloads; wrong, missing signatures; malformed bodies) and their
    check, for a plain ``@given`` test::

        prop = CallProperty(lambda: FuzzContext(load_target("app.py:app"), secret))

        @given(prop.cases())
        def test_calls(case):
            prop.check(case)
    """

    def __init__(self, resolve: Callable[[], FuzzContext]) -> None:
        self._resolve = resolve
        self._context: FuzzContext | None = None
        self._lock = threading.Lock()
        self._timeouts = 0

    def reset(self) -> None:
        """Forget the context: the next example resolves it again (a new test run)."""
        with self._lock:
            self._context = None
            self._timeouts = 0

    def context(self) -> FuzzContext:
        """The context, resolved (and the target surveyed) on first use."""
        with self._lock:
            if self._context is None:
                context = self._resolve()
                if not context.passthrough:
                    _survey(context)
                self._context = context
            return self._context

    def cases(self) -> SearchStrategy[tuple[str, Any, str | None]]:
        """``(kind, body, signature)``: ``contract`` payloads first (Hypothesis shrinks
        toward them), then what an attacker can send."""
        from hypothesis import strategies as st

        return st.deferred(lambda: self._cases())

    def _cases(self) -> SearchStrategy[tuple[str, Any, str | None]]:
        from hypothesis import strategies as st

        from harness.checks import _strategies as bst

        context = self.context()
        kinds = ("passthrough",) if context.passthrough else ("intent",)
        payloads = bst.payloads(model=context.model, kinds=kinds, shapes=("A", "B"))
        attacks = attack_cases(payloads, bool(context.secret), context.signing)
        return st.one_of(payloads.map(lambda p: ("contract", p, None)), attacks)

    def check(self, case: tuple[str, Any, str | None]) -> Exchange:
        """Send one case; raise :class:`PropertyFailed` (a subclass per distinct
        failure) with its findings and a curl reproducer when the platform would
        not accept the answer as meant."""
        __tracebackhide__ = True
        context = self.context()
        if context.errors:
            raise PropertyFailed("\n".join(context.errors))
        if self._timeouts >= MAX_TIMEOUTS:
            raise PropertyFailed(
                f"the handler timed out {self._timeouts} times: not called again in this run"
            )
        kind, body, signature = case
        exchange = deliver(context.target, body, secret=context.secret, signed=context.signing,
                           signature=signature, timeout=context.timeout, expect=kind,  # type: ignore[arg-type]
                           scenario=f"fuzz[{kind}]")  # fmt: skip
        if exchange.ok:
            return exchange
        if exchange.delivery.timed_out:
            self._timeouts += 1
        kind_of = failure_type(failure_key(exchange), PropertyFailed)
        raise kind_of(exchange.failure_report() or "")


def _survey(context: FuzzContext) -> None:
    from harness.checks._survey import survey
    from harness.model._catalogue import builtin_model

    looked = survey(context.target, context.model, secret=context.secret,
                    signed=context.signing, timeout=context.timeout)  # fmt: skip
    context.surveyed = True
    context.errors = [
        f"{f.code} {f.title}: {f.evidence} (hint: {f.hint}; more: {f.about})"
        for f in looked.findings
        if f.severity == "error" or (context.strict and f.severity == "warning")
    ]
    served = looked.served(context.model or builtin_model())
    if served is not None:
        context.model = served
