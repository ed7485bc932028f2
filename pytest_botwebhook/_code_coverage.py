"""``--botwebhook-code-coverage``: which lines and branches of the handler's code the
suite's webhook calls reached, by intent (see ``harness.checks.CodeCoverage``).

With pytest-cov's ``--cov`` the run measures with pytest-cov's coverage.py: one
tracer, and pytest-cov's report and data file keep every line.  The result is
read before pytest-cov combines and reports (our ``pytest_runtestloop`` wrapper
is inside its own), and printed in the terminal summary.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

__all__ = ["add_options", "code_coverage_lines", "start_code_coverage"]

_SESSION = pytest.StashKey[Any]()
_RESULT = pytest.StashKey[Any]()


def add_options(group: Any) -> None:
    group.addoption(
        "--botwebhook-code-coverage",
        action="store_true",
        dest="botwebhook_code_coverage",
        help="in the summary: the handler functions and branches no webhook call reached, "
        "and what each intent reached (coverage.py; with --cov, pytest-cov's run)",
    )
    group.addoption(
        "--botwebhook-code-source",
        action="append",
        dest="botwebhook_code_source",
        metavar="PATH",
        help="with --botwebhook-code-coverage: the handler's code is under PATH (repeatable; "
        "default: the files your --cov measures, else the rootdir, tests left out)",
    )


def start_code_coverage(config: pytest.Config) -> None:
    """Start measuring (from ``pytest_configure``) when asked."""
    if not config.getoption("botwebhook_code_coverage", False):
        return
    if hasattr(config, "workerinput") or config.getoption("numprocesses", None):
        raise pytest.UsageError(
            "--botwebhook-code-coverage labels the calls of one process: run it without "
            "-n (pytest-xdist)"
        )
    from harness.checks import CodeCoverage
    from harness.errors import CodeCoverageError

    try:
        session = CodeCoverage.start(data_file=config.rootpath / ".botwebhook-coverage")
    except CodeCoverageError as exc:
        raise pytest.UsageError(f"--botwebhook-code-coverage: {exc}") from None
    config.stash[_SESSION] = session
    config.pluginmanager.register(_Finisher(config), "botwebhook-code-coverage")


class _Finisher:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest-cov's: we read first
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self.finish()

    def finish(self) -> None:
        measuring = self.config.stash.get(_SESSION, None)
        if measuring is None or _RESULT in self.config.stash:
            return
        measuring.stop()
        sources = self.config.getoption("botwebhook_code_source", None) or ()
        roots = list(sources) or ([] if not measuring.own else [str(self.config.rootpath)])
        self.config.stash[_RESULT] = measuring.result(roots)


def code_coverage_lines(config: pytest.Config) -> list[str]:
    """The summary's lines, once the run was measured."""
    result = config.stash.get(_RESULT, None)
    if result is None:
        return []
    return ["botwebhook code coverage:", result.render_text()]
