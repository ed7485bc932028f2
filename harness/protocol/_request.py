"""The webhook request the platform POSTs (docs/protocol.md, section 2).

Field order in each dataclass is the platform's key order on the wire, so
``WebhookRequest.from_bytes(body).to_bytes() == body`` for every body the
platform really sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from harness._errors import InvalidPayloadError
from harness.protocol._gson_writer import dumps, dumps_fast, java_map
from harness.protocol._json_strict import loads_strict
from harness.protocol._json_struct import (
    BOOL,
    DOUBLE,
    INT,
    JSON,
    STR,
    JsonStruct,
    ListOf,
    MapOf,
    Str,
    StructOf,
    jfield,
)

__all__ = [
    "LANGUAGES",
    "MAX_QUERY",
    "ChainedIntent",
    "ChatResult",
    "Config",
    "MemoryVariable",
    "Shape",
    "WebhookRequest",
]

#: The platform's limit on a user's query, in characters.
MAX_QUERY = 1024
#: The platform's language enum, written by constant name.
LANGUAGES = ("EN", "ES", "PT", "FR", "NL", "IT")
Shape = Literal["A", "B", "P"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_HEX64 = Str(pattern=r"[0-9a-f]{64}", hint="the platform sends 64 lowercase hex characters")
_UUID_STR = Str(pattern=_UUID, hint="the platform sends lowercase canonical UUIDs")
_INTENT_NAME = Str(
    pattern=r"[a-zA-Z0-9_-]+",
    max_length=250,
    hint="intent names are letters, digits, '_' and '-'",
)
_ENTITY = Str(pattern=r"[.a-zA-Z0-9_-]+", hint="entity names are letters, digits, '.', '_', '-'")
_VALUE_TYPE = Str(pattern=r"LIST|REGEX|SYS", hint="one of LIST, REGEX, SYS")
_LANGUAGE = Str(pattern="|".join(LANGUAGES), hint="uppercase: " + ", ".join(LANGUAGES))
_QUERY = Str(max_length=MAX_QUERY)
_FLAT_MAP = MapOf(STR, null_hint="the platform leaves null map entries out")

#: ``value_type="auto"`` (the default in code) means SYS for ``sys.*`` entities, else LIST.
AUTO = "auto"


class _RequestModel(JsonStruct):
    __slots__ = ()
    _error = InvalidPayloadError


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryVariable(_RequestModel):
    """One intent variable (``MemoryVariable.java``); ``value`` None = unfilled."""

    entity: str = jfield(_ENTITY, required=True, needed=True)
    value: str | None = jfield(STR)
    mandatory: bool = jfield(BOOL, required=True, default=True)
    times_prompted: int = jfield(INT, required=True, default=0)
    max_prompts: int = jfield(INT, required=True, default=3)
    persistent: bool = jfield(BOOL, required=True, default=False)
    system_entity: bool | None = jfield(BOOL, required=True)
    value_type: str | None = jfield(_VALUE_TYPE, default=AUTO)
    label: str = jfield(STR, required=True, needed=True)
    requested: bool = jfield(BOOL, required=True, default=False)
    reset_on_entry: bool = jfield(BOOL, required=True, default=True)
    index: int = jfield(INT, required=True, default=0)

    def __post_init__(self) -> None:
        system = self.entity.startswith("sys.")
        if self.system_entity is None:
            object.__setattr__(self, "system_entity", system)
        if self.value_type == AUTO:
            object.__setattr__(self, "value_type", "SYS" if system else "LIST")

    @property
    def filled(self) -> bool:
        """True when the variable carries a value."""
        return self.value is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainedIntent(_RequestModel):
    """An item of ``chatResult.intents`` (chained intents fulfilled in one turn)."""

    name: str = jfield(_INTENT_NAME, required=True, needed=True)
    chat_id: str | None = jfield(_UUID_STR, key="chatId")
    aiid: str | None = jfield(_UUID_STR)
    variables: list[MemoryVariable] | None = jfield(ListOf(StructOf(MemoryVariable)))
    is_fulfilled: bool | None = jfield(BOOL, key="isFulfilled")
    variables_map: dict[str, MemoryVariable] | None = jfield(
        MapOf(StructOf(MemoryVariable)), key="variablesMap"
    )

    @classmethod
    def fulfilled(
        cls, *, name: str, chat_id: str, aiid: str, variables: Sequence[MemoryVariable]
    ) -> ChainedIntent:
        """An intent fulfilled in the turn, as the platform lists it."""
        return cls(name=name, chat_id=chat_id, aiid=aiid, variables=list(variables),
                   is_fulfilled=True, variables_map=_by_label(variables))  # fmt: skip


def _by_label(variables: Sequence[MemoryVariable]) -> dict[str, MemoryVariable]:
    return java_map({v.label: v for v in variables})


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatResult(_RequestModel):
    """The chat turn snapshot (``ChatResult.java``); see :attr:`WebhookRequest.shape`."""

    topic_in: str | None = jfield(STR, key="topicIn")
    score: float = jfield(DOUBLE, required=True, default=1.0)
    query: str = jfield(_QUERY, required=True, default="")
    answer: str = jfield(STR, required=True, default="")
    history: str | None = jfield(STR)
    elapsed_time: float = jfield(DOUBLE, key="elapsedTime", required=True, default=0.0)
    action: Any = jfield(JSON)
    context: dict[str, str] = jfield(_FLAT_MAP, required=True, factory=dict)
    topic_out: str | None = jfield(STR)
    chat_id: str | None = jfield(_UUID_STR, key="chatId")
    intents: list[ChainedIntent] | None = jfield(ListOf(StructOf(ChainedIntent)))
    chat_target: Any = jfield(JSON, key="chatTarget")
    timestamp: int = jfield(INT, required=True, default=0)
    rich_answer: dict[str, Any] = jfield(MapOf(JSON), required=True, factory=dict)

    # -- the three shapes (docs/protocol.md, section 2) ------------------------------

    @classmethod
    def first_turn(
        cls, *, query: str, answer: str, score: float, elapsed_time: float,
        context: dict[str, str], intents: list[ChainedIntent] | None = None,
    ) -> ChatResult:  # fmt: skip
        """Shape A: the intent fulfilled on the user's first sentence."""
        return cls(score=score, query=query, answer=answer, elapsed_time=elapsed_time,
                   context=java_map(context), intents=intents, timestamp=0)  # fmt: skip

    @classmethod
    def later_turn(
        cls, *, query: str, answer: str, score: float, context: dict[str, str],
        chat_id: str, timestamp: int, intents: list[ChainedIntent] | None = None,
    ) -> ChatResult:  # fmt: skip
        """Shape B: the intent fulfilled on a later turn, after prompts."""
        return cls(topic_in="", score=score, query=query, answer=answer, history="",
                   elapsed_time=0.0, context=java_map(context), topic_out="",
                   chat_id=chat_id, intents=intents, timestamp=timestamp)  # fmt: skip

    @classmethod
    def passthrough(cls, *, query: str, chat_id: str, timestamp: int) -> ChatResult:
        """Shape P: a chat turn a passthrough bot hands to the webhook."""
        return cls(topic_in="", score=0.0, query=query, answer="", history="",
                   elapsed_time=0.0, context={}, topic_out="", chat_id=chat_id,
                   timestamp=timestamp)  # fmt: skip

    def _check(self, path: str) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise InvalidPayloadError(f"{path}.score", f"{self.score!r} is outside 0..1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config(_RequestModel):
    """The developer-supplied ``config`` block (API keys for the webhook)."""

    version: int = jfield(INT, required=True, default=1)
    api_keys: dict[str, str] | None = jfield(_FLAT_MAP)


_INTENT_ONLY = ("intentName", "memoryVariables", "variablesMap", "config")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookRequest(_RequestModel):
    """A whole webhook body: an intent webhook, or a passthrough call (no intent)."""

    intent_name: str | None = jfield(_INTENT_NAME, key="intentName")
    memory_variables: list[MemoryVariable] | None = jfield(
        ListOf(StructOf(MemoryVariable)), key="memoryVariables"
    )
    chat_result: ChatResult = jfield(
        StructOf(ChatResult), key="chatResult", required=True, needed=True
    )
    variables_map: dict[str, MemoryVariable] | None = jfield(
        MapOf(StructOf(MemoryVariable)), key="variablesMap"
    )
    client_variables: dict[str, str] | None = jfield(_FLAT_MAP, key="clientVariables")
    originating_aiid: str = jfield(_UUID_STR, key="originatingAiid", required=True, needed=True)
    chat_session: str = jfield(_HEX64, key="chatSession", required=True, needed=True)
    config: Config | None = jfield(StructOf(Config))
    webhook_token: str = jfield(_HEX64, required=True, needed=True)
    language: str = jfield(_LANGUAGE, required=True, default="EN")

    # -- building in code --------------------------------------------------------

    @classmethod
    def intent(
        cls,
        *,
        intent_name: str,
        variables: list[MemoryVariable] | tuple[MemoryVariable, ...] = (),
        chat_result: ChatResult,
        originating_aiid: str,
        chat_session: str,
        webhook_token: str,
        client_variables: dict[str, str] | None = None,
        config: Config | None = None,
        language: str = "EN",
    ) -> WebhookRequest:
        """An intent webhook; ``variablesMap`` is derived from ``variables`` in the
        platform's ``HashMap`` order, so the result serializes like the platform."""
        request = cls(
            intent_name=intent_name,
            memory_variables=list(variables),
            chat_result=chat_result,
            variables_map=_by_label(variables),
            client_variables=None if client_variables is None else java_map(client_variables),
            originating_aiid=originating_aiid,
            chat_session=chat_session,
            config=config,
            webhook_token=webhook_token,
            language=language,
        )
        request._check("$")
        return request

    @classmethod
    def passthrough(
        cls,
        *,
        chat_result: ChatResult,
        originating_aiid: str,
        chat_session: str,
        webhook_token: str,
        client_variables: dict[str, str] | None = None,
    ) -> WebhookRequest:
        """A passthrough call (shape P: no intent; always ``"EN"``)."""
        return cls(
            chat_result=chat_result,
            client_variables=None if client_variables is None else java_map(client_variables),
            originating_aiid=originating_aiid,
            chat_session=chat_session,
            webhook_token=webhook_token,
        )

    # -- what it is --------------------------------------------------------------

    @property
    def kind(self) -> Literal["intent", "passthrough"]:
        """``intent`` for an intent webhook, ``passthrough`` for a delegated chat turn."""
        return "passthrough" if self.intent_name is None else "intent"

    @property
    def shape(self) -> Shape:
        """``A`` fulfilled on the first sentence, ``B`` on a later turn, ``P`` passthrough."""
        if self.intent_name is None:
            return "P"
        return "A" if self.chat_result.chat_id is None else "B"

    @property
    def variables(self) -> dict[str, MemoryVariable]:
        """The intent's variables by label (empty for passthrough)."""
        return dict(self.variables_map or {})

    # -- JSON -------------------------------------------------------------------

    def _check(self, path: str) -> None:
        if self.intent_name is None:
            present = [
                key
                for key, value in zip(
                    _INTENT_ONLY,
                    (None, self.memory_variables, self.variables_map, self.config),
                    strict=True,
                )
                if value is not None
            ]
            if present:
                raise InvalidPayloadError(
                    f"{path}.{present[0]}",
                    "present without intentName",
                    "a passthrough call has no intentName, memoryVariables, "
                    "variablesMap or config; an intent webhook needs intentName",
                )
            if self.language != "EN":
                raise InvalidPayloadError(
                    f"{path}.language",
                    f"{self.language!r} on a passthrough call",
                    'the platform always sends "EN" to passthrough endpoints',
                )
            return
        for key, value in (
            ("memoryVariables", self.memory_variables),
            ("variablesMap", self.variables_map),
        ):
            if value is None:
                raise InvalidPayloadError(
                    f"{path}.{key}", "missing", "an intent webhook always carries it ([] or {})"
                )
        self._check_variables(path)

    def _check_variables(self, path: str) -> None:
        assert self.memory_variables is not None
        assert self.variables_map is not None
        by_label: dict[str, MemoryVariable] = {}
        for i, variable in enumerate(self.memory_variables):
            if variable.label in by_label:
                raise InvalidPayloadError(
                    f"{path}.memoryVariables[{i}].label",
                    f"duplicate label {variable.label!r}",
                    "labels are unique within an intent",
                )
            by_label[variable.label] = variable
        for label, variable in self.variables_map.items():
            where = f"{path}.variablesMap.{label}"
            if variable.label != label:
                raise InvalidPayloadError(
                    where,
                    f"keyed {label!r} but labelled {variable.label!r}",
                    "variablesMap is keyed by each variable's label",
                )
            same = by_label.get(label)
            if same is not variable and same != variable:
                raise InvalidPayloadError(
                    where,
                    "differs from the variable of the same label in memoryVariables",
                    "the platform sends the same variable objects in both",
                )
        missing = [label for label in by_label if label not in self.variables_map]
        if missing:
            raise InvalidPayloadError(
                f"{path}.variablesMap",
                f"has no entry for {missing[0]!r}",
                "every variable of memoryVariables is also in variablesMap",
            )

    @classmethod
    def from_bytes(cls, body: bytes | bytearray | memoryview | str) -> WebhookRequest:
        """Parse a webhook body, strictly: anything the platform could not have sent
        raises :class:`InvalidPayloadError` naming the JSON path."""
        return cls.from_json(loads_strict(body, InvalidPayloadError))

    def to_bytes(self) -> bytes:
        """The exact bytes the platform sends for this request: the one writer of
        request bodies (the payload factory, conversations and mutations use it)."""
        data = self.to_json()
        chat = self.chat_result
        if chat.action is None and chat.chat_target is None and not chat.rich_answer:
            # Nothing but strings, ints, bools and these two doubles: the C encoder.
            return dumps_fast(data, (chat.score, chat.elapsed_time))
        return dumps(data)
