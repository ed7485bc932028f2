"""Patterns users write (regular expressions), matched within a time limit.

A user's pattern can backtrack catastrophically (``(a+)+b``, ``^(a|a)*$``) and
hang whatever matches it.  Every pattern a user writes is compiled and matched
here, with the ``regex`` module: it reads the syntax of Python's ``re`` (which is
what users write and what the docs show), and each match takes a ``timeout``,
after which it stops with an error.  (``google-re2`` would be linear in time, but
it refuses look-arounds and backreferences, which users' patterns and the ones
``replay --learn`` writes use.)  A pattern that passes the limit is one
:class:`PatternError` naming where it was written, the pattern and the limit.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from harness._errors import BotWebhookValueError

__all__ = [
    "PATTERN_TIMEOUT",
    "Pattern",
    "PatternError",
    "compile_pattern",
    "line_of",
    "place_in",
    "too_slow",
]

#: Seconds one match of a user's pattern may take.
PATTERN_TIMEOUT = 0.5
#: The most copies a pattern's repeats may come to: the regex module writes out the
#: least count of every repeat (``a{1000000}`` is a million nodes, 280 MB).
MAX_UNROLLED = 100_000
# The regex module's flag values (those of re), so that it loads on first use only.
_IGNORECASE = 2
_DOTALL = 16


class PatternError(BotWebhookValueError):
    """A pattern a user wrote that cannot be used: invalid, or too slow to match.
    ``pattern`` is the pattern's text."""

    def __init__(self, message: str, pattern: str = "") -> None:
        super().__init__(message)
        self.pattern = pattern

    def within(self, place: str) -> PatternError:
        """The same error, its message starting with ``place`` (a file and line)."""
        return PatternError(f"{place}: {self}", self.pattern)


class Pattern:
    """A user's pattern, compiled, remembering where it was written (for messages)."""

    __slots__ = ("compiled", "text", "where")

    def __init__(self, text: str, where: str, flags: int = 0) -> None:
        import regex  # on first use: importing harness needs no third-party module

        self.text = text
        self.where = where
        size = _unrolled_size(text)
        if size > MAX_UNROLLED:
            raise PatternError(
                f"{where}: the pattern {text[:80]!r} is too large to compile: its repeats "
                f"come to {size:,} copies, more than {MAX_UNROLLED:,} (hint: a smaller "
                "least repeat count, e.g. a{2,} rather than a{100000})",
                text,
            )
        try:
            self.compiled: Any = regex.compile(text, flags | regex.VERSION0)
        except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise PatternError(
                f"{where}: {text[:80]!r} is not a regular expression ({exc})", text
            ) from None

    def _limited(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.compiled, method)(*args, timeout=PATTERN_TIMEOUT)
        except TimeoutError:
            subject = args[-1] if args and isinstance(args[-1], str) else ""
            raise too_slow(self.where, self.text, subject) from None

    def search(self, text: str) -> Any:
        return self._limited("search", text)

    def fullmatch(self, text: str) -> Any:
        return self._limited("fullmatch", text)

    def sub(self, replacement: str, text: str) -> str:
        result: str = self._limited("sub", replacement, text)
        return result


def _unrolled_size(text: str) -> int:
    """About how many nodes ``text`` compiles to once its repeats are written out
    (Python's own parser reads it; for syntax only ``regex`` knows, a bound from the
    repeat counts written)."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    try:
        tree = parser.parse(text)
    except Exception:
        size = 1
        for count in re.findall(r"\{(\d+)", text):
            size *= max(1, min(int(count), 10**9))
        return size + len(text)
    return _size(tree)


def _size(tree: Any) -> int:
    total = 0
    for op, arg in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, _, item = arg
            total += max(1, least) * _size(item)
        elif name == "SUBPATTERN":
            total += _size(arg[-1])
        elif name == "BRANCH":
            total += sum(_size(branch) for branch in arg[1])
        elif name in ("ASSERT", "ASSERT_NOT"):
            total += _size(arg[1])
        else:
            total += 1
    return total


def too_slow(where: str, pattern: str, subject: str) -> PatternError:
    """The error for ``pattern`` (written at ``where``) taking too long on ``subject``."""
    shown = subject if len(subject) <= 40 else subject[:37] + "..."
    return PatternError(
        f"{where}: the pattern {pattern[:80]!r} took more than {PATTERN_TIMEOUT:g} s to "
        f"match {shown!r} (it backtracks catastrophically; hint: avoid nested repeats "
        "such as (a+)+ and overlapping alternatives such as (a|a)*)",
        pattern,
    )


def compile_pattern(
    text: str, where: str, *, ignore_case: bool = False, dotall: bool = False
) -> Pattern:
    """``text`` compiled as a user's pattern (see the module docstring); the same
    pattern asked for again is compiled once."""
    flags = (_IGNORECASE if ignore_case else 0) | (_DOTALL if dotall else 0)
    return _compiled(text, where, flags)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str, where: str, flags: int) -> Pattern:
    return Pattern(text, where, flags)


#: A file searched for a pattern's line is read only up to this size.
_LOCATE_LIMIT = 4 * 1024 * 1024


def line_of(path: str, pattern: str) -> int | None:
    """The first line of the file ``path`` where ``pattern`` is written (as it is, or
    escaped in a double-quoted TOML/YAML/JSON string), or None."""
    try:
        file = Path(path)
        if not file.is_file() or file.stat().st_size > _LOCATE_LIMIT:
            return None
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return None
    escaped = pattern.replace("\\", "\\\\").replace('"', '\\"')
    for number, line in enumerate(lines, 1):
        if pattern in line or escaped in line:
            return number
    return None


def place_in(path: str, pattern: str) -> str:
    """``path:line`` where ``pattern`` is written in the file ``path``, else ``path``."""
    line = line_of(path, pattern)
    return f"{path}:{line}" if line else path
