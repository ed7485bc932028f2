"""Property-based fuzzing of a handler with Hypothesis (``botwebhook fuzz``).

Each example is one call: a realistic signed payload (which must get an answer
the platform accepts as meant, and never a 5xx), a payload with a wrong or no
signature (which must be refused when a secret is configured), or a malformed
body (which must get a 4xx).  A failure is shrunk to the simplest call that
still fails; Hypothesis' example database replays it first next time.
Deadlines are off: a slow handler is a ``BW105`` finding, not a Hypothesis
error.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness._botmodel import BotModel
from harness._errors import BotWebhookValueError, require_type
from harness._exchange import Exchange, deliver
from harness._request import Shape
from harness._signing import redact_secret
from harness._transport import DEFAULT_TIMEOUT, Target

__all__ = ["DEFAULT_DATABASE", "FuzzReport", "fuzz"]

#: Where found failures are kept between runs (relative to the working folder).
DEFAULT_DATABASE = Path(".hypothesis") / "botwebhook"


class _CallFailed(Exception):
    """Raised inside the property so Hypothesis shrinks; carries the finding code."""


@dataclass
class FuzzReport:
    """The result of a fuzz run: the shrunk failing exchange, if any."""

    target: str
    secret: str
    seed: int | None
    examples: int
    elapsed: float
    failure: Exchange | None = None
    saved: Path | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def render(self) -> str:
        seed = self.seed if self.seed is not None else "random"
        head = (
            f"botwebhook fuzz: {self.target} (secret {self.secret}, seed {seed}): "
            f"{self.examples} examples in {self.elapsed:.2f}s"
        )
        if self.failure is None:
            return f"{head}\nno failure: every call was answered as the platform expects"
        exchange = self.failure
        lines = [head, "", f"FAILED, shrunk to the simplest failing call ({exchange.scenario}):"]
        for finding in exchange.findings:
            if finding.severity == "error":
                lines.append(f"  {finding.code} error: {finding.title}")
                lines.append(f"    {finding.evidence}")
                lines.append(f"    hint: {finding.hint}")
        lines.append("  payload:")
        lines.extend(f"    {line}" for line in _pretty(exchange.sent.body).splitlines())
        if self.saved is not None:
            lines.append(f"  saved the exact body to {self.saved}")
        lines.append(f"  reproduce with:\n    {exchange.reproduce()}")
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise AssertionError with the shrunk failure, if there is one."""
        __tracebackhide__ = True
        if self.failure is not None:
            raise AssertionError(self.render())


def _pretty(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), ensure_ascii=False, indent=2)[:4000]
    except (ValueError, RecursionError):
        return repr(body[:2000])


def fuzz(
    target: Target,
    *,
    secret: str | None = None,
    model: BotModel | None = None,
    examples: int = 100,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    database: str | Path | None = DEFAULT_DATABASE,
    save_dir: str | Path | None = None,
    passthrough: bool = False,
    sign_requests: bool | None = None,
) -> FuzzReport:
    """Fuzz ``target`` with ``examples`` calls; see the module docstring.

    ``seed`` makes the run reproducible; ``database`` None keeps nothing between
    runs; ``save_dir`` writes the failing body there as ``botwebhook-fuzz-<code>.body``.
    """
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import strategies as st
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import HypothesisWarning

    from harness import strategies as bst

    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise BotWebhookValueError(f"examples={examples!r} must be a positive int")
    signing = (target.https or target.in_process) if sign_requests is None else sign_requests
    kinds = ("passthrough",) if passthrough else ("intent",)
    shapes = ("A", "B")
    calls: Any = bst.payloads(model=model, kinds=kinds, shapes=shapes).map(
        lambda p: ("contract", p, None)
    )
    cases: list[Any] = [calls]
    if secret and signing:
        # The signature properties need real payloads, not new ones each time: a few
        # built once make these calls cheap, so the budget goes to the contract calls.
        from harness._factory import PayloadFactory

        factory = PayloadFactory(model, seed=seed or 0)
        shape: Shape | None = "P" if passthrough else None
        sample = st.sampled_from([factory.build(shape=shape) for _ in range(16)])
        cases.append(
            st.tuples(
                st.just("wrong-signature"),
                sample,
                bst.signatures(valid=False).filter(lambda s: s is not None),
            )
        )
        cases.append(st.tuples(st.just("missing-signature"), sample, st.none()))
    cases.append(bst.malformed_bodies().map(lambda b: ("malformed", b, None)))
    # Mostly valid calls (they find the most), shrinking toward them.  (st.one_of
    # would merge repeated branches, so the weights go through an index instead.)
    weights = [6, 1, 1, 2] if len(cases) == 4 else [8, 2]
    indexes = [i for i, weight in enumerate(weights) for _ in range(weight)]
    strategy = st.sampled_from(indexes).flatmap(lambda i: cases[i])
    state: dict[str, Any] = {"count": 0, "last": None}

    def call(case: tuple[str, Any, str | None]) -> None:
        kind, body, signature = case
        state["count"] += 1
        exchange = deliver(
            target,
            body,
            secret=secret,
            sign_requests=signing,
            signature=signature,
            timeout=timeout,
            expect=kind,  # type: ignore[arg-type]
            scenario=f"fuzz[{kind}]",
        )
        errors = [f for f in exchange.findings if f.severity == "error"]
        if errors:
            state["last"] = exchange
            raise _CallFailed(errors[0].code)

    db = DirectoryBasedExampleDatabase(str(database)) if database is not None else None
    if seed is not None:
        # hypothesis.seed() would also switch the example database off; seeding this
        # way keeps both a reproducible run and the replay of kept failures.  (Tested:
        # the same seed gives the same calls.)
        call._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    prop = given(strategy)(call)
    prop._hypothesis_internal_add_digest = (  # type: ignore[attr-defined]
        f"{target.name}|{model.source if model else 'catalogue'}|{passthrough}".encode()
    )
    runner = settings(
        verbosity=Verbosity.quiet,  # our report says it all, Hypothesis need not print
        max_examples=examples,
        deadline=None,
        database=db,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )(prop)
    started = time.perf_counter()
    failure: Exchange | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HypothesisWarning)  # e.g. "overly large repr"
            runner()
    except _CallFailed:
        failure = state["last"]
    report = FuzzReport(
        target=target.name,
        secret=redact_secret(secret) if secret else "none",
        seed=seed,
        examples=state["count"],
        elapsed=time.perf_counter() - started,
        failure=failure,
    )
    if failure is not None and save_dir is not None:
        code = next(f.code for f in failure.findings if f.severity == "error")
        path = Path(save_dir) / f"botwebhook-fuzz-{code}.body"
        path.write_bytes(failure.sent.body)
        report.saved = path
    return report
