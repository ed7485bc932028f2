"""Values at the edges of what users type, for every kind of variable.

A system entity's value is a span of the user's own text (docs/protocol.md, section 7):
"4", "tomorrow", "7pm", "London".  Realistic values (the provider's) are the
common ones; a handler that takes a number from "2" may still crash on "two" or
"2,5", or run for minutes on "4000000".  These pools hold the rest of the range
a user can type, for the ``edge_values`` variant of the check's matrix and for
the fuzz strategies.  A custom LIST entity's edge is every one of its values
(each word the entity matches); a REGEX entity's, several different matches.

Numbers and dates are written the ways people write them in any language; the
words ("two", "noon") are English, so they go only to English bots.  Emoji in
free text are the ``emoji`` text variant's (a value here that repeated it would
make a failure on emoji shrink to it instead of to that variant).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.model._botmodel import VariableSpec
from harness.model._regexgen import RegexGenerator

__all__ = ["MAX_EDGE", "edge_values"]

#: At most this many edge values per variable (the matrix sends one scenario each).
MAX_EDGE = 16

_ANY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "sys.number": ("0", "-2", "2.5", "2,5", "4000000", "1,000", "007", "99999999999999999999"),
    "sys.ordinal": ("1st", "22nd", "103rd", "0th", "11th", "1000th"),
    "sys.percent": ("0%", "100%", "12.5%", "-5%", "150%", "0,5%"),
    "sys.date": ("31/12/2026", "12/31/2026", "2026-02-29", "29.02.2028", "1/1", "2027"),
    "sys.time": ("19:00", "00:00", "23:59", "7", "7.30", "12:00:00", "24:00"),
    "sys.places": ("São Paulo", "St. John's", "Zürich", "東京", "Llanfairpwllgwyngyll",
                   "Saint-Étienne", "L.A.", "Washington, D.C."),
    "sys.person": ("O'Brien", "José", "Anne-Marie", "Nguyễn Văn An", "de la Cruz", "A",
                   "MARIA", "Zoë"),
    "sys.group": ("everyone", "the team", "Group #2", "family & friends"),
    "sys.any": ("...", "0", "null", "<b>hi</b>", "\"quoted\"", "a\nb", "it's = 100% & more",
                "-1"),
}  # fmt: skip
_ENGLISH: dict[str, tuple[str, ...]] = {
    "sys.number": ("two", "a dozen", "twenty-one", "one and a half"),
    "sys.ordinal": ("first", "last", "twenty-first"),
    "sys.percent": ("five percent", "half"),
    "sys.date": ("today", "yesterday", "in two weeks", "the 31st", "next Friday", "Feb 30"),
    "sys.time": ("noon", "midnight", "half past seven", "in 20 minutes", "7 pm"),
}
_REGEX_MATCHES = 3


#: Edge values already worked out, by the variable's identity and the language (a
#: variable holds dicts, so it cannot be a key itself); each entry keeps its variable.
_KNOWN: dict[tuple[int, str], tuple[VariableSpec, tuple[str, ...]]] = {}


def edge_values(variable: VariableSpec, language: str) -> tuple[str, ...]:
    """:func:`find_edge_values`, worked out once per variable and language."""
    known = _KNOWN.get((id(variable), language))
    if known is not None and known[0] is variable:
        return known[1]
    if len(_KNOWN) >= 4096:
        _KNOWN.clear()
    found = find_edge_values(variable, language)
    _KNOWN[(id(variable), language)] = (variable, found)
    return found


def find_edge_values(variable: VariableSpec, language: str) -> tuple[str, ...]:
    """Values at the edges of what a user types for ``variable``, at most
    :data:`MAX_EDGE`: for a system entity its pool (with English words for English
    bots), for a LIST entity every value, for a REGEX entity a few matches."""
    entity = variable.entity
    if variable.system:
        pool = _ANY_LANGUAGE.get(entity, _ANY_LANGUAGE["sys.any"])
        if language == "EN":
            pool = pool + _ENGLISH.get(entity, ())
        return pool[:MAX_EDGE]
    if variable.regex is not None:
        generator = RegexGenerator(variable.regex)
        rng = random.Random(f"edge-{variable.regex}")
        found = dict.fromkeys(generator.example(rng) for _ in range(4 * _REGEX_MATCHES))
        return tuple(found)[:_REGEX_MATCHES]
    values: Sequence[str] = variable.values_for(language)
    return tuple(dict.fromkeys(values))[:MAX_EDGE]
