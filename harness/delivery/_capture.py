"""What an in-process handler writes, captured per call, and calls bounded in time.

pytest captures a test's output at the file-descriptor level, one test at a
time.  A check runs many calls at once on a few threads, so output is routed
by thread instead: while a call runs, ``print``, ``sys.stderr`` writes, the
``wsgi.errors`` stream and every logging handler that writes to ``sys.stdout``
/ ``sys.stderr`` land in that call's buffer; on any other thread they pass
through unchanged.  The routers are installed once and stay: with no call
running they are transparent.

:class:`Caller` runs each call on a daemon thread and waits at most the
platform's read timeout: a call that passes it is abandoned (it may finish in
the background; a WSGI call cannot be interrupted) and the check moves on.
"""

from __future__ import annotations

import _thread
import contextvars
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from harness.delivery._tracing import adopt_tracer

__all__ = ["MAX_OUTPUT", "Call", "CallTimedOut", "Caller", "install_routers", "under_pytest"]

#: At most this many characters of a call's output are kept.
MAX_OUTPUT = 64 * 1024

_T = TypeVar("_T")
#: The call running here: per thread, and per asyncio task (an ASGI app's calls share
#: one thread, each in a task of its own).
_CURRENT: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "botwebhook_call", default=None
)


def under_pytest() -> bool:
    """Whether a pytest test is running (pytest captures output itself then)."""
    return "PYTEST_CURRENT_TEST" in os.environ


@dataclass
class Call:
    """One call's captured output and the exception a framework logged for it."""

    capture: bool
    parts: list[str] = field(default_factory=list)
    size: int = 0
    exception: str | None = None
    #: Where the handler's code raised ``exception``: its file and line.
    raised_in: tuple[str, int] | None = None

    def write(self, text: str) -> None:
        if self.size < MAX_OUTPUT:
            self.parts.append(text[: MAX_OUTPUT - self.size])
        self.size += len(text)

    @property
    def output(self) -> str:
        text = "".join(self.parts)
        if self.size > MAX_OUTPUT:
            text += f"\n[... {self.size - MAX_OUTPUT} more characters not kept]"
        return text


def current() -> Call | None:
    """The call running on this thread or in this asyncio task, if any."""
    return _CURRENT.get()


def running(call: Call) -> contextvars.Token[Call | None]:
    """Mark ``call`` as the one running here (undo with :func:`done`)."""
    return _CURRENT.set(call)


def done(token: contextvars.Token[Call | None]) -> None:
    _CURRENT.reset(token)


class _Router(io.TextIOBase):
    """Stands in for ``sys.stdout`` / ``sys.stderr``: writes go to the running call's
    buffer on its thread, to the original stream everywhere else."""

    def __init__(self, original: Any) -> None:
        self.original = original

    def write(self, text: str) -> int:
        call = current()
        if call is not None and call.capture:
            call.write(text)
            return len(text)
        result: int = self.original.write(text)
        return result

    def flush(self) -> None:
        call = current()
        if call is None or not call.capture:
            self.original.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, buffer, ...
        return getattr(self.original, name)

    def isatty(self) -> bool:
        return bool(self.original.isatty())

    def fileno(self) -> int:
        return int(self.original.fileno())

    def writable(self) -> bool:
        return True


class WsgiErrors(io.TextIOBase):
    """The ``wsgi.errors`` stream of an in-process call (Flask logs there): the
    call's buffer, or standard error when output is not captured."""

    def write(self, text: str) -> int:
        call = current()
        if call is not None and call.capture:
            call.write(text)
        else:
            sys.stderr.write(text)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def writable(self) -> bool:
        return True


_install_lock = threading.Lock()


class _ErrorLog(logging.Handler):
    """Notes the exception a framework (Flask, Django) logs while turning it into a
    500, so the finding can name it.

    It stays on the root logger, and stays transparent: a handler there would
    switch off ``logging.lastResort`` (which prints warnings when nothing else is
    configured), so it does that job itself for records no other handler takes.
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)

    def emit(self, record: logging.LogRecord) -> None:
        call = current()
        if call is not None and call.exception is None and record.exc_info:
            exc = record.exc_info[1]
            if exc is not None:
                call.exception = describe_exception(exc)
                call.raised_in = raised_in(exc)
        last = logging.lastResort
        if last is not None and record.levelno >= last.level and self._alone(record):
            last.handle(record)

    def _alone(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(h is not self for h in logger.handlers):
                return False
            if not logger.propagate:
                return True
            logger = logger.parent
        return True


_ERROR_LOG = _ErrorLog()


def install_routers(*, streams: bool = True) -> None:
    """Note logged exceptions per call and, with ``streams``, route ``sys.stdout``
    and ``sys.stderr`` by thread (idempotent).

    Install before the handler is imported, so that logging handlers it builds
    at import time write through the routers too (``botwebhook`` does).
    """
    with _install_lock:
        root = logging.getLogger()
        if _ERROR_LOG not in root.handlers:
            root.addHandler(_ERROR_LOG)
        if not streams:
            return
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not None and not isinstance(stream, _Router):
                setattr(sys, name, _Router(stream))


def describe_exception(exc: BaseException) -> str:
    """``KeyError: 'value' at app.py:14``: the type, the message and the innermost
    frame outside the standard library and site-packages."""
    return f"{type(exc).__name__}: {str(exc)[:200]}{raised_at(exc)}"


def raised_in(exc: BaseException) -> tuple[str, int] | None:
    """The file and line of the innermost frame outside the standard library and
    site-packages: where the handler's own code raised ``exc``."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "site-packages" not in filename and "/lib/python" not in filename:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def raised_at(exc: BaseException) -> str:
    """`` at file.py:12`` for the innermost frame outside the standard library."""
    where = raised_in(exc)
    return f" at {Path(where[0]).name}:{where[1]}" if where else ""


class CallTimedOut(Exception):
    """A call passed its deadline; ``call`` holds what it wrote until then.
    ``started`` is False when it never began: every thread was still busy."""

    def __init__(self, call: Call, *, started: bool = True, busy: int = 0) -> None:
        super().__init__("Read timed out")
        self.call = call
        self.started = started
        self.busy = busy


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


#: Threads one target's in-process calls may hold at once (the servers' own cap is
#: 64 connections; a handler that hangs holds one thread per call).
MAX_CALL_THREADS = 32


class Caller:
    """Runs in-process calls on daemon threads, each bounded by a deadline.

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
        error = box.error
        if error is None or isinstance(error, Exception):
            return box.value, error, call
        if isinstance(error, SystemExit):
            return None, RuntimeError(f"the handler called sys.exit({error.code!r})"), call
        raise error

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

    def _ended(self, box: _Box[Any]) -> None:
        """``box``'s call returned (on its worker's thread)."""
        with self._lock:
            box.finished = True
            if box.abandoned_at is not None:
                self._overdue_running -= 1
                self._overdue_ended += 1
                late = time.monotonic() - box.abandoned_at
                self._overdue_longest = max(self._overdue_longest, late)

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
            adopt_tracer()
            token = running(box.call)
            try:
                box.value = box.fn()
            except BaseException as exc:  # handed to the waiting thread
                box.error = exc
            finally:
                done(token)
                self.caller._ended(box)
                box.done.release()
            # An idle worker holds nothing of its last call (its body, its answer).
            del box
            self.caller._rejoin(self)
