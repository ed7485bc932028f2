"""Progress on a terminal for long runs (tqdm on standard error).

Nothing is shown when standard error is not a terminal, with ``--json``, or
inside pytest: the bar is for a person watching, never part of any output.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["ProgressFn", "progress", "seconds_bar"]


class ProgressFn(Protocol):
    def __call__(self, exchange: Any, total: int | None) -> None: ...


@contextmanager
def progress(what: str, *, enabled: bool) -> Iterator[ProgressFn | None]:
    """A callback ``(exchange, total)`` that advances a bar of ``what`` done, with the
    errors so far (a plain counter when ``total`` is None); None when progress is
    not shown."""
    stream = sys.stderr
    if not enabled or stream is None or not stream.isatty():
        yield None
        return
    from tqdm import tqdm

    bar: Any = None
    errors = 0

    def advance(exchange: Any, total: int | None) -> None:
        nonlocal bar, errors
        if bar is None:
            bar = tqdm(total=total, unit=what, file=stream, leave=False, dynamic_ncols=True)
        if not exchange.ok:
            errors += 1
            bar.set_postfix_str(f"{errors} error{'s' * (errors != 1)}", refresh=False)
        bar.update(1)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.close()


@contextmanager
def seconds_bar(total: float, *, enabled: bool) -> Iterator[Any]:
    """A callback ``tick(seconds)`` that advances a bar of the run's expected seconds,
    in whole seconds (never ``4.6000000001/8``), on a terminal only."""
    stream = sys.stderr
    bar: Any = None
    if enabled and stream is not None and stream.isatty():
        from tqdm import tqdm

        bar = tqdm(total=round(total), unit="s", file=stream, leave=False)
    elapsed = 0.0

    def tick(step: float) -> None:
        nonlocal elapsed
        elapsed += step
        if bar is not None:
            whole = min(int(elapsed), bar.total)
            if whole > bar.n:
                bar.update(whole - bar.n)

    try:
        yield tick
    finally:
        if bar is not None:
            bar.close()
