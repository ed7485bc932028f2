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

from typing import Any

import regex

from harness._errors import BotWebhookValueError

__all__ = ["PATTERN_TIMEOUT", "Pattern", "PatternError", "compile_pattern"]

#: Seconds one match of a user's pattern may take.
PATTERN_TIMEOUT = 0.5


class PatternError(BotWebhookValueError):
    """A pattern a user wrote that cannot be used: invalid, or too slow to match."""


class Pattern:
    """A user's pattern, compiled, remembering where it was written (for messages)."""

    __slots__ = ("compiled", "text", "where")

    def __init__(self, text: str, where: str, flags: int = 0) -> None:
        self.text = text
        self.where = where
        try:
            self.compiled: Any = regex.compile(text, flags | regex.VERSION0)
        except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise PatternError(
                f"{where}: {text[:80]!r} is not a regular expression ({exc})"
            ) from None

    def _limited(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.compiled, method)(*args, timeout=PATTERN_TIMEOUT)
        except TimeoutError:
            raise PatternError(
                f"{self.where}: the pattern {self.text[:80]!r} took more than "
                f"{PATTERN_TIMEOUT:g} s to match (it backtracks catastrophically; hint: "
                "avoid nested repeats such as (a+)+)"
            ) from None

    def search(self, text: str) -> Any:
        return self._limited("search", text)

    def fullmatch(self, text: str) -> Any:
        return self._limited("fullmatch", text)

    def sub(self, replacement: str, text: str) -> str:
        result: str = self._limited("sub", replacement, text)
        return result


def compile_pattern(text: str, where: str, *, ignore_case: bool = False) -> Pattern:
    """``text`` compiled as a user's pattern (see the module docstring)."""
    return Pattern(text, where, regex.IGNORECASE if ignore_case else 0)
