"""Running a list of calls on a bounded pool of threads, as the platform would call
an endpoint for concurrent chats, with a report that stays in the given order.

Two things keep a run bounded whatever the target does:

- every call is bounded by the platform's read timeout: a worker runs its item's
  in-process calls itself, on a lane (``harness.delivery._deadline``), and the
  main thread abandons a call that passes its deadline and gives the item to a
  new worker, which replays it;
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from harness._errors import BotWebhookValueError
from harness.delivery._deadline import Abandoned, Lane, use_lane

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
    # The main thread wakes for what it must act on at once (the first wave, an error,
    # the last result, a deadline), and every _POLL for the rest: a result does not
    # cost a thread switch.
    look = threading.Event()
    active: dict[int, Lane] = {}  # the items in hand, each with the lane its calls run on
    lock = threading.Lock()
    left = [total]

    def work(first: tuple[int, Lane] | None = None) -> None:
        while not stop.is_set():
            if first is not None:
                (index, lane), first = first, None
            else:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                lane = Lane()
            with lock:
                active[index] = lane
            use_lane(lane)
            try:
                result: _R | None = call(items[index])
                error: BaseException | None = None
            except Abandoned:  # a call passed its deadline: another worker has the item
                return
            except BaseException as exc:  # handed to the main thread
                result, error = None, exc
            finally:
                use_lane(None)
            with lock:
                if active.get(index) is lane:
                    del active[index]
                left[0] -= 1
                urgent = error is not None or index in in_wave or not left[0]
            done.put((index, result, error))
            if urgent:
                look.set()
            if error is not None:
                return

    def start(first: tuple[int, Lane] | None = None) -> None:
        # Daemon threads: a call abandoned by Ctrl-C never holds the process.
        threading.Thread(target=work, args=(first,), name="botwebhook-worker", daemon=True).start()

    def watch() -> float:
        """Abandon the calls past their deadline; the seconds until the next one."""
        now = time.monotonic()
        wait = _POLL
        with lock:
            lanes = list(active.items())
        for index, lane in lanes:
            deadline = lane.deadline
            if deadline is None:
                continue
            if deadline > now:
                wait = min(wait, deadline - now)
                continue
            again = lane.abandon(now)
            if again is not None:
                with lock:
                    active[index] = again
                start((index, again))
        return max(wait, 0.001)

    for _ in range(min(workers, total)):
        start()
    # A slot an item: a list of 10,000 keeps 8 bytes a result, where a dict kept 50.
    results: list[_R | None] = [None] * total
    taken = [0]
    run: Run[_R] = Run([], total)
    wave_left = set(wave)

    def take(index: int, result: _R | None, error: BaseException | None) -> bool:
        """Keep one result; True when the run must stop here."""
        if error is not None:
            raise error
        assert result is not None
        results[index] = result
        taken[0] += 1
        if on_result is not None:
            on_result(result)
        wave_left.discard(index)
        if not keep_going and index in in_wave and not wave_left:
            reasons = [failed(r) for i in wave if (r := results[i]) is not None]
            if all(reasons):
                run.stopped = (
                    f"the first {len(wave)} calls all failed ({reasons[0]}): the target is "
                    f"not answering, so the other {total - taken[0]} were not sent"
                )
                return True
        return False

    try:
        while taken[0] < total and not run.stopped:
            look.wait(watch())  # wakes up for Ctrl-C too
            look.clear()
            while not run.stopped:
                try:
                    finished = done.get_nowait()
                except queue.Empty:
                    break
                take(*finished)
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        stop.set()
    run.results = [result for result in results if result is not None]
    return run
