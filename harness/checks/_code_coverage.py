"""Handler code coverage: which lines and branches of the user's handler the run's
payloads reached, by intent, measured with coverage.py (the ``coverage`` extra).

One tracer at a time.  When coverage.py already runs (``pytest --cov``,
``coverage run``), the run measures *with* it: no second tracer, and nothing of
the user's data is lost; each call adds a context to it (``botwebhook:<intent>``,
after the test's own context when there is one), which ``coverage html
--show-contexts`` shows.  Otherwise the run starts its own coverage.py, with
branches, writing ``.botwebhook-coverage`` (``coverage html
--data-file=.botwebhook-coverage`` draws it).

Calls are labelled with their intent while they run (coverage.py's dynamic
contexts are one per process), so labelled calls run one at a time: a check's
pool still runs, but in-process calls take turns.  A call abandoned at its
timeout may go on running under the next call's label.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import re
import tempfile
import threading
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from harness._errors import CodeCoverageError
from harness.checks._code_report import LABEL, HandlerCoverage
from harness.delivery._tracing import set_call_label

__all__ = [
    "DATA_FILE",
    "CodeCoverage",
    "CodeCoverageError",
    "handler_root",
    "ours",
    "target_roots",
]

#: Where a run that starts its own coverage.py keeps its data.
DATA_FILE = ".botwebhook-coverage"
#: Files that are tests, not handler code (coverage.py's own pattern syntax).
TEST_FILES = ("*/test_*.py", "*/*_test.py", "*/conftest.py", "*/tests/*")
_HOME = Path(__file__).resolve().parents[1]
#: Our own code, never measured: all of it but the reference handler, which
#: ``botwebhook check --code-coverage`` measures as a demonstration.
_OURS = [
    f"{_HOME}/*/*",
    f"{_HOME}/_*.py",
    *(f"{_HOME}/{front}.py" for front in ("__init__", "errors", "strategies", "locust")),
    f"{_HOME.parent / 'pytest_botwebhook'}/*",
]
_NEEDS = (7, 16)  # switch_context() returns the context it replaces


def _coverage() -> Any:
    try:
        import coverage
    except ImportError:
        raise CodeCoverageError(
            "code coverage needs coverage.py: pip install 'pytest-botwebhook[coverage]'"
        ) from None
    version = tuple(int(p) for p in re.findall(r"\d+", coverage.__version__)[:2])
    if version < _NEEDS:
        raise CodeCoverageError(
            f"code coverage needs coverage.py 7.16 or later, this is {coverage.__version__}: "
            "pip install 'pytest-botwebhook[coverage]'"
        )
    return coverage


class CodeCoverage:
    """One run's measure of the handler's code, labelled by intent.

    :meth:`start` it before the handler is imported when you can (its import then
    counts too), run calls, :meth:`stop` it, then read :meth:`result`."""

    def __init__(self, cov: Any, *, own: bool, data_file: str | None) -> None:
        self._cov = cov
        self.own = own
        self.data_file = data_file
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._previous: Any = None
        self._contexts = True
        self.notes: list[str] = []

    @classmethod
    def start(cls, *, data_file: str | Path = DATA_FILE) -> CodeCoverage:
        """Measure with the coverage.py that already runs, or start one (data in
        ``data_file``); in-process calls are labelled from now on."""
        coverage = _coverage()
        current = coverage.Coverage.current()
        if current is not None:
            session = cls(current, own=False, data_file=None)
        else:
            cov = coverage.Coverage(
                data_file=str(data_file), branch=True, omit=_OURS, messages=False
            )
            cov.set_option("run:dynamic_context", None)  # the labels are ours
            cov.set_option("run:core", "ctrace")  # sys.monitoring has no dynamic contexts
            cov.set_option("run:parallel", False)
            cov.erase()
            cov.start()
            session = cls(cov, own=True, data_file=str(data_file))
        session._previous = set_call_label(session.label)
        return session

    @property
    def measured_by(self) -> str:
        if self.own:
            return "botwebhook's coverage.py run, with branches"
        branch = self._cov.get_option("run:branch")
        return "your coverage.py run" + (", with branches" if branch else " (lines only)")

    @contextlib.contextmanager
    def label(self, body: bytes) -> Iterator[None]:
        """Run one call under its intent's context (calls take turns)."""
        intent = _intent_of(body)
        with self._lock:
            self.calls[intent] += 1
            cov = self._cov
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    outer = _dynamic(cov, cov.switch_context(LABEL + intent))
                except Exception:  # coverage.py stopped meanwhile: the call runs unlabelled
                    yield
                    return
                if outer:
                    cov.switch_context(f"{outer}|{LABEL}{intent}")
            if caught and self._contexts:
                self._contexts = False
                self.notes.append(
                    "your coverage.py run cannot label calls by intent ("
                    + str(caught[0].message).rstrip(".")
                    + "): set COVERAGE_CORE=ctrace for the table by intent"
                )
            try:
                yield
            finally:
                cov.switch_context(outer)

    def stop(self) -> None:
        """Stop labelling calls; stop and save our own coverage.py (the user's runs on)."""
        set_call_label(self._previous)
        if self.own:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "no data collected": our report says it
                self._cov.stop()
                self._cov.save()

    def result(self, roots: Sequence[str | Path] = ()) -> HandlerCoverage:
        """What the labelled calls reached in the files under ``roots`` (all the
        measured files when empty), tests left out."""
        include = [str(Path(r).resolve()) + ("/*" if Path(r).is_dir() else "") for r in roots]
        hint = (
            f"coverage html --data-file={self.data_file} --show-contexts"
            if self.own
            else "coverage html --show-contexts"
        )
        report = self._json(include, [re.escape(LABEL)])
        everything = self._json(include, None)
        ran = {
            path: {name for name, region in data.get("functions", {}).items()
                   if name and region["executed_lines"]}
            for path, data in everything.get("files", {}).items()
        }  # fmt: skip
        result = HandlerCoverage.from_json(
            report, measured_by=self.measured_by, calls=self.calls, html_hint=hint, ran=ran
        )
        result.notes.extend(self.notes)
        if not self.calls:
            result.notes.append("no in-process call was made: nothing was measured")
        return result

    def _json(self, include: list[str], contexts: list[str] | None) -> dict[str, Any]:
        """coverage.py's JSON report of the files under ``include``, tests and our own
        code left out, for the lines run in ``contexts`` (regexes; None: all)."""
        coverage = _coverage()
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "coverage.json"
            try:
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._cov.json_report(
                        outfile=str(out),
                        include=include or None,
                        omit=[*TEST_FILES, *_OURS],
                        contexts=contexts,
                        show_contexts=contexts is not None,
                        ignore_errors=True,
                    )
            except coverage.exceptions.NoDataError:
                return {"files": {}, "meta": {"branch_coverage": self.own}}
            data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
            return data


def ours(path: str) -> bool:
    """Whether ``path`` (absolute) is our own code, never the handler's (the reference
    handler excepted)."""
    return any(fnmatch.fnmatch(path, pattern) for pattern in _OURS)


def handler_root(source_file: str | None) -> list[str]:
    """The folder of the handler's code: its top package's, or its module's own
    folder, for an app loaded from ``source_file``."""
    if not source_file:
        return []
    folder = Path(source_file).resolve().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return [str(folder)]


def target_roots(target: Any) -> list[str]:
    """Where an in-process target's handler code is: the folder of the file it was
    loaded from, else of the app's own module (the reference handler: its file)."""
    import sys

    source = getattr(target, "source_file", None)
    if source:
        return handler_root(source)
    app = getattr(target, "app", None)
    for name in (getattr(app, "import_name", None), getattr(app, "__module__", None),
                 type(app).__module__):  # fmt: skip
        file = getattr(sys.modules.get(name or ""), "__file__", None)
        if not file or "-packages" in file:
            continue
        if Path(file).resolve().is_relative_to(_HOME):  # the reference handler
            return [file]
        return handler_root(file)
    return []


def _intent_of(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "(not a payload)"
    name = data.get("intentName") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "(no intent)"


def _dynamic(cov: Any, context: str | None) -> str:
    """The dynamic part of a full context coverage.py returned."""
    context = context or ""
    static = cov.get_option("run:context") or ""
    if static and context.startswith(static):
        context = context[len(static) :].lstrip("|")
    return context
