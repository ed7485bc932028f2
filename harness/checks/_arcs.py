"""The arcs (line to line, within one function) a call ran in the handler's own
files: the signal of ``fuzz --guided``.

A tracer of our own, not coverage.py: the guided fuzzer asks after every call
which arcs it ran, and coverage.py answers through its data API (an SQLite
write per flush, and its report machinery per question), where a set per call is
what the search needs.  HypoFuzz, which guides Hypothesis by coverage, does the
same: it traces each example with a tracer of its own.  It traces only frames
of the handler's files (every other frame gets no local tracer, so it runs at
full speed), and it is installed on the call threads through
``threading.settrace`` and :func:`harness.delivery._tracing.adopt_tracer`.
"""

from __future__ import annotations

import fnmatch
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from harness._errors import CodeCoverageError
from harness.checks._code_coverage import ours

__all__ = ["Arc", "ArcTracer"]

#: (file, from line, to line); a negative "to" leaves the function that starts there.
Arc = tuple[str, int, int]

_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")


class ArcTracer:
    """Collects the arcs the handler's files run, between :meth:`start` and
    :meth:`stop`; :meth:`take` hands over (and forgets) those run since the last take."""

    def __init__(self, roots: Sequence[str | Path]) -> None:
        self.roots = tuple(str(Path(r).resolve()) for r in roots)
        self._arcs: set[Arc] = set()
        self._files: dict[str, bool] = {}
        self._active = False

    def start(self) -> None:
        if sys.gettrace() is not None or threading.gettrace() is not None:
            raise CodeCoverageError(
                "--guided traces the handler itself, and another tracer is running here "
                "(coverage.py, a debugger, --code-coverage): run the guided fuzz without it"
            )
        self._active = True
        threading.settrace(self._call)
        sys.settrace(self._call)

    def stop(self) -> None:
        """Stop tracing; call threads drop the tracer at their next call."""
        self._active = False
        threading.settrace(None)
        sys.settrace(None)

    def take(self) -> set[Arc]:
        arcs, self._arcs = self._arcs, set()
        return arcs

    def _ours(self, filename: str) -> bool:
        known = self._files.get(filename)
        if known is None:
            path = str(Path(filename).resolve()) if not filename.startswith("<") else ""
            known = (
                bool(path)
                and not ours(path)
                and any(path == root or path.startswith(root + "/") for root in self.roots)
                and not any(fnmatch.fnmatch(Path(path).name, p) for p in _TEST_FILES)
            )
            self._files[filename] = known
        return known

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not self._active:
            sys.settrace(None)  # a call thread, after the run: it stops tracing here
            return None
        if event != "call" or not self._ours(frame.f_code.co_filename):
            return None
        filename = frame.f_code.co_filename
        first = frame.f_code.co_firstlineno
        arcs = self._arcs
        last = -first

        def line(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal last
            if event == "line":
                arcs.add((filename, last, frame.f_lineno))
                last = frame.f_lineno
            elif event == "return":
                arcs.add((filename, last, -first))
            return line

        return line
