"""Whole conversations as a Hypothesis strategy (``harness.strategies.conversations``).

A drawn conversation is a :class:`~harness.conversations._files.ConversationSpec`, the
same thing a conversation file holds: it runs with ``run_conversation`` and
prints as a ready-to-save ``.conversation.yaml`` document with ``to_yaml``.
Each episode enters a random intent, gives some variables in the first
sentence, and answers the platform's prompts for the rest in ``index`` order,
sometimes with an answer the platform cannot use (it prompts again) and
sometimes until the prompts run out.  Shrinking removes episodes and turns,
and moves values toward the simplest ones.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from harness.conversations._dialogue import CHANNELS
from harness.conversations._files import ConversationSpec, TurnSpec
from harness.conversations._understand import Matcher, fill
from harness.model._botmodel import BotModel, IntentSpec, VariableSpec

__all__ = ["conversations"]

#: What a user types that fills no number, list value or pattern.
_UNUSABLE = ("hmm", "I don't know", "what?", "no idea")
_CLIENT_VARIABLES = {"plan": ("free", "premium"), "region": ("eu", "us"), "app": ("ios", "web")}


def _provider(language: str, seed: int) -> Any:
    from harness.model._factory import _shared_faker

    provider = _shared_faker(language)[1]
    provider.generator.random = random.Random(seed)
    return provider


def _value(variable: VariableSpec, language: str, seed: int) -> str:
    provider = _provider(language, seed)
    value: str = provider.entity_value(
        variable.entity, values=variable.values_for(language), regex=variable.regex
    )
    return value


@st.composite
def _episode(draw: st.DrawFn, model: BotModel, language: str) -> list[TurnSpec]:
    """One intent from its first sentence to its fulfilment (or to the prompts running out)."""
    intent: IntentSpec = draw(st.sampled_from(model.intents))
    seeds = st.integers(0, 10_000)
    values = {v.label: _value(v, language, draw(seeds)) for v in intent.variables}
    # Shrinks toward every value in the first sentence: the fewest turns.
    # A list, in index order: a set's order changes with the process's hash seed, and a
    # stored failing example must replay the same chat in any process.
    given = [v.label for v in intent.by_index if not draw(st.booleans())]
    first = {label: values[label] for label in given}
    text = _provider(language, draw(seeds)).first_sentence(
        first, examples=intent.examples_for(language)
    )
    # A sentence the examples read a value into ("call the plumber about the leak" for
    # "call $person") gets no prompt for it: the chat must be the one the dialogue plays.
    assume(set(Matcher.of(model, language).values_for(intent.name, text)) <= set(given))
    turns = [TurnSpec(text, (intent.name,), first)]
    for variable in intent.by_index:
        if not variable.mandatory or variable.label in given:
            continue
        unusable = [t for t in _UNUSABLE if fill(variable, t, language) is None]
        misses = draw(st.integers(0, variable.max_prompts)) if unusable else 0
        for _ in range(misses):
            turns.append(TurnSpec(draw(st.sampled_from(unusable))))
        if misses >= variable.max_prompts:
            return turns  # the prompts ran out: the platform gives up on the intent
        value = values[variable.label]
        turns.append(TurnSpec(value, (), {variable.label: value}))
    return turns


def conversations(
    model: BotModel | None = None,
    *,
    languages: Sequence[str] | None = None,
    channels: Sequence[str] = CHANNELS,
    max_intents: int = 4,
) -> SearchStrategy[ConversationSpec]:
    """Whole chats with ``model`` (default: the built-in catalogue): up to
    ``max_intents`` intents in a row, each with a random split between the first
    sentence and prompted answers, re-prompts and prompts running out, on random
    ``channels`` and ``languages`` (default: the model's).  Run one with
    ``harness.conversations.run_conversation``; the handler's real answers
    (context updates) carry into the following turns."""
    from harness.model._catalogue import builtin_model

    if model is not None and not isinstance(model, BotModel):
        raise InvalidArgument(f"model={model!r} must be a harness.BotModel or None")
    model = model or builtin_model()
    chosen = tuple(languages or model.languages)
    for language in chosen:
        if language not in model.languages:
            raise InvalidArgument(f"languages contains {language!r}, not a language of the model")
    for channel in channels:
        if channel not in CHANNELS:
            raise InvalidArgument(f"channels contains {channel!r}; allowed: api, facebook")
    if isinstance(max_intents, bool) or not isinstance(max_intents, int) or max_intents < 1:
        raise InvalidArgument(f"max_intents={max_intents!r} must be a whole number, at least 1")

    @st.composite
    def chat(draw: st.DrawFn) -> ConversationSpec:
        language = draw(st.sampled_from(chosen))
        channel = draw(st.sampled_from(tuple(channels)))
        client_variables: dict[str, str] = {}
        if channel == "api":
            for name, options in _CLIENT_VARIABLES.items():
                if draw(st.booleans()):
                    client_variables[name] = draw(st.sampled_from(options))
        episodes = draw(st.lists(_episode(model, language), min_size=1, max_size=max_intents))
        turns = tuple(turn for episode in episodes for turn in episode)
        return ConversationSpec(
            "generated conversation", "<generated>", 0, 1, model, language, channel,
            client_variables, turns,
        )  # fmt: skip

    return chat()
