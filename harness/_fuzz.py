"""Property-based fuzzing of a handler with Hypothesis (``botwebhook fuzz``).

Two phases, in order, so that no malformed failure can hide a crash on a
valid payload:

1. **valid**: realistic signed payloads across every variant, which must get an
   answer the platform accepts as meant (never a 5xx);
2. **attacker**: what anyone on the network can send: payloads with a wrong or
   no signature (refused when a secret is configured) and malformed bodies,
   sent without a valid signature (only the platform can sign, and it never
   sends a malformed body), which must not get a 5xx.

Each distinct failure (finding code, exception type and where it was raised)
is shrunk on its own and reported; Hypothesis' example database replays them
first next time.  Deadlines are off: a slow handler is a ``BW105`` finding,
and after a few timeouts the phase stops calling the target, so a slow or dead
handler cannot make a run last ``timeout`` x examples.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness._botmodel import BotModel
from harness._errors import BotWebhookValueError, require_type
from harness._exchange import Exchange, clip_lines, deliver
from harness._request import Shape
from harness._signing import SIGNATURE_HEADER, Secret, SecretLike, redact_secret
from harness._transport import DEFAULT_TIMEOUT, Target, check_timeout
from harness._workspace import DEFAULT_DATABASE, DEFAULT_SAVE_DIR, save_file, workspace

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SAVE_DIR",
    "FuzzFailure",
    "FuzzReport",
    "check_run",
    "fuzz",
    "hunt",
]

#: Timed-out calls a phase makes before it stops calling the target.
MAX_TIMEOUTS = 5
_PRINTED_LINES = 30
_PRINTED_CHARS = 2000


class _CallFailed(Exception):
    """Raised inside the property so Hypothesis shrinks.  One subclass per distinct
    failure, so that Hypothesis tells them apart and shrinks each on its own."""


_KINDS: dict[tuple[str, ...], type[_CallFailed]] = {}


def _failure_type(key: tuple[str, ...]) -> type[_CallFailed]:
    kind = _KINDS.get(key)
    if kind is None:
        kind = _KINDS[key] = type(f"Failed_{len(_KINDS)}", (_CallFailed,), {})
    return kind


def failure_key(exchange: Exchange) -> tuple[str, ...]:
    """What makes a failure distinct: the error codes, and for a server error the
    exception's type and where it was raised (``KeyError``, ``app.py:14``)."""
    codes = tuple(sorted({f.code for f in exchange.findings if f.severity == "error"}))
    raised = exchange.received.exception if exchange.received is not None else None
    if not raised:
        return codes
    kind = raised.split(":", 1)[0]
    where = raised.rsplit(" at ", 1)[1] if " at " in raised else ""
    return (*codes, kind, where)


@dataclass
class FuzzFailure:
    """One distinct failure: the shrunk exchange, its phase, and the saved body."""

    exchange: Exchange
    phase: str
    saved: Path | None = None
    #: For a failing conversation: the shortest one, as a conversation file document,
    #: and its transcript up to the failing turn.
    conversation: str | None = None
    transcript: str | None = None

    @property
    def code(self) -> str:
        return next(f.code for f in self.exchange.findings if f.severity == "error")


@dataclass
class FuzzReport:
    """The result of a fuzz run: every distinct failure, shrunk."""

    target: str
    #: The secret as reports show it (``2fb7…(40 chars)``), or "none".
    redacted_secret: str
    seed: int | None
    examples: int
    elapsed: float
    failures: list[FuzzFailure] = field(default_factory=list)
    #: Calls made in each phase.
    phases: dict[str, int] = field(default_factory=dict)
    #: Phases that stopped calling the target after too many timeouts.
    gave_up: list[str] = field(default_factory=list)

    @property
    def first_failure(self) -> FuzzFailure | None:
        """The first failure (valid-payload failures come first), or None."""
        return self.failures[0] if self.failures else None

    @property
    def ok(self) -> bool:
        return not self.failures

    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def render(self) -> str:
        seed = self.seed if self.seed is not None else "random"
        phases = ", ".join(f"{count} {name}" for name, count in self.phases.items())
        head = (
            f"botwebhook fuzz: {self.target} (secret {self.redacted_secret}, seed {seed}): "
            f"{self.examples} examples ({phases}) in {self.elapsed:.2f}s"
        )
        lines = [head]
        for phase in self.gave_up:
            lines.append(
                f"the {phase} phase stopped calling the target after {MAX_TIMEOUTS} timed-out "
                "calls: the handler is too slow for the platform"
            )
        if not self.failures:
            lines.append("no failure: every call was answered as the platform expects")
            return "\n".join(lines)
        count = len(self.failures)
        lines.append(
            f"{count} distinct failure{'s' * (count != 1)}, each shrunk to its simplest call"
        )
        for number, failure in enumerate(self.failures, 1):
            lines += ["", *self._failure(number, failure)]
        return "\n".join(lines)

    def _failure(self, number: int, failure: FuzzFailure) -> list[str]:
        exchange = failure.exchange
        lines = [f"{number}. FAILED in the {failure.phase} phase ({exchange.scenario}):"]
        if failure.transcript:
            lines.append("  the conversation, shrunk to the shortest that fails:")
            lines.extend(f"  {line}" for line in failure.transcript.splitlines())
        for finding in exchange.findings:
            if finding.severity == "error":
                lines.append(f"  {finding.code} error: {finding.title}")
                lines.append(f"    {finding.evidence}")
                lines.append(f"    hint: {finding.hint}")
        signature = exchange.sent.headers.get(SIGNATURE_HEADER)
        lines.append(f"  signature: {signature or 'none'}")
        lines.append(f"  payload ({len(exchange.sent.body)} bytes):")
        lines.extend(f"    {line}" for line in printed_body(exchange.sent.body))
        if failure.conversation:
            lines.append("  as a conversation file document (ready to save):")
            lines.extend(f"    {line}" for line in failure.conversation.splitlines())
        if failure.saved is not None:
            what = "the conversation" if failure.conversation else "the exact body"
            lines.append(f"  saved {what} to {failure.saved}")
        lines.append(f"  reproduce with:\n    {_clip(exchange.reproduce(), 4 * _PRINTED_CHARS)}")
        if exchange.output:
            lines.append("  the handler's output:")
            lines.extend(f"    | {line}" for line in clip_lines(exchange.output, lines=20))
        return lines

    def assert_ok(self) -> None:
        """Raise AssertionError with every shrunk failure, if there is one."""
        __tracebackhide__ = True
        if self.failures:
            raise AssertionError(self.render())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def printed_body(body: bytes) -> list[str]:
    """A body as at most 30 readable lines and 2,000 characters: pretty JSON when it
    parses, else its repr; what is cut is said (the saved file has the exact bytes)."""
    try:
        text = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):
        text = repr(body[:_PRINTED_CHARS])
    rows = [_clip(row, 200) for row in _clip(text, _PRINTED_CHARS).splitlines()]
    if len(rows) > _PRINTED_LINES:
        cut = len(rows) - _PRINTED_LINES
        rows = [*rows[:_PRINTED_LINES], f"... ({cut} more lines)"]
    return rows


def fuzz(
    target: Target,
    *,
    secret: SecretLike | None = None,
    model: BotModel | None = None,
    examples: int = 100,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    database: str | Path | None = DEFAULT_DATABASE,
    save_dir: str | Path | None = None,
    passthrough: bool = False,
    sign: bool | None = None,
    on_exchange: Callable[[Exchange, None], None] | None = None,
    seeds: Sequence[bytes] = (),
) -> FuzzReport:
    """Fuzz ``target`` with ``examples`` calls per phase; see the module docstring.

    ``seed`` makes the run reproducible; ``database`` None keeps nothing between
    runs; ``save_dir`` writes each failing body there as ``fuzz-<code>-<n>.body``;
    ``on_exchange(exchange, None)`` is called after each call (for progress: the
    total is not known in advance, shrinking adds calls).  ``seeds`` are real
    request bodies (a cassette's): the valid phase tries each first, then mutates
    them as well as generating payloads.
    """
    secret = Secret.of(secret)  # from here on, no traceback can show it
    from hypothesis import strategies as st

    from harness import strategies as bst

    check_run(target, examples, "calls per phase")
    timeout = check_timeout(timeout)
    signing = target.platform_signs if sign is None else sign
    kinds = ("passthrough",) if passthrough else ("intent",)
    valid: Any = bst.payloads(model=model, kinds=kinds, shapes=("A", "B")).map(
        lambda p: ("contract", p, None)
    )
    if seeds:
        valid = bst.mutated(seeds).map(lambda b: ("contract", b, None)) | valid
    attacks: list[Any] = []
    wrong = bst.signatures(valid=False).filter(lambda s: s is not None)
    if secret and signing:
        # The signature properties need real payloads, not new ones each time: a few
        # built once make these calls cheap.
        from harness._factory import PayloadFactory

        factory = PayloadFactory(model, seed=seed or 0)
        shape: Shape | None = "P" if passthrough else None
        sample = st.sampled_from([factory.build(shape=shape) for _ in range(16)])
        attacks.append(st.tuples(st.just("wrong-signature"), sample, wrong))
        attacks.append(st.tuples(st.just("missing-signature"), sample, st.none()))
    # Malformed bodies as an attacker sends them: unsigned, or with a signature that
    # cannot be right; on an unsigned target, as they are.
    attacker_signature = st.none() | wrong if signing else st.none()
    attacks.append(st.tuples(st.just("malformed"), bst.malformed_bodies(), attacker_signature))
    plan = [("valid", valid), ("attacker", st.one_of(attacks))]
    digest = f"{target.name}|{model.source if model else 'catalogue'}|{passthrough}"
    db = Path(database) if database is not None else None
    if db is not None:
        workspace(db)
    report = FuzzReport(
        target=target.name,
        redacted_secret=redact_secret(secret) if secret else "none",
        seed=seed,
        examples=0,
        elapsed=0.0,
    )
    started = time.perf_counter()

    def send(kind: Any, body: Any, signature: str | None) -> Exchange:
        exchange = deliver(
            target,
            body,
            secret=secret,
            sign=signing,
            signature=signature,
            timeout=timeout,
            expect=kind,
            scenario=f"fuzz[{kind}]",
        )
        if on_exchange is not None:
            on_exchange(exchange, None)
        return exchange

    for phase, strategy in plan:
        found, calls, gave_up = hunt(
            strategy,
            send,
            examples=examples,
            seed=seed,
            database=db,
            digest=f"{digest}|{phase}",
            explicit=[("contract", body, None) for body in seeds] if phase == "valid" else [],
        )
        report.phases[phase] = calls
        report.examples += calls
        if gave_up:
            report.gave_up.append(phase)
        report.failures.extend(FuzzFailure(exchange, phase) for exchange in found)
    report.elapsed = time.perf_counter() - started
    if report.failures and save_dir is not None:
        folder = workspace(Path(save_dir))
        for number, failure in enumerate(report.failures, 1):
            name = f"fuzz-{failure.code}-{number}.body"
            failure.saved = save_file(folder, name, failure.exchange.sent.body)
    return report


def check_run(target: object, examples: object, what: str) -> None:
    """A fuzz run's target and example count, or the error that names them."""
    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise BotWebhookValueError(
            f"expected a positive int for examples, got {examples!r} (hint: {what})"
        )


def hunt(
    strategy: SearchStrategy[Any],
    send: Callable[[Any, Any, str | None], Exchange],
    *,
    examples: int,
    seed: int | None,
    database: Path | None,
    digest: str,
    explicit: Sequence[Any] = (),
) -> tuple[list[Exchange], int, bool]:
    """One Hypothesis run: the shrunk exchange of each distinct failure, the calls
    made, and whether it stopped calling after too many timeouts."""
    from hypothesis import HealthCheck, Verbosity, example, given, settings
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import HypothesisWarning

    found: dict[tuple[str, ...], Exchange] = {}
    state: dict[str, Any] = {"calls": 0, "timeouts": 0, "first": None}

    def call(case: tuple[str, Any, str | None]) -> None:
        if state["timeouts"] >= MAX_TIMEOUTS:
            # The handler is too slow to go on: fail every further example the way
            # the first slow call did, so the run (and the shrinking) ends quickly.
            raise _failure_type(state["first"])()
        kind, body, signature = case
        state["calls"] += 1
        exchange = send(kind, body, signature)
        if not any(f.severity == "error" for f in exchange.findings):
            return
        key = failure_key(exchange)
        found[key] = exchange  # the last one kept is the shrunk one, replayed last
        if exchange.delivery.timed_out:
            state["timeouts"] += 1
            state["first"] = state["first"] or key
        raise _failure_type(key)()

    if seed is not None:
        # hypothesis.seed() would also switch the example database off; seeding this
        # way keeps both a reproducible run and the replay of kept failures.
        call._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    # Hypothesis keys its database on the inner function: one key per target and phase,
    # or a passing phase would delete what another phase found.
    call._hypothesis_internal_add_digest = digest.encode()  # type: ignore[attr-defined]
    prop = given(strategy)(call)
    for case in explicit:  # recorded calls first, as they were
        prop = example(case)(prop)
    runner = settings(
        verbosity=Verbosity.quiet,  # our report says it all, Hypothesis need not print
        max_examples=examples,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(database)) if database is not None else None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        print_blob=False,
    )(prop)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HypothesisWarning)  # e.g. "overly large repr"
            runner()
    except Exception as exc:
        if not _only_ours(exc):
            raise
    return list(found.values()), state["calls"], state["timeouts"] >= MAX_TIMEOUTS


def _only_ours(exc: BaseException) -> bool:
    """Whether ``exc`` is our failure, or a group (several bugs, a flaky one) of them."""
    if isinstance(exc, _CallFailed):
        return True
    inner: tuple[BaseException, ...] = getattr(exc, "exceptions", ())
    return bool(inner) and all(_only_ours(e) for e in inner)
