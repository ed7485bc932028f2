"""Ctrl-C wherever it lands: before a command began (Python still loading it, or
reading its arguments), during its run, or after it while the interpreter winds
down: one line, exit 130, never a traceback or a death by SIGINT."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["exit_now", "interrupted_early"]


def interrupted_early(words: Sequence[str]) -> int:
    """Say which command was interrupted (the first word that is not an option)."""
    print(_interrupted(words), file=sys.stderr)
    return 130


def _interrupted(words: Sequence[str]) -> str:
    command = next((word for word in words if not word.startswith("-")), "")
    return f"botwebhook{' ' + command if command else ''}: interrupted"


def exit_now(code: int) -> NoReturn:
    """End the program with ``code``; after Ctrl-C (130), at once, streams flushed.

    CPython 3.11 marks a KeyboardInterrupt that left an ``exec()`` of a string
    (``dataclasses`` runs one per class it makes) as unhandled, even once it was
    handled further up, and then ends the process by SIGINT (-2), not with its
    exit status.  A run ended by Ctrl-C has done its cleanup in its ``finally``
    blocks by then; nothing is left for the interpreter to do."""
    if code == 130:
        _exit_interrupted()
    # The command is done; the interpreter still waits for threads and runs atexit.
    # A Ctrl-C landing there is one line and 130 too, never a death by SIGINT (-2):
    # while threads are waited for, it still stops the wait (a handler's own thread
    # may never end); once they are done, only the last cleanup is left, and Python
    # would hand SIGINT back to its default there, so it is ignored.
    line = _interrupted(sys.argv[1:])
    with contextlib.suppress(ValueError):  # not the main thread: Python's own handling
        signal.signal(signal.SIGINT, lambda *_: _exit_interrupted(line))
        atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(code)


def _exit_interrupted(say: str = "") -> NoReturn:
    if say:  # to the descriptor: sys.stderr may be gone by now
        with contextlib.suppress(OSError):
            os.write(2, f"{say}\n".encode())
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, or gone
            stream.flush()
    os._exit(130)
