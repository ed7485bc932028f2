"""The fixed parts of the factory's bodies, worked out once: each piece of a request
(the request itself, its chat result in each shape, a chained intent, the config, an
intent's variables) as a :class:`JsonTemplate` written by the protocol's one writer
with the values as holes, and per intent and language what never changes between
its payloads (:class:`IntentPlan`).  A payload then costs the drawing of its values
and the writing of those alone (issue 28).  :func:`memory_variable`, the platform's
object for a variable, is shared with the conversation dialogue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from harness.model._botmodel import IntentSpec, VariableSpec
from harness.model._payload import Variant
from harness.model._provider import BotWebhookProvider, fitting_examples
from harness.protocol._json_template import JsonTemplate, MapLayout, string_text
from harness.protocol._request import (
    ChainedIntent,
    ChatResult,
    Config,
    MemoryVariable,
    WebhookRequest,
)

__all__ = [
    "IntentPlan",
    "VariablePlan",
    "chain_template",
    "chat_template",
    "config_template",
    "memory_variable",
    "request_template",
]

# Stand-ins that give each hole a value of its type: never written to a body.
_UUID = "00000000-0000-4000-8000-000000000000"
_HEX = "0" * 64


@cache
def chat_template(shape: str, chained: bool) -> JsonTemplate:
    """``chatResult`` in ``shape`` (A, B or P), its values as holes in wire order:
    A ``score query answer elapsed_time context [intents]``; B ``score query answer
    context chat_id [intents] timestamp``; P ``query chat_id timestamp``."""
    intents: list[ChainedIntent] | None = [] if chained else None
    tail = ("intents",) if chained else ()
    if shape == "A":
        chat = ChatResult.first_turn(
            query="", answer="", score=0.5, elapsed_time=0.5, context={}, intents=intents
        )
        return JsonTemplate.of(chat, "score", "query", "answer", "elapsed_time", "context", *tail)
    if shape == "B":
        chat = ChatResult.later_turn(query="", answer="", score=0.5, context={}, chat_id=_UUID,
                                     timestamp=1, intents=intents)  # fmt: skip
        return JsonTemplate.of(
            chat, "score", "query", "answer", "context", "chat_id", *tail, "timestamp"
        )
    chat = ChatResult.passthrough(query="", chat_id=_UUID, timestamp=1)
    return JsonTemplate.of(chat, "query", "chat_id", "timestamp")


@cache
def request_template(intent: bool, client: bool, config: bool) -> JsonTemplate:
    """The whole request, holes in wire order: for an intent webhook ``intent_name
    memory_variables chat_result variables_map [client_variables] originating_aiid
    chat_session [config] webhook_token language``; for a passthrough call the same
    without the intent's four (its language is always EN)."""
    chat = ChatResult.passthrough(query="", chat_id=_UUID, timestamp=1)
    clients: dict[str, str] | None = {} if client else None
    aiid, session, token = _UUID, _HEX, _HEX
    middle = ("client_variables",) * client + ("originating_aiid", "chat_session")
    if not intent:
        request = WebhookRequest.passthrough(
            chat_result=chat, client_variables=clients, originating_aiid=aiid,
            chat_session=session, webhook_token=token,
        )  # fmt: skip
        return JsonTemplate.of(request, "chat_result", *middle, "webhook_token")
    request = WebhookRequest.intent(
        intent_name="i", chat_result=chat, client_variables=clients,
        config=Config() if config else None, originating_aiid=aiid, chat_session=session,
        webhook_token=token,
    )  # fmt: skip
    return JsonTemplate.of(
        request, "intent_name", "memory_variables", "chat_result", "variables_map", *middle,
        *("config",) * config, "webhook_token", "language",
    )  # fmt: skip


@cache
def chain_template() -> JsonTemplate:
    """An item of ``chatResult.intents``: holes ``name chat_id aiid variables
    variables_map``."""
    chained = ChainedIntent.fulfilled(name="i", chat_id=_UUID, aiid=_UUID, variables=[])
    return JsonTemplate.of(chained, "name", "chat_id", "aiid", "variables", "variables_map")


@cache
def config_template() -> JsonTemplate:
    """``config``: holes ``version api_keys``."""
    return JsonTemplate.of(Config(version=1, api_keys={}), "version", "api_keys")


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


class VariablePlan:
    """One variable of an intent: how its value is drawn, and its object's text with
    the value and ``times_prompted`` as holes, filled or not, bare or not."""

    __slots__ = ("draw", "entity", "is_any", "label", "label_text", "max_prompts", "spec",
                 "texts")  # fmt: skip

    def __init__(self, spec: VariableSpec, draw: Callable[[], str]) -> None:
        self.spec = spec
        self.label = spec.label
        self.label_text = string_text(spec.label)
        self.entity = spec.entity
        self.is_any = spec.entity == "sys.any"
        self.max_prompts = spec.max_prompts
        self.draw = draw
        #: (filled, bare) -> template: holes ``value times_prompted``, or the second alone.
        self.texts = {
            (filled, bare): JsonTemplate.of(
                memory_variable(spec, "v" if filled else None, times_prompted=1, bare=bare),
                *("value",) * filled, "times_prompted",
            )
            for filled in (True, False)
            for bare in (True, False)
        }  # fmt: skip

    def text(self, value: str | None, times_prompted: int, bare: bool) -> str:
        """The variable's object holding ``value``, a string's JSON text (None: unfilled)."""
        if value is None:
            return self.texts[False, bare].fill(times_prompted)
        return self.texts[True, bare].fill(value, times_prompted)


class IntentPlan:
    """What an intent's payloads in one language share: its variables' plans, in
    declared and in the platform's order, the ``variablesMap`` keys, the
    responses and examples."""

    __slots__ = (
        "_fitting",
        "answers",
        "any_variable",
        "by_index",
        "examples",
        "mandatory",
        "map",
        "name_text",
        "optional",
        "spec",
        "variables",
        "variants",
    )  # fmt: skip

    def __init__(self, spec: IntentSpec, language: str, provider: BotWebhookProvider) -> None:
        self.spec = spec
        self.name_text = string_text(spec.name)
        self.variables = tuple(
            VariablePlan(v, provider.value_drawer(v.entity, values=v.values_for(language),
                                                  regex=v.regex))
            for v in spec.variables
        )  # fmt: skip
        by_label = {plan.label: plan for plan in self.variables}
        self.by_index = tuple(by_label[v.label] for v in spec.by_index)
        #: ``variablesMap``'s keys, in ``HashMap`` order.
        self.map = MapLayout(p.label for p in self.by_index)
        self.mandatory = tuple(p.label for p in self.variables if p.spec.mandatory)
        self.optional = tuple(p for p in self.variables if not p.spec.mandatory)
        self.any_variable = next((p for p in self.variables if p.is_any), None)
        #: The responses as JSON text (the platform's answer is "" without any).
        self.answers = tuple(map(string_text, spec.responses_for(language) or ("",)))
        self.examples = spec.examples_for(language)
        self._fitting: dict[frozenset[str], tuple[str, ...]] = {}
        #: The payloads' variants, by shape, language, text and features on.
        self.variants: dict[tuple[object, ...], Variant] = {}

    def examples_fitting(self, labels: Iterable[str]) -> tuple[str, ...]:
        """The examples whose placeholders are exactly ``labels`` (kept per set)."""
        key = frozenset(labels)
        found = self._fitting.get(key)
        if found is None:
            found = self._fitting[key] = fitting_examples(self.examples, key)
        return found
