"""What an in-process handler writes, captured per call.

pytest captures a test's output at the file-descriptor level, one test at a
time.  A check runs many calls at once on a few threads, so output is routed
by thread instead: while a call runs, ``print``, ``sys.stderr`` writes, the
``wsgi.errors`` stream and every logging handler that writes to ``sys.stdout``
/ ``sys.stderr`` land in that call's buffer; on any other thread they pass
through unchanged.  The routers are installed once and stay: with no call
running they are transparent.

How a call is bounded in time is ``harness.delivery._deadline``'s.
"""

from __future__ import annotations

import contextvars
import io
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MAX_OUTPUT", "Call", "current", "done", "install_routers", "running", "under_pytest"]

#: At most this many characters of a call's output are kept.
MAX_OUTPUT = 64 * 1024

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
