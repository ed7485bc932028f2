"""One intent webhook, built from the factory's choices: the intent's values (at the
edges of what users type too), the query that gives them, the variables as the
platform keeps them, the chat result and its chain, as a typed request.  The
factory chooses shape, intent, language and text and hands over what the build
draws from it (:class:`Draws`); :func:`memory_variable` and :func:`decorate` are
shared with the conversation dialogue."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from harness._errors import PayloadOptionError
from harness.model import _langdata as L
from harness.model._botmodel import BotModel, IntentSpec, VariableSpec
from harness.model._payload import FEATURES, Payload, TextVariant, Variant
from harness.model._provider import BotWebhookProvider, pick
from harness.protocol._request import (
    MAX_QUERY,
    ChainedIntent,
    ChatResult,
    MemoryVariable,
    Shape,
    WebhookRequest,
)

__all__ = ["Draws", "IntentBuild", "decorate", "memory_variable", "value_for"]


def value_for(fake: BotWebhookProvider, variable: VariableSpec, language: str) -> str:
    return fake.entity_value(
        variable.entity, values=variable.values_for(language), regex=variable.regex
    )


def memory_variable(
    spec: VariableSpec,
    value: str | None,
    *,
    times_prompted: int = 0,
    bare: bool = False,
    requested: bool = False,
) -> MemoryVariable:
    """The platform's object for ``spec`` holding ``value``; ``bare`` is the
    trigger-intent and sys.any-command form (``max_prompts`` 0, no ``value_type``)."""
    return MemoryVariable(
        entity=spec.entity,
        value=value,
        mandatory=spec.mandatory,
        times_prompted=times_prompted,
        max_prompts=0 if bare else spec.max_prompts,
        persistent=spec.persistent,
        system_entity=spec.system,
        value_type=None if bare else spec.value_type,
        label=spec.label,
        requested=requested,
        reset_on_entry=spec.reset_on_entry,
        index=spec.index,
    )


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
    """The fields every call shares, as :meth:`WebhookRequest.intent` takes them."""
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
        request = self._request(variables, captured, query, features)
        on = frozenset(name for name in FEATURES if features[name])
        variant = Variant(spec.name, self.shape, self.language, self.text, on)
        return Payload.of(request, variant)

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
    ) -> MemoryVariable:
        command = features["sys_any_command"] and spec.entity == "sys.any"
        times = self.rng.randint(1, spec.max_prompts) if spec.label in prompted else 0
        return memory_variable(
            spec,
            captured.get(spec.label),
            times_prompted=times,
            bare=features["trigger"] or command,
        )

    def _chat_result(self, captured: dict[str, str], query: str) -> ChatResult:
        fake = self.fake
        responses = self.spec.responses_for(self.language)
        answer = pick(self.rng, responses) if responses else ""
        if self.shape == "A":
            return ChatResult.first_turn(
                query=query, answer=answer, score=fake.chat_score(),
                elapsed_time=fake.elapsed_time(), context=captured,
            )  # fmt: skip
        return ChatResult.later_turn(
            query=query, answer=answer, score=fake.chat_score(), context=captured,
            chat_id=fake.uuid_string(), timestamp=self.draws.timestamp_ms(fake),
        )  # fmt: skip

    def _request(
        self,
        variables: list[MemoryVariable],
        captured: dict[str, str],
        query: str,
        features: dict[str, bool],
    ) -> WebhookRequest:
        chat = self._chat_result(captured, query)
        if features["chained"]:  # drawn after the chat's own values
            chat = replace(chat, intents=self._chain(variables))
        return WebhookRequest.intent(
            intent_name=self.spec.name,
            variables=variables,
            chat_result=chat,
            language=self.language,
            **self.draws.common(self.fake, features["facebook"], features["config"]),
        )

    def _chain(self, variables: list[MemoryVariable]) -> list[ChainedIntent]:
        """``chatResult.intents``: an earlier intent fulfilled in the same turn, then this one."""
        model = self.draws.model
        earlier = pick(self.rng, model.intents)
        earlier_vars = [
            memory_variable(v, value_for(self.fake, v, self.language)) for v in earlier.variables
        ]
        return [
            ChainedIntent.fulfilled(
                name=name, chat_id=self.fake.uuid_string(), aiid=self.draws.aiid, variables=items
            )
            for name, items in ((earlier.name, earlier_vars), (self.spec.name, variables))
        ]
