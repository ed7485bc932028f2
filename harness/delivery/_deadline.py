"""In-process calls bounded by the platform's read timeout, at no cost when they are fast.

The platform gives up on a call after its read timeout and never learns how it
ended; a WSGI call cannot be interrupted, so a call that passes its deadline is
*abandoned*: it may finish in the background while the run moves on.  Whoever
waits for the answer must therefore be free to move on, and there are two ways:

- **A lane** (:func:`use_lane`): the thread that asks for the call runs it
  itself, and a supervisor that can redo its work watches the deadline.  A run's
  pool (``harness.checks._runner``) does this: each worker runs its item's calls
  inline, on a lane, and when one passes its deadline the supervisor abandons the
  lane and gives the item to a new worker.  The new worker does the item again
  and *replays* the lane: the calls that had returned give the same results, the
  stuck one its timeout with the output it had written, and the handler is not
  called again.  The stuck thread leaves when the handler returns (the lane raises
  :class:`Abandoned` to unwind it without touching the run).  A fast call costs
  two attribute writes: no thread handoff.
- **A handoff** (everywhere else: a test's call, a fuzz example, a conversation's
  turn): the call runs on one of :class:`Caller`'s kept daemon threads while the
  caller waits at most the timeout.  That costs two thread switches a call.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from harness._errors import BotWebhookValueError
from harness.delivery._capture import Call, done, running
from harness.delivery._tracing import adopt_tracer
from harness.platform._budget import DEFAULT_TIMEOUT

__all__ = [
    "MAX_CALL_THREADS",
    "Abandoned",
    "CallTimedOut",
    "Caller",
    "Lane",
    "current_lane",
    "require_timeout",
    "use_lane",
]

_T = TypeVar("_T")

#: Threads one target's in-process calls may hold at once (the servers' own cap is
#: 64 connections; a handler that hangs holds one thread per call).
MAX_CALL_THREADS = 32


def require_timeout(timeout: object, name: str = "timeout") -> float:
    """``timeout`` as seconds: a finite number more than 0 (the platform's is 10)."""
    import math

    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise BotWebhookValueError(
            f"expected a finite number of seconds more than 0 for {name}, got {timeout!r} "
            f"(hint: the platform's is {DEFAULT_TIMEOUT:g})"
        )
    return float(timeout)


class CallTimedOut(Exception):
    """A call passed its deadline; ``call`` holds what it wrote until then.
    ``started`` is False when it never began: every thread was still busy."""

    def __init__(self, call: Call, *, started: bool = True, busy: int = 0) -> None:
        super().__init__("Read timed out")
        self.call = call
        self.started = started
        self.busy = busy


class Abandoned(BaseException):
    """Unwinds a lane's thread whose call was abandoned: another thread does its work.
    A BaseException, so that no ``except Exception`` on the way acts on it."""


@dataclass
class _Step:
    """One call a lane made, as its replay gives it back."""

    value: Any
    error: Exception | None
    call: Call
    timed_out: bool = False


class Lane:
    """The calls of one piece of work, made inline by the thread doing it.

    ``replay`` and ``stuck`` come from an abandoned lane: its calls that returned,
    given back in order without calling the handler, then ``stuck``, the call that
    passed its deadline, given back as its timeout."""

    def __init__(self, replay: list[_Step] | None = None, stuck: Call | None = None) -> None:
        self._lock = threading.Lock()
        self._replay = replay or []
        self._stuck = stuck
        self._steps: list[_Step] = []
        self._position = 0
        self._call: Call | None = None
        self._caller: Caller | None = None
        self.deadline: float | None = None  #: the running call's, ``time.monotonic()``
        self._abandoned_at: float | None = None

    def abandon(self, now: float) -> Lane | None:
        """Give up on the running call if it passed its deadline: the lane that redoes
        this lane's work, or None (no call running, or still within its deadline)."""
        with self._lock:
            call, deadline = self._call, self.deadline
            if call is None or deadline is None or now < deadline or self._abandoned_at:
                return None
            self._abandoned_at = now
            caller = self._caller
            steps = list(self._steps)
        if caller is not None:
            caller._overdue_began()
        return Lane(steps, call)

    def run(self, caller: Caller, fn: Callable[[], _T], timeout: float) -> tuple[Any, Any, Call]:
        position = self._position
        self._position += 1
        if position < len(self._replay):
            step = self._replay[position]
            self._steps.append(step)
            if step.timed_out:
                raise CallTimedOut(step.call)
            return step.value, step.error, step.call
        if self._stuck is not None:
            stuck, self._stuck = self._stuck, None
            self._steps.append(_Step(None, None, stuck, timed_out=True))
            raise CallTimedOut(stuck)
        call = Call(capture=caller.capture)
        started = time.monotonic()
        caller._wait_for_room(call, started + timeout)
        with self._lock:
            self._call, self._caller, self.deadline = call, caller, started + timeout
        value, error = _invoke(fn, call)
        with self._lock:
            abandoned_at, self._call, self.deadline = self._abandoned_at, None, None
        if abandoned_at is not None:
            caller._overdue_done(abandoned_at)
            raise Abandoned
        if time.monotonic() - started > timeout:  # the supervisor had not looked yet
            self._steps.append(_Step(None, None, call, timed_out=True))
            raise CallTimedOut(call)
        value, error = _outcome(value, error)
        self._steps.append(_Step(value, error, call))
        return value, error, call


_lanes = threading.local()


def use_lane(lane: Lane | None) -> None:
    """Make this thread's in-process calls run inline on ``lane`` (None: hand off)."""
    _lanes.lane = lane


def current_lane() -> Lane | None:
    lane: Lane | None = getattr(_lanes, "lane", None)
    return lane


def _invoke(fn: Callable[[], _T], call: Call) -> tuple[_T | None, BaseException | None]:
    """Run ``fn`` as the running ``call`` (its output captured, a tracer adopted), on
    this thread: its value, or the exception it raised, whatever it was."""
    adopt_tracer()
    token = running(call)
    try:
        return fn(), None
    except BaseException as exc:  # the caller decides: a handler's error, or Ctrl-C
        return None, exc
    finally:
        done(token)


def _outcome(value: Any, error: BaseException | None) -> tuple[Any, Exception | None]:
    """A call's value and exception as its caller gets them: ``SystemExit`` from the
    handler counts as its exception; ``KeyboardInterrupt`` is raised."""
    if error is None or isinstance(error, Exception):
        return value, error
    if isinstance(error, SystemExit):
        return None, RuntimeError(f"the handler called sys.exit({error.code!r})")
    raise error


class _Box(Generic[_T]):
    def __init__(self, fn: Callable[[], _T], call: Call) -> None:
        self.fn = fn
        self.call = call
        self.done = _thread.allocate_lock()  # held until the call ends: cheaper than an Event
        self.done.acquire()
        self.value: _T | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.abandoned_at: float | None = None  # when its deadline passed, unfinished


class Caller:
    """Runs in-process calls, each bounded by a deadline: inline on a lane, else on
    daemon threads.

    Threads are kept and reused, at most ``max_threads`` of them; a thread whose
    call was abandoned rejoins the pool when that call finally returns.  With every
    thread busy, a new call waits, within its own deadline, for one to be free.
    Daemon threads never keep the process alive, so an abandoned call cannot stop
    ``botwebhook`` from exiting.  :meth:`overdue_note` says when calls ran on past
    their deadline.
    """

    def __init__(self, *, capture: bool, max_threads: int = MAX_CALL_THREADS) -> None:
        self.capture = capture
        self.max_threads = max_threads
        self._idle: list[_Worker] = []
        self._threads = 0
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._overdue_running = 0  # calls past their deadline, still running
        self._overdue_ended = 0  # calls that ended after their deadline
        self._overdue_longest = 0.0  # the most seconds one ran past its deadline
        self._never_started = 0

    def run(self, fn: Callable[[], _T], timeout: float) -> tuple[_T | None, Exception | None, Call]:
        """``fn()``'s value or the exception it raised, and the captured call;
        :class:`CallTimedOut` after ``timeout`` seconds.  ``SystemExit`` from the
        handler counts as its exception; ``KeyboardInterrupt`` is raised here."""
        lane = current_lane()
        if lane is not None:
            return lane.run(self, fn, timeout)
        call = Call(capture=self.capture)
        box: _Box[_T] = _Box(fn, call)
        deadline = time.monotonic() + timeout  # the wait for a thread counts in it
        worker = self._worker(deadline)
        if worker is None:
            raise CallTimedOut(call, started=False, busy=self.max_threads)
        worker.jobs.put(box)
        if not box.done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            with self._lock:
                if not box.finished:
                    box.abandoned_at = time.monotonic()
                    self._overdue_running += 1
            raise CallTimedOut(call)
        value, error = _outcome(box.value, box.error)
        return value, error, call

    def _wait_for_room(self, call: Call, deadline: float) -> None:
        """Before an inline call: wait, within its deadline, while abandoned calls
        hold every thread the target may have."""
        if self._overdue_running < self.max_threads:
            return
        with self._lock:
            while self._overdue_running >= self.max_threads:
                left = deadline - time.monotonic()
                waited = left > 0 and self._freed.wait(left)
                if not waited and self._overdue_running >= self.max_threads:
                    self._never_started += 1
                    raise CallTimedOut(call, started=False, busy=self.max_threads)

    def _worker(self, deadline: float) -> _Worker | None:
        """An idle thread, a new one under the cap, or the first to be free before
        ``deadline`` (a ``time.monotonic()`` value; None: every thread stayed busy)."""
        with self._lock:
            while not self._idle and self._threads >= self.max_threads:
                left = deadline - time.monotonic()
                if (left <= 0 or not self._freed.wait(left)) and not self._idle:
                    self._never_started += 1
                    return None
            if self._idle:
                return self._idle.pop()
            self._threads += 1
        return _Worker(self)

    def _overdue_began(self) -> None:
        with self._lock:
            self._overdue_running += 1

    def _overdue_done(self, abandoned_at: float) -> None:
        with self._lock:
            self._overdue_running -= 1
            self._overdue_ended += 1
            self._overdue_longest = max(self._overdue_longest, time.monotonic() - abandoned_at)
            self._freed.notify()

    def _ended(self, box: _Box[Any]) -> None:
        """``box``'s call returned (on its worker's thread)."""
        with self._lock:
            box.finished = True
        if box.abandoned_at is not None:
            self._overdue_done(box.abandoned_at)

    def _rejoin(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)
            self._freed.notify()

    def overdue_note(self) -> str | None:
        """A sentence on calls that kept running past their deadline, or None."""
        with self._lock:
            running, ended = self._overdue_running, self._overdue_ended
            longest, never = self._overdue_longest, self._never_started
        if not (running or ended):
            return None
        parts = []
        if ended:
            parts.append(f"{ended} ended later (the latest {longest:.1f} s after its deadline)")
        if running:
            parts.append(f"{running} still running now")
        note = (
            f"the handler kept {running + ended} call(s) running past their deadline, each "
            f"holding a thread: {' and '.join(parts)}"
        )
        if never:
            note += f"; {never} call(s) could not start, all {self.max_threads} threads being busy"
        return note


class _Worker:
    def __init__(self, caller: Caller) -> None:
        import queue

        self.caller = caller
        self.jobs: queue.SimpleQueue[_Box[Any]] = queue.SimpleQueue()
        thread = threading.Thread(target=self._loop, name="botwebhook-call", daemon=True)
        thread.start()

    def _loop(self) -> None:
        while True:
            box = self.jobs.get()
            box.value, box.error = _invoke(box.fn, box.call)  # handed to the waiting thread
            self.caller._ended(box)
            box.done.release()
            # An idle worker holds nothing of its last call (its body, its answer).
            del box
            self.caller._rejoin(self)
