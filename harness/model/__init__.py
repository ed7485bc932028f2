"""Your bot, and realistic payloads for it: the bot model (declared in Python,
``[tool.botwebhook]`` or ``botwebhook.toml``, or the built-in catalogue), the
payload factory, its variants, and the Faker provider.

The factory and the provider need Faker, whose import is slow: they load on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_attributes
from harness.model._botmodel import SYSTEM_ENTITIES, BotModel, IntentSpec, VariableSpec
from harness.model._files import (
    describe_model,
    find_model,
    load_model,
    model_notes,
    nearby_models,
    scope_model,
)
from harness.model._payload import FEATURES, TEXT_VARIANTS, Feature, Payload, TextVariant, Variant
from harness.model._toml import SETTINGS_KEYS, tool_table

if TYPE_CHECKING:
    from harness.model._catalogue import builtin_model
    from harness.model._edge_values import edge_values
    from harness.model._factory import PayloadFactory, build_payload, make_faker
    from harness.model._langdata import EMOJI, LOCALES
    from harness.model._provider import BotWebhookProvider

_LAZY = {
    "BotWebhookProvider": "harness.model._provider",
    "EMOJI": "harness.model._langdata",
    "LOCALES": "harness.model._langdata",
    "PayloadFactory": "harness.model._factory",
    "build_payload": "harness.model._factory",
    "builtin_model": "harness.model._catalogue",
    "edge_values": "harness.model._edge_values",
    "make_faker": "harness.model._factory",
}
__getattr__ = lazy_attributes(globals(), _LAZY)

__all__ = [
    "EMOJI",
    "FEATURES",
    "LOCALES",
    "SETTINGS_KEYS",
    "SYSTEM_ENTITIES",
    "TEXT_VARIANTS",
    "BotModel",
    "BotWebhookProvider",
    "Feature",
    "IntentSpec",
    "Payload",
    "PayloadFactory",
    "TextVariant",
    "VariableSpec",
    "Variant",
    "build_payload",
    "builtin_model",
    "describe_model",
    "edge_values",
    "find_model",
    "load_model",
    "make_faker",
    "model_notes",
    "nearby_models",
    "scope_model",
    "tool_table",
]
