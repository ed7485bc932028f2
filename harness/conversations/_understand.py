"""What the platform takes from a sentence, without NLU: which intent an example
matches, and what value a prompted variable gets from the user's answer.

The platform's real language understanding is not emulated.  A conversation
names the intent the platform matched; this module only finds it when the
model's examples make it unambiguous, and fills variables by the rules of
docs/protocol.md, section 7.

**The matcher.**  Each example of the chat's language (``examples`` in the
model) becomes a pattern that must match the *whole* sentence:

- letters compare without regard to case, any run of whitespace matches any
  other, and whitespace and ``. ! ?`` at either end of the sentence are ignored;
- a ``$label`` slot matches a value of that variable: one of a LIST entity's
  values (the longest that fits, written back as the model spells it), a match
  of a REGEX entity's pattern, a number for ``sys.number``, and any non-empty
  text for the other system entities.

The intent is found when the examples that match all belong to one intent;
the first of them, in the model's order, gives the slots' values.  No match,
or matches in two intents, is an error that asks for ``intent:``.

**Filling a prompted variable.**  The answer to a prompt fills only the
requested variable: ``sys.number`` takes the first number in the text, a LIST
entity the value that appears in it as a whole word (the longest, if several),
a REGEX entity the first match of its pattern, ``sys.any`` the raw text, and
the other system entities the whole answer without surrounding whitespace.
Nothing found leaves the variable empty, and the platform prompts again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from harness._errors import ConversationError
from harness._patterns import Pattern, PatternError, compile_pattern, too_slow
from harness.model._botmodel import BotModel, BotModelError, IntentSpec, VariableSpec
from harness.model._langdata import PLACEHOLDER

__all__ = ["Match", "Matcher", "fill", "given_values"]

_RECENT_LOCK = threading.Lock()
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_EDGES = re.compile(r"^[\s.!?]+|[\s.!?]+$")
_LEAD = re.compile(r"^[\s.!?]+")
_TRAIL = re.compile(r"[\s.!?]+$")


@dataclass(frozen=True, slots=True)
class Match:
    """An example that matches a sentence, and the slot values it captured."""

    intent: str
    example: str
    values: dict[str, str]


def _values(variable: VariableSpec, language: str) -> tuple[str, ...]:
    return tuple(sorted(variable.values_for(language), key=len, reverse=True))


def _slot(variable: VariableSpec, language: str) -> str:
    if variable.entity == "sys.number":
        return _NUMBER
    if variable.value_type == "LIST":
        return "|".join(re.escape(v) for v in _values(variable, language))
    if variable.value_type == "REGEX":
        assert variable.regex is not None
        return variable.regex
    return ".+?"


def _entity_regex(variable: VariableSpec) -> Pattern:
    """A REGEX entity's pattern: the model's author wrote it, so it is matched within
    a time limit (:mod:`harness._patterns`)."""
    assert variable.regex is not None
    return compile_pattern(variable.regex, f"entity {variable.entity!r} regex")


def _pattern(intent: IntentSpec, example: str, language: str) -> tuple[Pattern, tuple[str, ...]]:
    parts = PLACEHOLDER.split(example)
    regex: list[str] = []
    labels: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # a named group: the entity's own pattern may have groups of its own
            regex.append(f"(?P<_bw_slot{len(labels)}>{_slot(intent.variable(part), language)})")
            labels.append(part)
        else:
            literal = _LEAD.sub("", part) if i == 0 else part
            literal = _TRAIL.sub("", literal) if i == len(parts) - 1 else literal
            chunks = re.split(r"\s+", literal)
            regex.append(r"\s+".join(re.escape(c) for c in chunks))
    where = f"intent {intent.name!r} example {example!r}"
    return compile_pattern("".join(regex), where, ignore_case=True, dotall=True), tuple(labels)


def _canonical(variable: VariableSpec, language: str, text: str) -> str:
    if variable.value_type == "LIST":
        for value in variable.values_for(language):
            if value.casefold() == text.casefold():
                return value
    return text


class Matcher:
    """The model's examples for one language, compiled once (:meth:`of` keeps the
    last few, so a file of many conversations compiles its model once)."""

    _recent: ClassVar[dict[tuple[int, str], tuple[BotModel, Matcher]]] = {}

    @classmethod
    def of(cls, model: BotModel, language: str) -> Matcher:
        """The matcher of ``model`` in ``language``, made once while it is in use."""
        key = (id(model), language)
        with _RECENT_LOCK:
            held = cls._recent.get(key)
        if held is not None and held[0] is model:
            return held[1]
        matcher = cls(model, language)
        with _RECENT_LOCK:
            if len(cls._recent) >= 16:
                cls._recent.pop(next(iter(cls._recent)))
            cls._recent[key] = (model, matcher)
        return matcher

    def __init__(self, model: BotModel, language: str) -> None:
        self.language = language
        self.patterns = [
            (intent, example, *_pattern(intent, example, language))
            for intent in model.intents
            for example in intent.examples_for(language)
        ]

    def matches(self, text: str) -> list[Match]:
        """Every example that matches all of ``text``, in the model's order."""
        sentence = _EDGES.sub("", text)
        found = []
        for intent, example, pattern, labels in self.patterns:
            try:
                hit = pattern.fullmatch(sentence)
            except PatternError:  # blame the entity's pattern, where its author wrote it
                raise _slow_example(intent, example, labels, sentence) from None
            if hit is None:
                continue
            values: dict[str, str] = {}
            slots = (hit.group(f"_bw_slot{k}") for k in range(len(labels)))
            for label, value in zip(labels, slots, strict=True):
                variable = intent.variable(label)
                values.setdefault(label, _canonical(variable, self.language, value))
            found.append(Match(intent.name, example, values))
        return found

    def values_for(self, intent: str, text: str) -> dict[str, str]:
        """The values the first of ``intent``'s examples that matches ``text`` reads
        into it (what the platform captures from the sentence), or ``{}``."""
        return next((dict(m.values) for m in self.matches(text) if m.intent == intent), {})


def _slow_example(
    intent: IntentSpec, example: str, labels: tuple[str, ...], sentence: str
) -> PatternError:
    regexes = [intent.variable(label) for label in labels]
    regexes = [variable for variable in regexes if variable.regex is not None]
    if not regexes:  # pragma: no cover - escaped literals and our own slots are linear
        return too_slow(f"intent {intent.name!r} example {example!r}", example, sentence)
    variable = regexes[0]
    assert variable.regex is not None
    where = f"entity {variable.entity!r} regex (in example {example!r} of {intent.name!r})"
    return too_slow(where, variable.regex, sentence)


def _whole_word(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


def fill(variable: VariableSpec, text: str, language: str) -> str | None:
    """The value the platform gives the prompted ``variable`` from the answer ``text``,
    or None when the answer holds none (see the module's rules)."""
    if variable.entity == "sys.any":
        return text if text.strip() else None
    if variable.entity == "sys.number":
        number = re.search(_NUMBER, text)
        return number.group(0) if number else None
    if variable.value_type == "LIST":
        for value in _values(variable, language):
            if _whole_word(value).search(text):
                return value
        return None
    if variable.value_type == "REGEX":
        hit = _entity_regex(variable).search(text)
        return hit.group(0) if hit and hit.group(0) else None
    value = text.strip()
    return value or None


def entity_problem(variable: VariableSpec, value: str, language: str) -> str | None:
    """Why ``value`` cannot be a value of ``variable`` (a LIST entity's values are
    fixed, a REGEX entity's must match), or None."""
    if variable.value_type == "LIST":
        known = variable.values_for(language)
        if value not in known:
            return f"{value!r} is not a value of entity {variable.entity!r} ({', '.join(known)})"
    if variable.value_type == "REGEX":
        assert variable.regex is not None
        if not _entity_regex(variable).fullmatch(value):
            return f"{value!r} does not match entity {variable.entity!r}'s /{variable.regex}/"
    return None if value else "an empty value"


def given_values(intent: IntentSpec, entities: Mapping[str, str], language: str) -> dict[str, str]:
    """``entities`` checked against ``intent``: unknown labels and impossible values
    raise :class:`ConversationError` naming them."""
    out = {}
    for label, value in entities.items():
        try:
            variable = intent.variable(label)
        except BotModelError as exc:
            raise ConversationError(str(exc), f"entities.{label}") from None
        problem = entity_problem(variable, value, language)
        if problem:
            raise ConversationError(problem, f"entities.{label}")
        out[label] = value
    return out
