"""Running a list of calls on a bounded pool of threads, as the platform would call
an endpoint for concurrent chats, with a report that stays in the given order.

Two things keep a run bounded whatever the target does:

- every call is bounded by the platform's read timeout (the target sees to it);
- a *first wave* of calls (up to three, for different intents where the list
  has them) runs before the rest: when every call of it fails in transport
  (refused, timed out, TLS), the target is not answering, and the run stops
  instead of waiting timeout x scenarios.  ``keep_going`` runs everything anyway.

Ctrl-C stops the run and keeps what was done: the caller gets the finished
exchanges, in order, and ``interrupted`` set.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from harness._errors import BotWebhookValueError

__all__ = ["DEFAULT_WORKERS", "Run", "require_workers", "run_in_order"]

#: Calls in flight at once by default: the platform calls an endpoint concurrently
#: for concurrent chats; four overlap slow calls four times over while staying
#: gentle with a development server.  ``workers=1`` for handlers that are not
#: thread-safe.
DEFAULT_WORKERS = 4
_WAVE = 3
_POLL = 0.2

_S = TypeVar("_S")
_R = TypeVar("_R")


@dataclass
class Run(Generic[_R]):
    """The finished results in the given order, and why the run ended early, if it did."""

    results: list[_R]
    total: int
    stopped: str | None = None
    interrupted: bool = False

    @property
    def not_run(self) -> int:
        return self.total - len(self.results)


def require_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise BotWebhookValueError(
            f"expected a positive int for workers, got {workers!r} (hint: 1 runs one call "
            f"at a time, for handlers that are not thread-safe; default {DEFAULT_WORKERS})"
        )
    return workers


def first_wave(keys: Sequence[str]) -> list[int]:
    """Indexes of up to three calls, for different keys (intents) where there are."""
    wave: list[int] = []
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            wave.append(index)
            if len(wave) == _WAVE:
                return wave
    for index in range(len(keys)):
        if index not in wave:
            wave.append(index)
            if len(wave) == _WAVE:
                break
    return wave


def run_in_order(
    items: Sequence[_S],
    call: Callable[[_S], _R],
    *,
    workers: int,
    keys: Sequence[str],
    failed: Callable[[_R], str | None],
    keep_going: bool = False,
    on_result: Callable[[_R], None] | None = None,
) -> Run[_R]:
    """``call`` each item on ``workers`` threads; results in the items' order.

    ``keys`` (one per item) pick the first wave; ``failed(result)`` is the
    transport failure of a result, or None.  ``on_result`` runs on this thread
    as each result arrives (for progress).
    """
    total = len(items)
    if total == 0:
        return Run([], 0)
    wave = first_wave(keys)
    in_wave = set(wave)
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in [*wave, *(i for i in range(total) if i not in in_wave)]:
        todo.put(index)
    done: queue.SimpleQueue[tuple[int, _R | None, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((index, call(items[index]), None))
            except BaseException as exc:  # handed to the main thread
                done.put((index, None, exc))
                return

    for _ in range(min(workers, total)):
        # Daemon threads: a call abandoned by Ctrl-C never holds the process.
        threading.Thread(target=work, name="botwebhook-worker", daemon=True).start()
    results: dict[int, _R] = {}
    run: Run[_R] = Run([], total)
    wave_left = set(wave)
    try:
        while len(results) < total:
            try:
                index, result, error = done.get(timeout=_POLL)  # wakes up for Ctrl-C
            except queue.Empty:
                continue
            if error is not None:
                raise error
            assert result is not None
            results[index] = result
            if on_result is not None:
                on_result(result)
            wave_left.discard(index)
            if not keep_going and index in in_wave and not wave_left:
                reasons = [failed(results[i]) for i in wave]
                if all(reasons):
                    run.stopped = (
                        f"the first {len(wave)} calls all failed ({reasons[0]}): the target is "
                        f"not answering, so the other {total - len(results)} were not sent"
                    )
                    break
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        stop.set()
    run.results = [results[i] for i in sorted(results)]
    return run
