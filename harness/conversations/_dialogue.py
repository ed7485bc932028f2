"""The platform's side of a chat: the dialogue rules of docs/protocol.md, section 7 and
the exact request bodies they lead to (sections 2 and 4).

:class:`Dialogue` holds what the platform keeps of one conversation (the chat
session, the chat id once prompting has happened, the context and each
intent's memory variables) and decides, for each sentence, whether it prompts,
fulfils intents (each firing its webhook) or gives up.  It calls nothing: the
conversation driver delivers the bodies it builds and hands the outcomes back.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from harness._errors import BotWebhookValueError, ConversationError
from harness._patterns import PatternError, place_in
from harness.conversations._understand import Matcher, fill, given_values
from harness.model._botmodel import BotModel, IntentSpec, VariableSpec
from harness.model._layouts import memory_variable
from harness.model._payload import Payload, Variant
from harness.platform._outcome import Outcome
from harness.protocol._request import (
    ChainedIntent,
    ChatResult,
    MemoryVariable,
    Shape,
    WebhookRequest,
)

__all__ = ["Channel", "ConversationError", "Dialogue", "Plan", "Prompt"]

Channel = Literal["api", "facebook"]
CHANNELS = ("api", "facebook")


@dataclass
class _Slot:
    """One variable's state in the chat."""

    spec: VariableSpec
    value: str | None = None
    times_prompted: int = 0
    requested: bool = False


@dataclass(frozen=True, slots=True)
class Prompt:
    """The platform asks the user for a mandatory variable."""

    intent: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What the platform does with one sentence before any webhook is called.

    ``fulfilled`` lists the intents fulfilled this turn, in order: each fires
    its webhook (several for chained intents; the last answer wins).
    ``gave_up`` names the variable whose prompts ran out (no webhook)."""

    text: str
    intents: tuple[str, ...]
    fulfilled: tuple[str, ...] = ()
    prompt: Prompt | None = None
    gave_up: str | None = None
    captured: dict[str, str] = field(default_factory=dict)


class Dialogue:
    """The platform's state for one chat with a bot described by ``model``.

    ``clock`` returns seconds since the epoch (``time.time`` by default) and
    gives shape B and passthrough bodies their millisecond ``timestamp``;
    ``seed`` fixes every random choice (ids, tokens, scores, responses)."""

    def __init__(
        self,
        model: BotModel,
        *,
        language: str | None = None,
        channel: Channel = "api",
        client_variables: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        seed: int = 0,
        passthrough: bool = False,
    ) -> None:
        self.model = model
        self.language = language or model.languages[0]
        if self.language not in model.languages:
            raise ConversationError(
                f"language {self.language!r} is not one of the model's languages "
                f"({', '.join(model.languages)}; hint: add it to languages in {model.source})"
            )
        if channel not in CHANNELS:
            raise ConversationError(f"channel {channel!r} is not api or facebook")
        if client_variables and channel == "facebook":
            raise ConversationError(
                "client_variables on the facebook channel: the platform sends them only "
                "for API chats (hint: channel: api)"
            )
        self.channel = channel
        self.client_variables = dict(client_variables or {})
        self.clock = clock or time.time
        self.passthrough = passthrough
        self.rng = random.Random(f"chat-{seed}")
        self.chat_session = self._hex64()
        self.aiid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.chat_id: str | None = None
        self.context: dict[str, str] = {}
        self.memory: dict[str, list[_Slot]] = {}
        self.pending: Prompt | None = None
        self.prompted: set[str] = set()  # intents prompted in their current episode
        self.turns = 0
        self._matcher: Matcher | None = None

    # -- understanding a sentence ----------------------------------------------------

    def plan(
        self,
        text: str,
        intents: Sequence[str] = (),
        entities: Mapping[str, str] | None = None,
    ) -> Plan:
        """Apply one sentence of the user to the chat state (section 7)."""
        try:
            return self._plan(text, intents, entities)
        except PatternError as exc:  # a pattern of the model's took too long: say where
            raise exc.within(place_in(self.model.source, exc.pattern)) from None

    def _plan(self, text: str, intents: Sequence[str], entities: Mapping[str, str] | None) -> Plan:
        self.turns += 1
        entities = dict(entities or {})
        if self.passthrough:
            if self.chat_id is None:
                self.chat_id = self._uuid()
            return Plan(text, ())
        if self.pending is not None:
            return self._answer_prompt(text, intents, entities)
        names = tuple(intents) or (self._find_intent(text),)
        try:
            specs = [self.model.intent(name) for name in names]
        except BotWebhookValueError as exc:
            raise ConversationError(str(exc), "intent") from None
        known = {v.label for spec in specs for v in spec.variables}
        for label in entities:
            if label not in known:
                raise ConversationError(
                    f"no variable {label!r} in intent {' or '.join(names)} "
                    f"(its variables: {', '.join(sorted(known)) or 'none'})",
                    f"entities.{label}",
                )
        captured: dict[str, str] = {}
        fulfilled: list[str] = []
        for spec in specs:
            slots = self._enter(spec)
            mine = {k: v for k, v in entities.items() if k in {s.spec.label for s in slots}}
            values = {**self._slots_from_examples(spec, text), **mine}
            values = given_values(spec, values, self.language)
            for slot in slots:
                if slot.spec.label in values:
                    slot.value = values[slot.spec.label]
                    captured[slot.spec.label] = slot.value
                    self.context[slot.spec.label] = slot.value
            prompt = self._next_prompt(spec)
            if prompt is not None:
                return Plan(text, names, tuple(fulfilled), prompt, None, captured)
            fulfilled.append(spec.name)
        return Plan(text, names, tuple(fulfilled), None, None, captured)

    def _find_intent(self, text: str) -> str:
        if self._matcher is None:
            self._matcher = Matcher.of(self.model, self.language)
        matches = self._matcher.matches(text)
        found = list(dict.fromkeys(m.intent for m in matches))
        if len(found) == 1:
            return found[0]
        if not found:
            why = "no example of the model matches it"
        else:
            why = "examples of several intents match it (" + ", ".join(found) + ")"
        raise ConversationError(
            f"which intent did the platform match for {text!r}? {why} "
            "(hint: add intent: to the turn)",
            "user",
        )

    def _slots_from_examples(self, spec: IntentSpec, text: str) -> dict[str, str]:
        if self._matcher is None:
            self._matcher = Matcher.of(self.model, self.language)
        return self._matcher.values_for(spec.name, text)

    def _enter(self, spec: IntentSpec) -> list[_Slot]:
        """Start an episode of ``spec``: variables with ``reset_on_entry`` are emptied."""
        slots = self.memory.get(spec.name)
        if slots is None:
            slots = self.memory[spec.name] = [_Slot(v) for v in spec.by_index]
        for slot in slots:
            if slot.spec.reset_on_entry:
                slot.value = None
            slot.times_prompted = 0
            slot.requested = False
        self.prompted.discard(spec.name)
        return slots

    def _next_prompt(self, spec: IntentSpec) -> Prompt | None:
        """Prompt for the first mandatory empty variable in ``index`` order, or None
        when none is empty (fulfilled)."""
        for slot in self.memory[spec.name]:
            if slot.spec.mandatory and slot.value is None:
                prompts = slot.spec.prompts
                times = slot.times_prompted
                text = (prompts[times] if times < len(prompts) else prompts[0]) if prompts else ""
                slot.times_prompted += 1
                slot.requested = True
                if self.chat_id is None:
                    self.chat_id = self._uuid()
                self.prompted.add(spec.name)
                self.pending = Prompt(spec.name, slot.spec.label, text)
                return self.pending
        return None

    def _answer_prompt(self, text: str, intents: Sequence[str], entities: dict[str, str]) -> Plan:
        pending = self.pending
        assert pending is not None
        if any(name != pending.intent for name in intents):
            raise ConversationError(
                f"{', '.join(intents)}: the platform is waiting for the answer to "
                f"its prompt for {pending.label!r} of intent {pending.intent!r}, and fills "
                "only that variable (hint: remove intent: from this turn)",
                "intent",
            )
        for label in entities:
            if label != pending.label:
                raise ConversationError(
                    f"this turn answers the prompt for {pending.label!r}, "
                    "and the platform fills only the requested variable",
                    f"entities.{label}",
                )
        spec = self.model.intent(pending.intent)
        slot = next(s for s in self.memory[spec.name] if s.spec.label == pending.label)
        if pending.label in entities:
            value: str | None = given_values(spec, entities, self.language)[pending.label]
        else:
            value = fill(slot.spec, text, self.language)
        self.pending = None
        slot.requested = False
        captured = {}
        if value is not None:
            slot.value = value
            captured[slot.spec.label] = value
            self.context[slot.spec.label] = value
        elif slot.times_prompted >= slot.spec.max_prompts:
            return Plan(text, (spec.name,), gave_up=slot.spec.label)
        prompt = self._next_prompt(spec)
        if prompt is not None:
            return Plan(text, (spec.name,), (), prompt, None, captured)
        return Plan(text, (spec.name,), (spec.name,), None, None, captured)

    # -- the webhook calls -------------------------------------------------------------

    def webhook_body(self, intent: str, text: str, chain: Sequence[str] = ()) -> Payload:
        """The exact body of the intent webhook for ``intent`` fulfilled by ``text``;
        ``chain`` names the intents fulfilled before it in the same turn."""
        spec = self.model.intent(intent)
        variables = [self._variable(slot) for slot in self.memory[intent]]
        responses = spec.responses_for(self.language)
        answer = responses[self.rng.randrange(len(responses))] if responses else ""
        score = 0.5 + self.rng.random() * 0.5
        chat: ChatResult
        if intent in self.prompted:  # shape B
            assert self.chat_id is not None
            chat = ChatResult.later_turn(
                query=text, answer=answer, score=score, context=self.context,
                chat_id=self.chat_id, timestamp=self._timestamp(),
            )  # fmt: skip
        else:  # shape A
            chat = ChatResult.first_turn(
                query=text, answer=answer, score=score,
                elapsed_time=self.rng.randint(12, 400) / 1000, context=self.context,
            )  # fmt: skip
        if chain:
            chat = replace(chat, intents=[self._chain_item(name) for name in (*chain, intent)])
        request = WebhookRequest.intent(
            intent_name=intent,
            variables=variables,
            chat_result=chat,
            language=self.language,
            **self._common(),
        )
        features = {"facebook"} if self.channel == "facebook" else set()
        features |= {"chained"} if chain else set()
        shape: Shape = "B" if intent in self.prompted else "A"
        variant = Variant(intent, shape, self.language, "plain", frozenset(features))
        return Payload.of(request, variant)

    def passthrough_body(self, text: str) -> Payload:
        """The exact body a passthrough bot sends for ``text`` (shape P)."""
        assert self.chat_id is not None
        chat = ChatResult.passthrough(query=text, chat_id=self.chat_id, timestamp=self._timestamp())
        request = WebhookRequest.passthrough(chat_result=chat, **self._common())
        features = frozenset({"facebook"} if self.channel == "facebook" else ())
        return Payload.of(request, Variant(None, "P", self.language, "plain", features))

    def answered(self, outcome: Outcome) -> None:
        """Take the platform's outcome of a webhook call into the chat: a valid 200
        answer's context update (a failed call changes nothing)."""
        if outcome.ok and not self.passthrough:
            self.context = dict(outcome.context)

    def _variable(self, slot: _Slot) -> MemoryVariable:
        return memory_variable(slot.spec, slot.value, times_prompted=slot.times_prompted,
                               requested=slot.requested)  # fmt: skip

    def _chain_item(self, intent: str) -> ChainedIntent:
        variables = [self._variable(slot) for slot in self.memory[intent]]
        return ChainedIntent.fulfilled(
            name=intent, chat_id=self._uuid(), aiid=self.aiid, variables=variables
        )

    def _common(self) -> dict[str, Any]:
        """The fields every call shares, as :meth:`WebhookRequest.intent` takes them."""
        out: dict[str, Any] = {}
        if self.channel == "api":
            out["client_variables"] = self.client_variables
        out["originating_aiid"] = self.aiid
        out["chat_session"] = self.chat_session
        out["webhook_token"] = self._hex64()
        return out

    def _timestamp(self) -> int:
        return int(self.clock() * 1000)

    def _hex64(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
