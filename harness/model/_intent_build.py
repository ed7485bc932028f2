"""Building one intent webhook body (the larger half of the payload factory), and
the pieces of a body the factory shares with it."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness._errors import PayloadOptionError
from harness.model import _langdata as L
from harness.model._botmodel import BotModel, IntentSpec, VariableSpec
from harness.model._payload import FEATURES, Payload, TextVariant, Variant
from harness.model._provider import BotWebhookProvider, pick
from harness.protocol._gson_writer import dumps_fast, java_hash_order
from harness.protocol._request import Shape

__all__ = ["Draws", "IntentBuild", "decorate", "java_map", "value_for", "variable_json"]


#: The platform's limit on a user query.
MAX_QUERY = 1024


@lru_cache(maxsize=1024)
def _hash_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(java_hash_order(keys))


def java_map(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in _hash_order(tuple(mapping))}


def value_for(fake: BotWebhookProvider, variable: VariableSpec, language: str) -> str:
    return fake.entity_value(
        variable.entity, values=variable.values_for(language), regex=variable.regex
    )


def variable_json(
    spec: VariableSpec, value: str | None, *, times_prompted: int = 0, bare: bool = False
) -> dict[str, Any]:
    """A variable object in the platform's key order; ``bare`` is the trigger-intent and
    sys.any-command form (``max_prompts`` 0, no ``value_type``)."""
    out: dict[str, Any] = {"entity": spec.entity}
    if value is not None:
        out["value"] = value
    out["mandatory"] = spec.mandatory
    out["times_prompted"] = times_prompted
    out["max_prompts"] = 0 if bare else spec.max_prompts
    out["persistent"] = spec.persistent
    out["system_entity"] = spec.system
    if not bare:
        out["value_type"] = spec.value_type
    out["label"] = spec.label
    out["requested"] = False
    out["reset_on_entry"] = spec.reset_on_entry
    out["index"] = spec.index
    return out


def decorate(query: str, text: TextVariant, language: str, rng: random.Random) -> str:
    """Add the text variant's characters to a query, keeping what is there verbatim."""
    if text == "escaped":
        query = f"{query} {rng.choice(L.ESCAPED[language])}"
    elif text == "non_ascii":
        query = f"{query} {rng.choice(L.NON_ASCII[language])}"
    elif text == "emoji":
        query = f"{query} {rng.choice(L.EMOJI)}"
    elif text == "max_length":
        filler = L.FILLER[language]
        while len(query) < MAX_QUERY:
            query = f"{query} {filler}"
        query = query[:MAX_QUERY]
    if len(query) > MAX_QUERY:
        raise PayloadOptionError(
            f"the query would be {len(query)} characters, over the platform's limit of "
            f"{MAX_QUERY} (hint: shorter variable values)"
        )
    return query


@dataclass(frozen=True)
class Draws:
    """What building an intent webhook draws from its payload factory: the random
    state, the bot's id and model, feature choices, the top-level fields every call
    shares, and the clock.  (Handed over explicitly: the build reads nothing of the
    factory's own.)"""

    rng: random.Random
    aiid: str
    model: BotModel
    feature: Callable[[str, bool | None, bool, str], bool]
    common: Callable[[BotWebhookProvider, bool, bool], dict[str, Any]]
    timestamp_ms: Callable[[BotWebhookProvider], int]


class IntentBuild:
    """One intent webhook being built (keeps :meth:`PayloadFactory.build` readable)."""

    def __init__(
        self,
        draws: Draws,
        fake: BotWebhookProvider,
        spec: IntentSpec,
        shape: Shape,
        language: str,
        text: TextVariant,
        values: dict[str, str],
    ) -> None:
        self.draws = draws
        self.rng = draws.rng
        self.fake = fake
        self.spec = spec
        self.shape = shape
        self.language = language
        self.text = text
        self.values = values

    def run(self, **asked: bool | None) -> Payload:
        spec, rng = self.spec, self.rng
        any_variable = next((v for v in spec.variables if v.entity == "sys.any"), None)
        unfillable = [v for v in spec.optional if v.label not in self.values]
        is_b = self.shape == "B"
        if is_b and not spec.mandatory:
            raise PayloadOptionError(
                f"shape 'B' is not possible for intent {spec.name!r}: it has no mandatory "
                "variable to prompt for (hint: shape='A')"
            )
        f = self.draws.feature
        features = {
            "unfilled_optional": f(
                "unfilled_optional", asked["unfilled_optional"], bool(unfillable),
                f"intent {spec.name!r} has no optional variable left without a given value",
            ),
            "facebook": f("facebook", asked["facebook"], True, ""),
            "config": f("config", asked["config"], True, ""),
            "chained": f("chained", asked["chained"], True, ""),
            "sys_any_command": f(
                "sys_any_command",
                False if asked["trigger"] and asked["sys_any_command"] is None
                else asked["sys_any_command"],
                not is_b and any_variable is not None and any_variable.label not in self.values,
                f"needs shape A and a sys.any variable of intent {spec.name!r} without a "
                "given value",
            ),
        }  # fmt: skip
        features["trigger"] = f(
            "trigger",
            asked["trigger"],
            not is_b and bool(spec.variables) and not features["sys_any_command"],
            "the trigger-intent path needs shape A and an intent with variables, "
            "and excludes the sys.any-command path",
        )
        features["edge_values"] = f(
            "edge_values", asked["edge_values"], bool(spec.variables),
            f"intent {spec.name!r} has no variables",
        )  # fmt: skip
        unfilled = {pick(rng, unfillable).label} if features["unfilled_optional"] else set()
        draw = self._edge_value if features["edge_values"] else self._value
        captured = {
            v.label: self.values.get(v.label) or draw(v)
            for v in spec.variables
            if v.label not in unfilled
        }
        # sys.any values are free text: the text variant shows in them too (all but
        # max_length, which applies to the whole query).
        if self.text != "max_length":
            for v in spec.variables:
                if v.entity == "sys.any" and v.label in captured and v.label not in self.values:
                    captured[v.label] = decorate(captured[v.label], self.text, self.language, rng)
        prompted = self._prompted() if is_b else []
        query = self._query(captured, prompted)
        if features["sys_any_command"]:
            assert any_variable is not None
            captured[any_variable.label] = query  # the command path takes the whole text
        variables = [self._variable(v, captured, prompted, features) for v in spec.by_index]
        body = self._body(variables, captured, query, features)
        on = frozenset(name for name in FEATURES if features[name])
        variant = Variant(spec.name, self.shape, self.language, self.text, on)
        chat = body["chatResult"]
        return Payload(dumps_fast(body, (chat["score"], chat["elapsedTime"])), variant)

    def _value(self, variable: VariableSpec) -> str:
        return value_for(self.fake, variable, self.language)

    def _edge_value(self, variable: VariableSpec) -> str:
        from harness.model._edge_values import edge_values

        pool = edge_values(variable, self.language)
        return pick(self.rng, pool) if pool else self._value(variable)

    def _prompted(self) -> list[str]:
        """Labels of the mandatory variables prompted for, the answered one last."""
        mandatory = [v.label for v in self.spec.mandatory]
        count = self.rng.randint(1, len(mandatory))
        chosen = self.rng.sample(mandatory, count)
        return sorted(chosen, key=mandatory.index)

    def _query(self, captured: dict[str, str], prompted: list[str]) -> str:
        if prompted:
            answered = self.spec.variable(prompted[-1])
            if answered.entity == "sys.any":
                # Once prompted, sys.any takes the raw text: the value is the whole query.
                if self.text == "max_length" and answered.label not in self.values:
                    captured[answered.label] = decorate(
                        captured[answered.label], self.text, self.language, self.rng
                    )
                return captured[answered.label]
            query = self.fake.prompt_answer(captured[answered.label])
        else:
            query = self.fake.first_sentence(
                captured, examples=self.spec.examples_for(self.language)
            )
        return decorate(query, self.text, self.language, self.rng)

    def _variable(
        self,
        spec: VariableSpec,
        captured: dict[str, str],
        prompted: list[str],
        features: dict[str, bool],
    ) -> dict[str, Any]:
        command = features["sys_any_command"] and spec.entity == "sys.any"
        times = self.rng.randint(1, spec.max_prompts) if spec.label in prompted else 0
        return variable_json(
            spec,
            captured.get(spec.label),
            times_prompted=times,
            bare=features["trigger"] or command,
        )

    def _chat_result(self, captured: dict[str, str], query: str) -> dict[str, Any]:
        fake = self.fake
        responses = self.spec.responses_for(self.language)
        answer = pick(self.rng, responses) if responses else ""
        context = java_map(captured)
        if self.shape == "A":
            return {
                "score": fake.chat_score(),
                "query": query,
                "answer": answer,
                "elapsedTime": fake.elapsed_time(),
                "context": context,
                "timestamp": 0,
                "rich_answer": {},
            }
        return {
            "topicIn": "",
            "score": fake.chat_score(),
            "query": query,
            "answer": answer,
            "history": "",
            "elapsedTime": 0.0,
            "context": context,
            "topic_out": "",
            "chatId": fake.uuid_string(),
            "timestamp": self.draws.timestamp_ms(fake),
            "rich_answer": {},
        }

    def _body(
        self,
        variables: list[dict[str, Any]],
        captured: dict[str, str],
        query: str,
        features: dict[str, bool],
    ) -> dict[str, Any]:
        by_label = {v["label"]: v for v in variables}
        chat = self._chat_result(captured, query)
        if features["chained"]:
            chat_result = dict(chat)
            rich = chat_result.pop("rich_answer")
            timestamp = chat_result.pop("timestamp")
            chat_result["intents"] = self._chain(variables, by_label)
            chat_result["timestamp"] = timestamp
            chat_result["rich_answer"] = rich
            chat = chat_result
        body: dict[str, Any] = {
            "intentName": self.spec.name,
            "memoryVariables": variables,
            "chatResult": chat,
            "variablesMap": java_map(by_label),
        }
        body.update(self.draws.common(self.fake, features["facebook"], features["config"]))
        body["language"] = self.language
        return body

    def _chain(
        self, variables: list[dict[str, Any]], by_label: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``chatResult.intents``: an earlier intent fulfilled in the same turn, then this one."""
        model = self.draws.model
        earlier = pick(self.rng, model.intents)
        earlier_vars = [
            variable_json(v, value_for(self.fake, v, self.language)) for v in earlier.variables
        ]
        items = []
        for name, item_vars in ((earlier.name, earlier_vars), (self.spec.name, variables)):
            items.append(
                {
                    "name": name,
                    "chatId": self.fake.uuid_string(),
                    "aiid": self.draws.aiid,
                    "variables": item_vars,
                    "isFulfilled": True,
                    "variablesMap": java_map({str(v["label"]): v for v in item_vars}),
                }
            )
        return items
