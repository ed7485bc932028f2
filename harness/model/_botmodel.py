"""The user's bot model: the intents their webhook serves, from Python or TOML.

A model is read from a ``[tool.botwebhook]`` table in ``pyproject.toml`` or
from a standalone ``botwebhook.toml`` (same keys at top level)::

    languages = ["EN"]

    [[intents]]
    name = "colour"
    responses = ["So your favourite colour is $colour!"]
    examples = ["my favourite colour is $colour"]      # optional

    [[intents.variables]]
    label = "colour"
    entity = "colour"
    values = ["red", "green", "blue", "yellow"]       # custom (LIST) entity
    prompts = ["What is your favourite colour?"]

Every problem is one :class:`BotModelError` naming the key, e.g.
``intents[0].variables[1].max_prompts: 20 is outside 1..16``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness._errors import BotModelError
from harness.model._langdata import PLACEHOLDER
from harness.model._regexgen import RegexGenerator, UnsupportedRegexError
from harness.model._toml import (
    INTENT_KEYS,
    MODEL_KEYS,
    SETTINGS_KEYS,
    VARIABLE_KEYS,
    intent_names_problem,
)
from harness.protocol._request import LANGUAGES

__all__ = [
    "SYSTEM_ENTITIES",
    "BotModel",
    "BotModelError",
    "IntentSpec",
    "VariableSpec",
]

#: The system entities the platform ships (docs/protocol.md, section 7).
SYSTEM_ENTITIES = (
    "sys.number",
    "sys.ordinal",
    "sys.percent",
    "sys.date",
    "sys.time",
    "sys.places",
    "sys.person",
    "sys.group",
    "sys.any",
)
_INTENT_NAME = re.compile(r"[a-zA-Z0-9_-]{1,250}")
_ENTITY = re.compile(r"[.a-zA-Z0-9_-]+")
_LABEL = re.compile(r"[a-zA-Z0-9_.-]+")


Texts = Sequence[str] | Mapping[str, Sequence[str]]
"""Strings for every language (a list) or per language (``{"EN": [...], "ES": [...]}``)."""


def _localized(texts: Texts) -> Mapping[str, tuple[str, ...]]:
    if isinstance(texts, Mapping):
        return {language: tuple(items) for language, items in texts.items()}
    return {"*": tuple(texts)}


def _for_language(texts: Mapping[str, Sequence[str]], language: str) -> tuple[str, ...]:
    return tuple(texts.get(language) or texts.get("*") or ())


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """One variable of an intent as the bot's author declared it.

    ``values`` (a custom LIST entity's possible values) may be one list for
    every language or a mapping from language to list.
    """

    label: str
    entity: str
    mandatory: bool = True
    max_prompts: int = 3
    prompts: tuple[str, ...] = ()
    values: Texts = ()
    regex: str | None = None
    persistent: bool = False
    reset_on_entry: bool = True
    index: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _localized(self.values))
        object.__setattr__(self, "prompts", tuple(self.prompts))

    @property
    def system(self) -> bool:
        return self.entity.startswith("sys.")

    @property
    def value_type(self) -> str:
        """``SYS``, ``REGEX`` or ``LIST``, as the platform writes it."""
        if self.system:
            return "SYS"
        return "REGEX" if self.regex is not None else "LIST"

    def values_for(self, language: str) -> tuple[str, ...]:
        assert isinstance(self.values, Mapping)
        return _for_language(self.values, language)


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One intent: its name, its possible responses, its variables, and optionally
    example user sentences with ``$label`` placeholders.  ``responses`` and
    ``examples`` may be one list for every language or a mapping per language."""

    name: str
    responses: Texts = ()
    variables: tuple[VariableSpec, ...] = ()
    examples: Texts = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "responses", _localized(self.responses))
        object.__setattr__(self, "examples", _localized(self.examples))
        object.__setattr__(self, "variables", tuple(self.variables))

    def responses_for(self, language: str) -> tuple[str, ...]:
        assert isinstance(self.responses, Mapping)
        return _for_language(self.responses, language)

    def examples_for(self, language: str) -> tuple[str, ...]:
        assert isinstance(self.examples, Mapping)
        return _for_language(self.examples, language)

    @property
    def mandatory(self) -> tuple[VariableSpec, ...]:
        return tuple(v for v in self.variables if v.mandatory)

    @property
    def by_index(self) -> tuple[VariableSpec, ...]:
        """The variables in the platform's order: by ``index``, then as declared (the
        order of ``memoryVariables`` and of prompting)."""
        return tuple(sorted(self.variables, key=lambda v: v.index))

    @property
    def optional(self) -> tuple[VariableSpec, ...]:
        return tuple(v for v in self.variables if not v.mandatory)

    def variable(self, label: str) -> VariableSpec:
        for variable in self.variables:
            if variable.label == label:
                return variable
        known = ", ".join(v.label for v in self.variables) or "none"
        raise BotModelError(
            f"intent {self.name!r} has no variable {label!r} (its variables: {known})"
        )


@dataclass(frozen=True, slots=True)
class BotModel:
    """The bot whose webhook is under test: its intents and languages.

    Built in Python or read from TOML, a model is validated on creation: any
    problem raises :class:`BotModelError` naming the key.
    """

    intents: tuple[IntentSpec, ...]
    languages: tuple[str, ...] = ("EN",)
    source: str = "<python>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "intents", tuple(self.intents))
        object.__setattr__(self, "languages", tuple(self.languages))
        _validate(self)

    def intent(self, name: str) -> IntentSpec:
        for intent in self.intents:
            if intent.name == name:
                return intent
        names = [i.name for i in self.intents]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known intents: " + ", ".join(names)
        raise BotModelError(f"unknown intent {name!r} in {self.source} ({hint})")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<python>") -> BotModel:
        """Build and validate a model from plain data (the TOML table's shape)."""
        return _Reader(source).model(data)


# -- validating -------------------------------------------------------------------


def _validate(model: BotModel) -> None:
    def fail(where: str, problem: str) -> BotModelError:
        return BotModelError(f"{where}: {problem} (in {model.source})")

    if not model.languages:
        raise fail("languages", "declare at least one language")
    for i, language in enumerate(model.languages):
        if language not in LANGUAGES:
            raise fail(f"languages[{i}]", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    if not model.intents:
        raise fail("intents", "a model needs at least one intent")
    names: set[str] = set()
    for i, intent in enumerate(model.intents):
        where = f"intents[{i}]"
        if not isinstance(intent, IntentSpec):
            raise fail(where, f"expected an IntentSpec, got {type(intent).__name__}")
        if not _INTENT_NAME.fullmatch(intent.name):
            raise fail(
                f"{where}.name",
                f"{intent.name!r} is not a valid intent name (letters, digits, '_' and '-', "
                "at most 250 characters)",
            )
        if intent.name in names:
            raise fail(f"{where}.name", f"duplicate intent name {intent.name!r}")
        names.add(intent.name)
        labels: set[str] = set()
        for j, variable in enumerate(intent.variables):
            _validate_variable(variable, f"{where}.variables[{j}]", fail)
            if variable.label in labels:
                raise fail(f"{where}.variables[{j}].label", f"duplicate label {variable.label!r}")
            labels.add(variable.label)
        assert isinstance(intent.examples, Mapping)
        for language, examples in intent.examples.items():
            for k, example in enumerate(examples):
                for placeholder in PLACEHOLDER.findall(example):
                    if placeholder not in labels:
                        raise fail(
                            f"{where}.examples{_lang_key(language)}[{k}]",
                            f"${placeholder} is not a variable of this intent "
                            f"(variables: {', '.join(sorted(labels)) or 'none'})",
                        )


def _lang_key(language: str) -> str:
    return "" if language == "*" else f".{language}"


def _validate_variable(
    variable: VariableSpec, where: str, fail: Callable[[str, str], BotModelError]
) -> None:
    for key, value, pattern in (
        ("label", variable.label, _LABEL),
        ("entity", variable.entity, _ENTITY),
    ):
        if not pattern.fullmatch(value):
            raise fail(f"{where}.{key}", f"{value!r} has characters the platform refuses")
    entity = variable.entity
    if entity.startswith("sys.") and entity not in SYSTEM_ENTITIES:
        raise fail(
            f"{where}.entity",
            f"{entity!r} is not a system entity the platform ships ({', '.join(SYSTEM_ENTITIES)})",
        )
    if not 1 <= variable.max_prompts <= 16:
        raise fail(f"{where}.max_prompts", f"{variable.max_prompts} is outside 1..16")
    if not 0 <= variable.index <= 1000:
        raise fail(f"{where}.index", f"{variable.index} is outside 0..1000 (the prompt order)")
    assert isinstance(variable.values, Mapping)
    has_values = any(variable.values.values())
    if variable.system:
        if has_values or variable.regex is not None:
            raise fail(
                f"{where}.{'values' if has_values else 'regex'}",
                f"{entity} is a system entity: its values come from the user's sentence",
            )
    elif has_values and variable.regex is not None:
        raise fail(f"{where}.regex", "give values (a LIST entity) or regex, not both")
    elif not has_values and variable.regex is None:
        raise fail(
            f"{where}.values",
            f"custom entity {entity!r} needs its possible values (values = [...]) "
            "or a regex (regex = '...')",
        )
    for language, values in variable.values.items():
        for k, value in enumerate(values):
            if not value:
                raise fail(f"{where}.values{_lang_key(language)}[{k}]", "empty value")
    if variable.regex is not None:
        try:
            RegexGenerator(variable.regex)
        except UnsupportedRegexError as exc:
            raise fail(f"{where}.regex", str(exc)) from exc


# -- reading ----------------------------------------------------------------------


class _Reader:
    """Turns TOML-shaped data into model objects, checking keys and types only;
    the meaning is checked by :func:`_validate` when the BotModel is built."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> BotModelError:
        return BotModelError(f"{where}: {problem} (in {self.source})")

    def table(self, data: Any, where: str, known: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(where or "$", f"expected a table, got {type(data).__name__}")
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), list(known), n=1)
                hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(known)
                raise self.fail(f"{where}.{key}" if where else str(key), f"unknown key ({hint})")
        return data

    def typed(self, data: Mapping[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
        if key not in data:
            return default
        value = data[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise self.fail(
                f"{where}{key}", f"expected {kind.__name__}, got {value!r} ({type(value).__name__})"
            )
        return value

    def required(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value: str | None = self.typed(data, key, f"{where}.", str, None)
        if value is None:
            raise self.fail(f"{where}.{key}", "missing")
        return value

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.typed(data, key, where, list, [])
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{where}{key}[{i}]", f"expected a string, got {value!r}")
        return tuple(values)

    def texts(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, tuple[str, ...]]:
        """A list of strings, or a table of them per language."""
        if isinstance(data.get(key), Mapping):
            table = data[key]
            out: dict[str, tuple[str, ...]] = {}
            for language in table:
                if language not in LANGUAGES:
                    raise self.fail(
                        f"{where}{key}.{language}",
                        f"{language!r} is not a language ({', '.join(LANGUAGES)})",
                    )
                out[language] = self.strings(table, language, f"{where}{key}.")
            return out
        return {"*": self.strings(data, key, where)}

    def model(self, data: Mapping[str, Any]) -> BotModel:
        data = self.table(data, "", (*MODEL_KEYS, *SETTINGS_KEYS))
        if problem := intent_names_problem(data):
            raise self.fail("intent", problem)
        if "language" in data and "languages" in data:
            raise self.fail("language", "give either language or languages, not both")
        if "language" in data:
            languages: tuple[str, ...] = (self.typed(data, "language", "", str, "EN"),)
        else:
            languages = self.strings(data, "languages", "") or ("EN",)
        intents_data = self.typed(data, "intents", "", list, [])
        intents = tuple(self.intent(d, f"intents[{i}]") for i, d in enumerate(intents_data))
        return BotModel(intents, languages, self.source)

    def intent(self, data: Any, where: str) -> IntentSpec:
        data = self.table(data, where, tuple(INTENT_KEYS))
        variables_data = self.typed(data, "variables", f"{where}.", list, [])
        return IntentSpec(
            name=self.required(data, "name", where),
            responses=self.texts(data, "responses", f"{where}."),
            variables=tuple(
                self.variable(d, f"{where}.variables[{j}]") for j, d in enumerate(variables_data)
            ),
            examples=self.texts(data, "examples", f"{where}."),
        )

    def variable(self, data: Any, where: str) -> VariableSpec:
        data = self.table(data, where, tuple(VARIABLE_KEYS))
        return VariableSpec(
            label=self.required(data, "label", where),
            entity=self.required(data, "entity", where),
            mandatory=self.typed(data, "mandatory", f"{where}.", bool, True),
            max_prompts=self.typed(data, "max_prompts", f"{where}.", int, 3),
            prompts=self.strings(data, "prompts", f"{where}."),
            values=self.texts(data, "values", f"{where}."),
            regex=self.typed(data, "regex", f"{where}.", str, None),
            persistent=self.typed(data, "persistent", f"{where}.", bool, False),
            reset_on_entry=self.typed(data, "reset_on_entry", f"{where}.", bool, True),
            index=self.typed(data, "index", f"{where}.", int, 0),
        )
