"""Coverage-guided fuzzing: ``fuzz --guided`` (in-process targets).

The valid phase of :func:`harness.checks.fuzz`, steered by the handler's own code.
Each call's payload is a set of decisions (:class:`Choice`: intent, shape,
language, text, features, each variable's value, a seed for the rest).  A call
that runs an arc of the handler's code no call ran before (``_arcs``) keeps its
choice, and the search then tries that choice's neighbours, each differing in
one decision, newest first; one call in five is a fresh random choice, so the
search never only digs.  A crash behind nested conditions (an intent, then a
value, then a language, ...) is reached one condition at a time, instead of
waiting for one random payload to meet them all at once.

Where Hypothesis fits, it is used: the attacker phase is Hypothesis's, as
unguided.  Where it does not, why:

- its example database keeps Hypothesis's own choice sequences, which a mutation
  of ours cannot be written as: the failing bodies are kept instead (in the same
  folder), and the next guided run tries them first, as the database would;
- ``hypothesis.target`` hill-climbs a score once generation is over, and the
  count of arcs a payload runs is flat between two nested conditions: there is
  nothing to climb until the budget is spent (``bench/guided_fuzz.py`` measures
  it beside both modes);
- shrinking works on Hypothesis's choices; a failing choice is made simpler
  here decision by decision (plain text, features off, shape A, the first
  language, the first value of a list) while it fails the same way.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness._errors import PayloadOptionError
from harness.checks._arcs import Arc, ArcTracer
from harness.checks._fuzz_report import MAX_TIMEOUTS, FuzzReport
from harness.delivery._exchange import Exchange
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel, IntentSpec
from harness.model._factory import PayloadFactory, intent_fits
from harness.model._files import shown_path
from harness.model._intent_build import value_for
from harness.model._payload import FEATURES, TEXT_VARIANTS, Payload

__all__ = ["Choice", "GuidedRun", "GuidedSearch", "guided_hunt", "guided_phase", "guided_roots"]

#: One call in this many is a fresh random choice.
_FRESH_EVERY = 5
#: Values of a list tried as neighbours, at most; free-text values redrawn.
_LIST_TRIES, _FREE_TRIES = 12, 3
#: Calls a failure's minimising may take.
_MINIMISE_CALLS = 60
#: Failing bodies kept for the next run, per phase.
_KEEP = 16


@dataclass(frozen=True)
class Choice:
    """The decisions one payload is built from."""

    intent: str
    shape: str
    language: str
    text: str
    features: frozenset[str]
    values: tuple[tuple[str, str], ...]
    seed: int


class GuidedSearch:
    """Choices for ``model``, fresh or next to another; ``build`` makes the payload."""

    def __init__(self, model: BotModel, seed: int | None) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.factory = PayloadFactory(model, seed=0)
        self.tried: set[Choice] = set()

    def fresh(self) -> Choice:
        rng = self.rng
        intent = rng.choice(self.model.intents)
        language = rng.choice(self.model.languages)
        features = frozenset(f for f in FEATURES if rng.random() < 0.5)
        if "trigger" in features and "sys_any_command" in features:
            features -= {"trigger"}
        return Choice(
            intent=intent.name,
            shape=rng.choice(("A", "B")),
            language=language,
            text=rng.choice(TEXT_VARIANTS),
            features=features,
            values=self._values(intent, language),
            seed=rng.randrange(2**32),
        )

    def _values(self, intent: IntentSpec, language: str) -> tuple[tuple[str, str], ...]:
        self.factory.reseed(self.rng.randrange(2**32))
        fake = self.factory.provider(language)
        return tuple((v.label, value_for(fake, v, language)) for v in intent.variables)

    def neighbours(self, choice: Choice) -> list[Choice]:
        """Choices differing from ``choice`` in one decision, in a random order."""
        rng, model = self.rng, self.model
        spec = model.intent(choice.intent)
        out = [
            replace(choice, intent=i.name, values=self._values(i, choice.language))
            for i in model.intents
            if i.name != choice.intent
        ]
        out += [replace(choice, shape=s) for s in ("A", "B") if s != choice.shape]
        for language in model.languages:
            if language != choice.language:
                values = tuple(
                    (label, value if value in _known(spec, label, language) else
                     self._one(spec, label, language))
                    for label, value in choice.values
                )  # fmt: skip
                out.append(replace(choice, language=language, values=values))
        out += [replace(choice, text=t) for t in TEXT_VARIANTS if t != choice.text]
        out += [replace(choice, features=choice.features ^ {f}) for f in FEATURES]
        for index, (label, value) in enumerate(choice.values):
            known = _known(spec, label, choice.language)
            others = [v for v in known if v != value]
            rng.shuffle(others)
            tries = others[:_LIST_TRIES] or [
                self._one(spec, label, choice.language) for _ in range(_FREE_TRIES)
            ]
            for other in tries:
                values = (*choice.values[:index], (label, other), *choice.values[index + 1 :])
                out.append(replace(choice, values=values))
        out += [replace(choice, seed=rng.randrange(2**32)) for _ in range(2)]
        rng.shuffle(out)
        return [c for c in out if c not in self.tried]

    def _one(self, spec: IntentSpec, label: str, language: str) -> str:
        self.factory.reseed(self.rng.randrange(2**32))
        return value_for(self.factory.provider(language), spec.variable(label), language)

    def simpler(self, choice: Choice) -> list[Choice]:
        """Simpler choices, the simplest kind first, for minimising a failure."""
        spec = self.model.intent(choice.intent)
        out = [replace(choice, text="plain")] if choice.text != "plain" else []
        out += [replace(choice, features=choice.features - {f}) for f in sorted(choice.features)]
        out += [replace(choice, shape="A")] if choice.shape != "A" else []
        first = self.model.languages[0]
        if choice.language != first:
            out.append(replace(choice, language=first))
        for index, (label, value) in enumerate(choice.values):
            known = _known(spec, label, choice.language)
            if known and value != known[0]:
                values = (*choice.values[:index], (label, known[0]), *choice.values[index + 1 :])
                out.append(replace(choice, values=values))
        out += [replace(choice, seed=0)] if choice.seed else []
        return out

    def build(self, choice: Choice) -> Payload | None:
        """The payload, or None when the decisions do not go together (a trigger
        with shape B, an intent without an optional variable left unfilled, ...)."""
        self.tried.add(choice)
        spec = self.model.intent(choice.intent)
        needs: dict[str, bool] = {f: f in choice.features for f in FEATURES}
        shape = choice.shape if intent_fits(spec, choice.shape, needs) else None
        if shape is None:
            return None
        values = dict(choice.values)
        if needs["unfilled_optional"]:
            values = {k: v for k, v in values.items() if spec.variable(k).mandatory}
        self.factory.reseed(choice.seed)
        try:
            return self.factory.build(intent=choice.intent, shape=shape,  # type: ignore[arg-type]
                                      language=choice.language, text=choice.text,  # type: ignore[arg-type]
                                      values=values, **needs)  # fmt: skip
        except PayloadOptionError:
            return None


def _known(spec: IntentSpec, label: str, language: str) -> tuple[str, ...]:
    variable = spec.variable(label)
    return variable.values_for(language) if variable.value_type == "LIST" else ()


@dataclass
class GuidedRun:
    """What the guided phase did: the failures, calls, and how far it got."""

    found: list[Exchange]
    calls: int
    gave_up: bool
    arcs: int = 0
    kept: int = 0
    #: The call (1-based) that first failed, or None.
    first_failure: int | None = None


def guided_hunt(
    send: Callable[[Payload | bytes], Exchange],
    failure_key: Callable[[Exchange], tuple[str, ...] | None],
    *,
    model: BotModel,
    roots: Sequence[str | Path],
    examples: int,
    seed: int | None,
    keep: Path | tuple[Any, bytes] | None,
    first: Sequence[bytes] = (),
) -> GuidedRun:
    """Up to ``examples`` calls of the guided search; ``failure_key`` is None for a
    call that did not fail.  Bodies that failed last time (``keep``: a folder, or an
    example database and a key) go first,
    then ``first`` (a cassette's real bodies), as they are."""
    search = GuidedSearch(model, seed)
    tracer = ArcTracer(roots)
    run = GuidedRun([], 0, False)
    failures: dict[tuple[str, ...], tuple[Exchange, Choice | None]] = {}
    seen: set[Arc] = set()
    queue: list[Choice] = []
    timeouts = 0
    tracer.start()
    try:
        for body in [*_kept(keep), *first]:
            exchange = send(body)
            run.calls += 1
            tracer.take()
            key = failure_key(exchange)
            if key is not None and key not in failures:
                failures[key] = (exchange, None)
                run.first_failure = run.first_failure or run.calls
        idle = 0
        while run.calls < examples and timeouts < MAX_TIMEOUTS and idle < 10 * examples:
            fresh = not queue or run.calls % _FRESH_EVERY == _FRESH_EVERY - 1
            choice = search.fresh() if fresh else queue.pop()
            payload = search.build(choice)
            if payload is None:
                idle += 1
                continue
            exchange = send(payload)
            run.calls += 1
            new = tracer.take() - seen
            key = failure_key(exchange)
            if key is not None:
                run.first_failure = run.first_failure or run.calls
                failures.setdefault(key, (exchange, choice))
                if exchange.delivery.timed_out:
                    timeouts += 1
            if new:
                seen |= new
                queue.extend(search.neighbours(choice))
    finally:
        tracer.stop()
    run.arcs = len(seen)
    run.gave_up = timeouts >= MAX_TIMEOUTS
    for key, (exchange, failing) in failures.items():
        if failing is not None and not run.gave_up:
            exchange = _minimised(search, send, failure_key, key, exchange, failing)
        run.found.append(exchange)
    run.kept = _keep(keep, [e.sent.body for e in run.found])
    return run


def guided_roots(target: Target) -> list[str]:
    """The handler's folders, for an in-process target (else an error that says why)."""
    from harness._errors import CodeCoverageError
    from harness.checks._code_coverage import target_roots

    if not getattr(target, "in_process", False):
        raise CodeCoverageError(
            f"guided fuzzing follows the handler's code as it runs, in this process: "
            f"{target.name} is not an in-process app (hint: fuzz app.py:app, or drop --guided)"
        )
    roots = target_roots(target)
    if not roots:
        raise CodeCoverageError(
            f"guided fuzzing cannot tell where the code of {target.name} is (hint: load it "
            "from an import string, app.py:app)"
        )
    return roots


def guided_phase(
    report: FuzzReport,
    send: Callable[[Payload | bytes], Exchange],
    failed: Callable[[Exchange], tuple[str, ...] | None],
    *,
    model: BotModel | None,
    roots: list[str],
    examples: int,
    seed: int | None,
    db: Path | None,
    digest: str,
    seeds: Sequence[bytes],
) -> tuple[list[Exchange], int, bool]:
    """The valid phase of :func:`harness.checks.fuzz`, guided: its failures, calls,
    and whether it stopped for timeouts; ``report`` gets a note and the first failure."""
    from harness.model._catalogue import builtin_model

    keep = hashlib.sha256(digest.encode()).hexdigest()[:16]
    run = guided_hunt(
        send,
        failed,
        model=model or builtin_model(),
        roots=roots,
        examples=examples,
        seed=seed,
        keep=None
        if db is None
        else db / "guided" / keep
        if isinstance(db, Path)
        else (db, b"botwebhook-guided:" + keep.encode()),
        first=seeds,
    )
    report.guided_first_failure = run.first_failure
    kept = f"; {run.kept} failing body(ies) kept, tried first next time" if run.kept else ""
    report.notes.append(
        f"guided by the handler's code: {run.arcs} arc(s) of "
        f"{', '.join(shown_path(r) for r in roots)} reached{kept}"
    )
    return run.found, run.calls, run.gave_up


def _minimised(
    search: GuidedSearch,
    send: Callable[[Payload | bytes], Exchange],
    failure_key: Callable[[Exchange], tuple[str, ...] | None],
    key: tuple[str, ...],
    exchange: Exchange,
    choice: Choice,
) -> Exchange:
    """The simplest choice found that fails the same way, and its exchange."""
    calls = 0
    improved = True
    while improved and calls < _MINIMISE_CALLS:
        improved = False
        for simpler in search.simpler(choice):
            payload = search.build(simpler)
            if payload is None:
                continue
            calls += 1
            tried = send(payload)
            if failure_key(tried) == key:
                choice, exchange, improved = simpler, tried, True
                break
            if calls >= _MINIMISE_CALLS:
                break
    return exchange


def _kept(keep: Path | tuple[Any, bytes] | None) -> list[bytes]:
    if keep is None:
        return []
    if isinstance(keep, Path):
        return (
            [p.read_bytes() for p in sorted(keep.glob("*.body"))[:_KEEP]] if keep.is_dir() else []
        )
    database, key = keep
    return sorted(database.fetch(key))[:_KEEP]


def _keep(keep: Path | tuple[Any, bytes] | None, bodies: Sequence[bytes]) -> int:
    """Keep the failing bodies for the next run (the last run's go); their count.  In
    a folder, one file each (0600); in an example database, under one key."""
    if keep is None:
        return 0
    bodies = list(bodies)[:_KEEP]
    if not isinstance(keep, Path):
        database, key = keep
        for old in list(database.fetch(key)):
            database.delete(key, old)
        for body in bodies:
            database.save(key, body)
        return len(bodies)
    from harness.checks._workspace import save_file, workspace

    for old in keep.glob("*.body") if keep.is_dir() else ():
        old.unlink()
    if bodies:
        workspace(keep)
    for body in bodies:
        save_file(keep, hashlib.sha256(body).hexdigest()[:16] + ".body", body)
    return len(bodies)
