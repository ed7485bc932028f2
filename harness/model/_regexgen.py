"""Generate strings that match a regular expression (for REGEX entities).

Works on the parse tree of Python's own regex parser, so the syntax is
exactly Python's.  Look-arounds are refused up front; every generated string
is checked with a full match (within the time limit of :mod:`harness._patterns`)
before it is returned.

Why not a kept generator: the ones there are walk the same private parser
(``re._parser``, formerly ``sre_parse``) -- Hypothesis's ``from_regex``, which
the fuzz strategies use for their draws, and ``rstr``'s ``xeger`` alike -- so
taking one would move the dependency on a private module, not remove it.  The
seeded factory also needs what neither gives: the same string for the same seed
from a plain ``random.Random``, short strings for unbounded repeats, and the
size check of :mod:`harness._patterns` before anything is compiled.  A Python
release that changes the tree cannot pass silently: every string is checked
with a full match before it is returned, and the tests generate for each
construct handled here.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

from harness._errors import UnsupportedRegexError
from harness._patterns import PatternError, compile_pattern

try:  # Python 3.11+
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

__all__ = ["RegexGenerator", "UnsupportedRegexError"]

_DIGITS = string.digits
_WORD = string.ascii_letters + string.digits + "_"
_SPACE = " "
_PRINTABLE = string.ascii_letters + string.digits + " -_.,"
_CATEGORIES = {
    _c.CATEGORY_DIGIT: _DIGITS,
    _c.CATEGORY_WORD: _WORD,
    _c.CATEGORY_SPACE: _SPACE,
    _c.CATEGORY_NOT_DIGIT: string.ascii_letters + "_ -",
    _c.CATEGORY_NOT_WORD: " -.,!?",
    _c.CATEGORY_NOT_SPACE: _WORD,
}
_UNBOUNDED_EXTRA = 3
#: The platform's longest user text: no generated value is longer.
MAX_LENGTH = 1024


class RegexGenerator:
    """Draws matching strings for one pattern from a caller's ``random.Random``."""

    def __init__(self, pattern: str) -> None:
        try:
            self._tree = _p.parse(pattern)
        except re.error as exc:
            raise UnsupportedRegexError(f"{pattern!r} is not a valid regex: {exc}") from exc
        self.pattern = pattern
        self._check(self._tree)
        shortest = self._tree.getwidth()[0]
        if shortest > MAX_LENGTH:
            raise UnsupportedRegexError(
                f"{pattern!r} only matches text of at least {shortest} characters, and the "
                f"platform's user text is at most {MAX_LENGTH} (hint: a smaller repeat count)"
            )
        try:
            self.compiled = compile_pattern(pattern, "regex")  # as the matcher reads it
        except PatternError as exc:
            raise UnsupportedRegexError(str(exc)) from exc

    def _check(self, tree: Any) -> None:
        for op, arg in tree:
            if op in (_c.ASSERT, _c.ASSERT_NOT):
                raise UnsupportedRegexError(
                    f"{self.pattern!r} uses a look-around, which cannot be generated "
                    "(hint: list the entity's values instead)"
                )
            if op is _c.BRANCH:
                for branch in arg[1]:
                    self._check(branch)
            elif op is _c.SUBPATTERN:
                self._check(arg[-1])
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op.name == "POSSESSIVE_REPEAT":
                self._check(arg[2])

    def example(self, rng: random.Random, attempts: int = 20) -> str:
        """A string that fully matches the pattern."""
        for _ in range(attempts):
            groups: dict[int, str] = {}
            text = self._emit(self._tree, rng, groups)
            if text and len(text) <= MAX_LENGTH and self.compiled.fullmatch(text):
                return text  # the platform never captures an empty value
        raise UnsupportedRegexError(
            f"could not generate a string matching {self.pattern!r} in {attempts} attempts "
            "(hint: simplify the regex or list the entity's values)"
        )

    def _emit(self, tree: Any, rng: random.Random, groups: dict[int, str]) -> str:
        return "".join(self._node(op, arg, rng, groups) for op, arg in tree)

    def _node(self, op: Any, arg: Any, rng: random.Random, groups: dict[int, str]) -> str:
        if op is _c.LITERAL:
            return chr(arg)
        if op is _c.NOT_LITERAL:
            return rng.choice([c for c in _PRINTABLE if ord(c) != arg])
        if op is _c.ANY:
            return rng.choice(_PRINTABLE)
        if op is _c.IN:
            return self._charset(arg, rng)
        if op is _c.BRANCH:
            return self._emit(rng.choice(arg[1]), rng, groups)
        if op is _c.SUBPATTERN:
            text = self._emit(arg[-1], rng, groups)
            if arg[0] is not None:
                groups[arg[0]] = text
            return text
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op.name == "POSSESSIVE_REPEAT":
            low, high, item = arg
            # A few repeats past the least: a{0,999999999} stays short.  (The least is
            # bounded by the pattern's shortest match, checked when it was compiled.)
            high = min(high, low + _UNBOUNDED_EXTRA)
            return "".join(self._emit(item, rng, groups) for _ in range(rng.randint(low, high)))
        if op is _c.GROUPREF:
            return groups.get(arg, "")
        if op is _c.AT:
            return ""
        raise UnsupportedRegexError(f"{self.pattern!r}: regex feature {op} is not supported")

    def _charset(self, items: Any, rng: random.Random) -> str:
        negate = False
        chars: list[str] = []
        for op, arg in items:
            if op is _c.NEGATE:
                negate = True
            elif op is _c.LITERAL:
                chars.append(chr(arg))
            elif op is _c.RANGE:
                low, high = arg
                chars.extend(chr(c) for c in range(low, min(high, low + 200) + 1))
            elif op is _c.CATEGORY:
                chars.extend(_CATEGORIES.get(arg, _WORD))
        if negate:
            excluded = set(chars)
            chars = [c for c in _PRINTABLE if c not in excluded]
        if not chars:
            raise UnsupportedRegexError(f"{self.pattern!r}: an empty character class")
        return rng.choice(chars)
