"""Ctrl-C before a command began (Python still loading it, or reading its
arguments): one line, exit 130, as when a run is interrupted."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["exit_now", "interrupted_early"]


def interrupted_early(words: Sequence[str]) -> int:
    """Say which command was interrupted (the first word that is not an option)."""
    command = next((word for word in words if not word.startswith("-")), "")
    print(f"botwebhook{' ' + command if command else ''}: interrupted", file=sys.stderr)
    return 130


def exit_now(code: int) -> NoReturn:
    """End the program with ``code``; after Ctrl-C (130), at once, streams flushed.

    CPython 3.11 marks a KeyboardInterrupt that left an ``exec()`` of a string
    (``dataclasses`` runs one per class it makes) as unhandled, even once it was
    handled further up, and then ends the process by SIGINT (-2), not with its
    exit status.  A run ended by Ctrl-C has done its cleanup in its ``finally``
    blocks by then; nothing is left for the interpreter to do."""
    if code == 130:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe
                stream.flush()
        os._exit(130)
    raise SystemExit(code)
