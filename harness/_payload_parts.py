"""Pieces shared by the payload factory and the intent-webhook builder."""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from harness import _langdata as L
from harness._botmodel import VariableSpec
from harness._errors import PayloadOptionError
from harness._gson_writer import java_hash_order
from harness._payload import TextVariant
from harness._provider import BotWebhookProvider

__all__ = [
    "MAX_QUERY",
    "PayloadOptionError",
    "decorate",
    "java_map",
    "value_for",
    "variable_json",
]

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
    out["index"] = 0
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
