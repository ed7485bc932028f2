"""What a tracer (coverage.py, the guided fuzzer's) needs from in-process calls.

Two hooks, both free when no one uses them:

- :func:`adopt_tracer`: a call thread started before a tracer was adopts it.
  coverage.py (and our guided fuzzer) trace the threads started after them through
  ``threading.settrace``; a target's call threads are kept and reused, so one may
  predate the tracer.  Each call first hands such a thread the tracer that
  ``threading.gettrace()`` holds, as ``threading`` does for a new thread.
- :func:`labelled`: a run that measures which code each intent reached labels every
  in-process call while it runs (coverage.py's dynamic contexts).  The labeller
  sees the request's body and returns a context manager; with none set, a call
  costs one global lookup more.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

__all__ = ["adopt_tracer", "labelled", "set_call_label"]

_label: Callable[[bytes], AbstractContextManager[object]] | None = None
_NOTHING: AbstractContextManager[object] = nullcontext()


def adopt_tracer() -> None:
    """On this thread, start the tracer that new threads get, if it has none yet."""
    trace = threading.gettrace()
    if trace is not None and sys.gettrace() is None:
        sys.settrace(trace)


def set_call_label(
    label: Callable[[bytes], AbstractContextManager[object]] | None,
) -> Callable[[bytes], AbstractContextManager[object]] | None:
    """Label in-process calls with ``label(body)`` from now on (None: stop); the
    labeller it replaces is returned."""
    global _label
    previous, _label = _label, label
    return previous


def labelled(body: bytes) -> AbstractContextManager[object]:
    """The context an in-process call with this body runs in."""
    label = _label
    return _NOTHING if label is None else label(body)
