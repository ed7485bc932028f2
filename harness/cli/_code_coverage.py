"""``--code-coverage``: which lines and branches of an in-process handler the run's
payloads reached, by intent (``harness.checks._code_coverage``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.cli._common import CliError

__all__ = ["code_coverage_option", "code_measured"]


def code_coverage_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--code-coverage", action="store_true",
        help="also measure which lines and branches of an in-process handler's code the "
        "payloads reached, by intent, with coverage.py (the coverage extra)",
    )  # fmt: skip


@contextmanager
def code_measured(args: argparse.Namespace) -> Iterator[Callable[[Any], None]]:
    """With ``--code-coverage``: coverage.py runs (the user's, or one of ours started
    here, before the handler is imported) until the block ends.  The block hands
    the loaded target to the function it gets; :func:`emit` then adds the result."""
    if not getattr(args, "code_coverage", False):
        yield lambda target: None
        return
    from harness.checks._code_coverage import CodeCoverage, target_roots

    session = CodeCoverage.start()

    def loaded(target: Any) -> None:
        if not getattr(target, "in_process", False):
            raise CliError(
                f"--code-coverage measures an in-process handler (app.py:app, package.module:app),"
                f" not {target.name}: run that server under `coverage run` instead"
            )
        args.code_roots = target_roots(target)

    try:
        yield loaded
    finally:
        session.stop()
    args.code_session = session
