"""The Hypothesis runs of a fuzz phase: each distinct failure its own exception type,
so that Hypothesis shrinks each on its own; a batch of calls an example, so that
the engine's cost is shared; and a long phase made of runs of at most
:data:`CHUNK` calls, so that memory stays flat however long it runs.

A batch's calls can be made on a lane (``harness.delivery._deadline``): a worker
thread makes them inline, one after the other, while the hunting thread watches
each call's deadline, as a check's pool does.  That costs one thread handoff a
batch instead of two a call.  The calls are then made by a ``send`` that has no
other effect (a call abandoned at its deadline is replayed, not made again), and
what a run does with each call (``seen``) happens on the hunting thread, once."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from harness._errors import BotWebhookValueError, require_type
from harness.checks._attacks import fixed_bytes
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
#: Each Hypothesis example sends a batch of calls, so that the engine's cost per
#: example (several times a call's) is shared.  When the phase can draw a whole
#: batch at once (``batches``: valid payloads, their decisions one choice), it
#: draws this many calls, and a byte each (one choice too) that leaves the call
#: out when it is 0 (unless all are: then the first is sent): a failure shrinks
#: to the one call that fails, as Hypothesis shrinks the others' bytes to 0, and
#: each try of the shrinking then makes that call alone.  Otherwise it draws a
#: list of 1 to this many cases (6 on average, as Hypothesis draws lists): the
#: shrinking deletes the others, and each case's own choices are not left behind
#: for it to shrink.
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
    seen: Callable[[Any, Any, Exchange], None] | None = None,
    batches: Callable[[int], SearchStrategy[Sequence[Any]]] | None = None,
) -> tuple[list[Exchange], int, bool]:
    """Hypothesis runs of at most :data:`CHUNK` calls, in batches of ``batch``, until
    ``examples`` calls are made or one fails (as one run stops at its first failure,
    to shrink it): the shrunk exchange of each distinct failure, the calls made, and
    whether it stopped calling after too many timeouts.  Each run has its own seed
    (``seed + k``) and the same database; only the first replays ``explicit`` cases,
    each alone.

    With ``seen``, a batch's calls are made on a lane (see the module docstring):
    ``send(kind, body, signature)`` must only make the call, and ``seen(kind, body,
    exchange)`` is called after each, on this thread.  Without it, ``send`` is
    called on this thread.  ``batches(n)``, when given, draws ``n`` cases of
    ``strategy`` at once, at less cost than ``n`` draws of it."""
    found: list[Exchange] = []
    calls = 0
    runs = 0
    while calls < examples:
        budget = min(CHUNK, examples - calls)
        run_seed = None if seed is None else seed + runs
        phase = _Phase(strategy, send, seen, database, digest, batch, batches)
        failed, made, slow, exhausted = _hunt_once(
            phase, budget, run_seed, explicit if runs == 0 else ()
        )
        runs += 1
        found.extend(failed)
        calls += made
        if failed or slow or exhausted or not made:  # a failure, or the space is exhausted
            return found, calls, slow
    return found, calls, False


class _Phase(NamedTuple):
    """What every Hypothesis run of one phase shares."""

    strategy: SearchStrategy[Any]
    send: Callable[[Any, Any, str | None], Exchange]
    seen: Callable[[Any, Any, Exchange], None] | None
    database: Path | Any | None
    digest: str
    batch: int
    batches: Callable[[int], SearchStrategy[Sequence[Any]]] | None


Case = tuple[Any, Any, "str | None"]


def _sent_here(send: Callable[[Any, Any, str | None], Exchange], cases: list[Case]) -> Any:
    """``cases`` sent on this thread, up to the first that fails (a generator)."""
    for kind, body, signature in cases:
        exchange = send(kind, body, signature)
        yield exchange
        if not exchange.ok:
            return


def _sent_on_lane(send: Callable[[Any, Any, str | None], Exchange], cases: list[Case]) -> Any:
    """``cases`` sent on a worker thread's lane, up to the first that fails, each within
    its deadline (``harness.checks._runner`` watches it)."""
    from harness.checks._runner import run_in_order

    def run(_: object) -> list[Exchange]:
        return list(_sent_here(send, cases))

    done = run_in_order([None], run, workers=1, keys=[""], failed=lambda _: None,
                        keep_going=True)  # fmt: skip
    if done.interrupted:
        raise KeyboardInterrupt
    return done.results[0]


def _hunt_once(
    phase: _Phase, budget: int, seed: int | None, explicit: Sequence[Any]
) -> tuple[list[Exchange], int, bool, bool]:
    """One Hypothesis run of ``phase``, of at most ``budget`` calls: the shrunk
    exchange of each distinct failure, the calls made, whether it stopped calling
    after too many timeouts, and whether Hypothesis ran out of new examples."""
    strategy, send, seen, database, digest, batch, batches = phase
    from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
    from hypothesis import strategies as st
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import HypothesisWarning

    found: dict[tuple[str, ...], Exchange] = {}
    state: dict[str, Any] = {"calls": 0, "examples": 0, "timeouts": 0, "first": None}
    # The calls an example makes on average: a batch's less the few left out (see
    # BATCH), or the 6 a list of 1 to 16 has (Hypothesis draws lists so).
    made = batch - batch // 8 if batches is not None else min(batch, 6)
    examples = -(-budget // max(1, made)) + 1
    sent = _sent_here if seen is None else _sent_on_lane

    def call(drawn: tuple[bytes, Sequence[Case]]) -> None:
        state["examples"] += 1
        if state["timeouts"] >= MAX_TIMEOUTS:
            # The handler is too slow to go on: fail every further example the way
            # the first slow call did, so the run (and the shrinking) ends quickly.
            raise failure_type(state["first"], _CallFailed)()
        # A call whose byte is 0 is left out, unless every byte is 0: then the first is
        # sent, so that the first example, all zeros, sends the simplest call.
        sends, batched = drawn
        cases = [batched[i] for i, byte in enumerate(sends) if byte] or [batched[0]]
        if not found:
            # The run's calls are made: the rest of its examples send nothing.  (Once
            # a call failed, Hypothesis shrinks it: those calls are not counted against
            # the budget, or the shrinking would stop there.)
            del cases[max(0, budget - state["calls"]) :]
        if not cases:
            return
        for (kind, body, _), exchange in zip(cases, sent(send, cases), strict=False):
            state["calls"] += 1
            if seen is not None:
                seen(kind, body, exchange)
            if exchange.ok:
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
    if batches is not None and batch > 1:
        drawn = st.tuples(fixed_bytes(batch), batches(batch))
    else:  # a list of 1 to ``batch`` cases, each sent
        drawn = st.lists(strategy, min_size=1, max_size=batch).map(
            lambda cases: (b"\x01" * len(cases), cases)
        )
    prop = given(drawn)(call)
    for case in explicit:  # recorded calls first, each alone, as they were
        prop = example((b"\x01", (case,)))(prop)
    runner = settings(
        verbosity=Verbosity.quiet,  # our report says it all, Hypothesis need not print
        max_examples=examples,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(database))
        if isinstance(database, Path)
        else database,
        suppress_health_check=list(HealthCheck),
        # No explain phase: our report says what failed, and explaining a batch's
        # unused calls would cost hundreds of calls.
        phases=[p for p in Phase if p is not Phase.explain],
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
    return None if exchange.ok else failure_key(exchange)


def _only_ours(exc: BaseException) -> bool:
    """Whether ``exc`` is our failure, or a group (several bugs, a flaky one) of them."""
    if isinstance(exc, _CallFailed):
        return True
    inner: tuple[BaseException, ...] = getattr(exc, "exceptions", ())
    return bool(inner) and all(_only_ours(e) for e in inner)
