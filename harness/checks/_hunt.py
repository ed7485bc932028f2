"""The Hypothesis runs of a fuzz phase: each distinct failure its own exception type,
so that Hypothesis shrinks each on its own; a batch of calls an example, so that
the engine's cost is shared; and a long phase made of runs of at most
:data:`CHUNK` calls, so that memory stays flat however long it runs."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from harness._errors import BotWebhookValueError, require_type
from harness.checks._fuzz_report import MAX_TIMEOUTS
from harness.delivery._exchange import Exchange
from harness.delivery._transport import Target

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["BATCH", "CHUNK", "error_key", "failure_key", "failure_type", "hunt", "require_fuzz_run"]


class _CallFailed(Exception):
    """Raised inside the property so Hypothesis shrinks.  One subclass per distinct
    failure, so that Hypothesis tells them apart and shrinks each on its own."""


_KINDS: dict[tuple[type[Exception], tuple[str, ...]], type[Exception]] = {}
_E = TypeVar("_E", bound=Exception)


def failure_type(key: tuple[str, ...], base: type[_E]) -> type[_E]:
    """The subclass of ``base`` that stands for one distinct failure (``key``), made
    once, named for it (``Failed_BW401_KeyError_app_py_6``)."""
    kind = _KINDS.get((base, key))
    if kind is None:
        name = re.sub(r"\W+", "_", "_".join(("Failed", *key))).strip("_")[:80]
        kind = _KINDS[(base, key)] = type(name, (base,), {"__module__": "botwebhook"})
    return kind  # type: ignore[return-value]


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


def require_fuzz_run(target: object, examples: object, what: str) -> None:
    """A fuzz run's target and example count, or the error that names them."""
    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise BotWebhookValueError(
            f"expected a positive int for examples, got {examples!r} (hint: {what})"
        )


#: A long run is made of Hypothesis runs of at most this many calls each:
#: Hypothesis keeps every example's choices (and a cache of 10,000 results) for
#: the length of a run, so one long run grows by about 5 kB an example.
CHUNK = 1000
#: Each Hypothesis example sends a batch of 1 to this many calls, each drawn on its
#: own: the engine's cost per example (several times a call's) is shared by the
#: batch, and a failure still shrinks to the one call that fails (Hypothesis
#: deletes the others from the batch before it shrinks that call's choices).
BATCH = 16


def hunt(
    strategy: SearchStrategy[Any],
    send: Callable[[Any, Any, str | None], Exchange],
    *,
    examples: int,
    seed: int | None,
    database: Path | Any | None,
    digest: str,
    explicit: Sequence[Any] = (),
    batch: int = BATCH,
) -> tuple[list[Exchange], int, bool]:
    """Hypothesis runs of at most :data:`CHUNK` calls, in batches of 1 to ``batch``,
    until ``examples`` calls are made or one fails (as one run stops at its first
    failure, to shrink it): the shrunk exchange of each distinct failure, the calls
    made, and whether it stopped calling after too many timeouts.  Each run has its
    own seed (``seed + k``) and the same database; only the first replays
    ``explicit`` cases, each alone."""
    found: list[Exchange] = []
    calls = 0
    runs = 0
    while calls < examples:
        budget = min(CHUNK, examples - calls)
        run_seed = None if seed is None else seed + runs
        phase = _Phase(strategy, send, database, digest, batch)
        failed, made, slow, exhausted = _hunt_once(
            phase, budget, run_seed, explicit if runs == 0 else ()
        )
        runs += 1
        found.extend(failed)
        calls += made
        if failed or slow or exhausted:  # a failure, or the space is exhausted
            return found, calls, slow
    return found, calls, False


class _Phase(NamedTuple):
    """What every Hypothesis run of one phase shares."""

    strategy: SearchStrategy[Any]
    send: Callable[[Any, Any, str | None], Exchange]
    database: Path | Any | None
    digest: str
    batch: int


def _hunt_once(
    phase: _Phase, budget: int, seed: int | None, explicit: Sequence[Any]
) -> tuple[list[Exchange], int, bool, bool]:
    """One Hypothesis run of ``phase``, of at most ``budget`` calls: the shrunk
    exchange of each distinct failure, the calls made, whether it stopped calling
    after too many timeouts, and whether Hypothesis ran out of new examples."""
    strategy, send, database, digest, batch = phase
    from hypothesis import HealthCheck, Verbosity, example, given, settings
    from hypothesis import strategies as st
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import HypothesisWarning

    found: dict[tuple[str, ...], Exchange] = {}
    state: dict[str, Any] = {"calls": 0, "examples": 0, "timeouts": 0, "first": None}
    # The calls an example makes on average, about half the most, size the examples.
    examples = -(-budget // max(1, batch // 2))

    def call(cases: list[tuple[str, Any, str | None]]) -> None:
        state["examples"] += 1
        for kind, body, signature in cases:
            if state["timeouts"] >= MAX_TIMEOUTS:
                # The handler is too slow to go on: fail every further example the way
                # the first slow call did, so the run (and the shrinking) ends quickly.
                raise failure_type(state["first"], _CallFailed)()
            if state["calls"] >= budget and not found:
                # The run's calls are made: the rest of its examples send nothing.  (Once
                # a call failed, Hypothesis shrinks it: those calls are not counted against
                # the budget, or the shrinking would stop there.)
                return
            state["calls"] += 1
            exchange = send(kind, body, signature)
            if not any(f.severity == "error" for f in exchange.findings):
                continue
            key = failure_key(exchange)
            found[key] = exchange  # the last one kept is the shrunk one, replayed last
            if exchange.delivery.timed_out:
                state["timeouts"] += 1
                state["first"] = state["first"] or key
            raise failure_type(key, _CallFailed)()

    if seed is not None:
        # hypothesis.seed() would also switch the example database off; seeding this
        # way keeps both a reproducible run and the replay of kept failures.
        call._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    # Hypothesis keys its database on the inner function: one key per target and phase,
    # or a passing phase would delete what another phase found.
    call._hypothesis_internal_add_digest = digest.encode()  # type: ignore[attr-defined]
    prop = given(st.lists(strategy, min_size=1, max_size=batch))(call)
    for case in explicit:  # recorded calls first, each alone, as they were
        prop = example([case])(prop)
    runner = settings(
        verbosity=Verbosity.quiet,  # our report says it all, Hypothesis need not print
        max_examples=examples,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(database))
        if isinstance(database, Path)
        else database,
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
    exhausted = state["calls"] < budget and state["examples"] < examples + len(explicit)
    return list(found.values()), state["calls"], state["timeouts"] >= MAX_TIMEOUTS, exhausted


def error_key(exchange: Exchange) -> tuple[str, ...] | None:
    """What makes a failure distinct (:func:`failure_key`), or None: no error."""
    errors = any(f.severity == "error" for f in exchange.findings)
    return failure_key(exchange) if errors else None


def _only_ours(exc: BaseException) -> bool:
    """Whether ``exc`` is our failure, or a group (several bugs, a flaky one) of them."""
    if isinstance(exc, _CallFailed):
        return True
    inner: tuple[BaseException, ...] = getattr(exc, "exceptions", ())
    return bool(inner) and all(_only_ours(e) for e in inner)
