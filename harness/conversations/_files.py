"""Conversation files: ``test_*.conversation.yaml``, one conversation per YAML
document (PyYAML), checked against the bot model before anything runs.

Every problem is one :class:`~harness.errors.ConversationFileError` naming the
file, the line and the key.  Texts (``user``, ``bot``, context values…) are
taken exactly as written, so ``user: 007`` is the text ``007``, not a number.
A dry run of the platform's dialogue rules finds, at load time, every turn
whose intent cannot be told or whose entities the platform could not fill.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._errors import BotWebhookError, ConversationError, ConversationFileError
from harness._limits import (
    CONVERSATION_FILE_MAX,
    CONVERSATIONS_PER_FILE,
    TURNS_PER_CONVERSATION,
    FileTooLarge,
    read_capped,
)
from harness._patterns import PatternError, compile_pattern
from harness.conversations._dialogue import CHANNELS, Dialogue
from harness.model._botmodel import BotModel
from harness.protocol._request import LANGUAGES

__all__ = ["FILE_PATTERN", "ConversationSpec", "TurnSpec", "load_conversations", "to_yaml"]

#: The files pytest collects.
FILE_PATTERN = re.compile(r"test_.*\.conversation\.ya?ml")
#: The keys of a conversation file, each with what it is: the loader takes exactly
#: these, and the documentation's reference of the file is written from them.
FILE_KEYS: dict[str, str] = {
    "name": "the conversation's name, and its test item's id (default: the file's name "
    "and the conversation's index)",
    "model": "a bot model file, relative to this file (default: the plugin's model)",
    "language": "the chat's language (default: the model's first)",
    "channel": "`api` (the default) or `facebook`, whose calls carry no `clientVariables`",
    "client_variables": "the client variables every call carries (the `api` channel only)",
    "turns": "required: the chat's turns, in order",
}
#: The keys of one turn (``turns[i]``).
TURN_KEYS: dict[str, str] = {
    "user": "required: what the chat user types, taken exactly as written (`007` is a text)",
    "intent": "the intent the platform matched; a list is chained intents fulfilled in the "
    "same turn, each firing its webhook (without it, the model's examples decide)",
    "entities": "the values the platform took from this sentence, by variable label",
    "expect": "what must hold after the turn: every key given is checked",
}
#: The keys of a turn's ``expect``: the expectations a chat's turn can be checked for.
EXPECT_KEYS: dict[str, str] = {
    "prompt": "the variable the platform prompts for (null: no prompt)",
    "webhook": "whether the webhook is called this turn",
    "bot": "exactly what the chat user sees",
    "bot_matches": "a regular expression searched for in what the chat user sees",
    "context": "these context values after the turn",
    "context_has": "these names present in the context after the turn",
    "context_lacks": "these names absent from the context after the turn",
    "later": "a regular expression: a message the handler sends later through the callback API",
}
_TOP = tuple(FILE_KEYS)
_TURN = tuple(TURN_KEYS)
_EXPECT = tuple(EXPECT_KEYS)
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


@dataclass(frozen=True)
class TurnSpec:
    """One turn as written: the user's text, the intents the platform matched, the
    entities it extracted, what to expect, and the line of each key."""

    user: str
    intents: tuple[str, ...] = ()
    entities: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ConversationSpec:
    """One conversation of a file, checked against its model."""

    name: str
    path: str
    index: int
    line: int
    model: BotModel
    language: str | None
    channel: str
    client_variables: dict[str, str]
    turns: tuple[TurnSpec, ...]

    @property
    def needs_callbacks(self) -> bool:
        return any("later" in turn.expect for turn in self.turns)


def _is(node: Any, kind: str) -> bool:
    """``node`` is a YAML node of ``kind`` (scalar, sequence, mapping).  By its ``id``,
    not its class: libyaml's compiled parser keeps the node classes of PyYAML's first
    import, which a reloaded ``yaml`` (pytest's pytester does that) no longer has."""
    return getattr(node, "id", None) == kind


class _Reader:
    """Walks a document's YAML nodes, keeping each value's line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: Any, key: str, problem: str) -> ConversationFileError:
        return ConversationFileError(self.path, node.start_mark.line + 1, key, problem)

    def mapping(self, node: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
        if not _is(node, "mapping"):
            raise self.fail(node, where, f"expected a mapping of keys ({', '.join(known)})")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if _is(key_node, "scalar") else None
            path = f"{where}.{key}" if where else str(key)
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(known)
                raise self.fail(key_node, path, f"unknown key ({hint})")
            if key in out:
                raise self.fail(key_node, path, "given twice")
            out[key] = value_node
        return out

    def text(self, node: Any, where: str, *, empty: bool = False) -> str:
        if not _is(node, "scalar"):
            raise self.fail(node, where, "expected text")
        if node.tag == _NULL and not node.style and not empty:  # plain: None, or "" (libyaml)
            raise self.fail(node, where, "empty (quote it if you mean the word: 'null')")
        value: str = node.value
        return value

    def flag(self, node: Any, where: str) -> bool:
        if not _is(node, "scalar") or node.tag != _BOOL:
            raise self.fail(node, where, "expected true or false")
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def texts(self, node: Any, where: str) -> tuple[str, ...]:
        if _is(node, "sequence"):
            return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(node.value))
        return (self.text(node, where),)

    def text_map(self, node: Any, where: str) -> dict[str, str]:
        if not _is(node, "mapping"):
            raise self.fail(node, where, "expected a mapping of names to texts")
        out = {}
        for key_node, value_node in node.value:
            key = self.text(key_node, where)
            out[key] = self.text(value_node, f"{where}.{key}")
        return out

    def pattern(self, node: Any, where: str) -> str:
        text = self.text(node, where)
        try:
            compile_pattern(text, where)  # as the turn will match it, within a time limit
        except PatternError as exc:
            raise self.fail(node, where, f"not a regular expression: {exc}") from None
        return text


def load_conversations(
    path: str | Path,
    *,
    model: BotModel | None = None,
    load_model: Callable[[Path], BotModel] | None = None,
) -> list[ConversationSpec]:
    """Read and check every conversation of the file at ``path``; ``model`` is used
    when a conversation names none (default: the built-in catalogue), ``load_model``
    reads one that does (default: :func:`harness.load_model`)."""
    if load_model is None:
        from harness.model._files import load_model as read_model

        load_model = read_model

    path = Path(path)
    shown = str(path)
    try:
        text = read_capped(path, CONVERSATION_FILE_MAX)
    except (OSError, UnicodeDecodeError, FileTooLarge) as exc:
        hint = " (hint: split it into several files)" if isinstance(exc, FileTooLarge) else ""
        raise ConversationFileError(shown, 1, "", f"cannot read the file: {exc}{hint}") from None
    reader = _Reader(shown)
    out = []
    for index, document in enumerate(_documents(shown, text)):
        if index >= CONVERSATIONS_PER_FILE:
            raise reader.fail(document, "", f"more than {CONVERSATIONS_PER_FILE} conversations "
                              "in one file (hint: split it into several files)")  # fmt: skip
        out.append(_conversation(reader, document, path, index, model, load_model))
    if not out:
        raise ConversationFileError(shown, 1, "", "no conversation in the file")
    return out


def _documents(shown: str, text: str) -> Iterator[Any]:
    """The YAML documents of ``text``, composed one at a time (libyaml's parser when
    PyYAML has it: faster, and it refuses nesting deeper than 1000 levels itself)."""
    import yaml

    loader = _loader(yaml)
    try:
        for document in yaml.compose_all(text, Loader=loader):
            if document is not None:
                yield document
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConversationFileError(shown, line, "", f"bad YAML: {problem}") from None
    except RecursionError:  # the pure-Python parser, on deep nesting
        raise ConversationFileError(
            shown, 1, "", "bad YAML: nested too deeply (hint: a conversation needs 4 levels)"
        ) from None


def _loader(yaml: Any) -> Any:
    """libyaml's loader when it works with this ``yaml``: its compiled parser keeps the
    classes of PyYAML's first import, so after a reload (pytest's pytester) it
    resolves no tag; the pure-Python loader then."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.SafeLoader
    try:
        probe = yaml.compose("a: true", Loader=fast)
        works = _is(probe, "mapping") and probe.value[0][1].tag == _BOOL
    except Exception:
        works = False
    return fast if works else yaml.SafeLoader


def _conversation(
    reader: _Reader,
    node: Any,
    path: Path,
    index: int,
    default: BotModel | None,
    load_model: Callable[[Path], BotModel],
) -> ConversationSpec:
    top = reader.mapping(node, "", _TOP)
    name = reader.text(top["name"], "name") if "name" in top else f"{path.name}[{index}]"
    model = default
    if "model" in top:
        model_path = path.parent / reader.text(top["model"], "model")
        try:
            model = load_model(model_path)
        except BotWebhookError as exc:
            raise reader.fail(top["model"], "model", str(exc)) from None
    if model is None:
        from harness.model._catalogue import builtin_model

        model = builtin_model()
    language = reader.text(top["language"], "language") if "language" in top else None
    if language is not None and language not in LANGUAGES:
        raise reader.fail(top["language"], "language", f"{language!r} is not one of "
                          f"{', '.join(LANGUAGES)}")  # fmt: skip
    channel = reader.text(top["channel"], "channel") if "channel" in top else "api"
    if channel not in CHANNELS:
        raise reader.fail(top["channel"], "channel", f"{channel!r} is not api or facebook")
    client_variables = {}
    if "client_variables" in top:
        client_variables = reader.text_map(top["client_variables"], "client_variables")
    if "turns" not in top:
        raise reader.fail(node, "turns", "missing: a conversation needs at least one turn")
    turns_node = top["turns"]
    if not _is(turns_node, "sequence") or not turns_node.value:
        raise reader.fail(turns_node, "turns", "expected a list of turns (- user: ...)")
    if len(turns_node.value) > TURNS_PER_CONVERSATION:
        raise reader.fail(turns_node, "turns", f"more than {TURNS_PER_CONVERSATION} turns "
                          "(hint: split the conversation)")  # fmt: skip
    turns = tuple(_turn(reader, t, f"turns[{i}]") for i, t in enumerate(turns_node.value))
    spec = ConversationSpec(
        name, str(path), index, node.start_mark.line + 1, model, language, channel,
        client_variables, turns,
    )  # fmt: skip
    _dry_run(reader, spec, top)
    return spec


def _turn(reader: _Reader, node: Any, where: str) -> TurnSpec:
    keys = reader.mapping(node, where, _TURN)
    lines = {key: value.start_mark.line + 1 for key, value in keys.items()}
    if "user" not in keys:
        raise reader.fail(node, f"{where}.user", "missing: what the chat user types")
    user = reader.text(keys["user"], f"{where}.user")
    intents = reader.texts(keys["intent"], f"{where}.intent") if "intent" in keys else ()
    entities = {}
    if "entities" in keys:
        entities = reader.text_map(keys["entities"], f"{where}.entities")
        for key_node, _ in keys["entities"].value:
            lines[f"entities.{key_node.value}"] = key_node.start_mark.line + 1
    expect: dict[str, Any] = {}
    if "expect" in keys:
        expect_keys = reader.mapping(keys["expect"], f"{where}.expect", _EXPECT)
        for key, value in expect_keys.items():
            lines[f"expect.{key}"] = value.start_mark.line + 1
            expect[key] = _expectation(reader, key, value, f"{where}.expect.{key}")
    return TurnSpec(user, intents, entities, expect, node.start_mark.line + 1, lines)


def _expectation(reader: _Reader, key: str, node: Any, where: str) -> Any:
    if key == "prompt":
        if getattr(node, "tag", None) in (_NULL, _BOOL):
            if node.tag == _BOOL and reader.flag(node, where):
                raise reader.fail(node, where, "name the variable prompted for, or false")
            return None
        return reader.text(node, where)
    if key == "webhook":
        return reader.flag(node, where)
    if key == "bot":
        return reader.text(node, where, empty=True) if node.tag != _NULL else ""
    if key in ("bot_matches", "later"):
        return reader.pattern(node, where)
    if key == "context":
        return reader.text_map(node, where)
    return reader.texts(node, where)  # context_has, context_lacks


def _dry_run(reader: _Reader, spec: ConversationSpec, top: dict[str, Any]) -> None:
    """Plan every turn by the platform's rules (the handler cannot change what the
    platform prompts for), so an impossible turn fails at load, naming its line."""
    try:
        dialogue = Dialogue(
            spec.model, language=spec.language, channel=spec.channel,  # type: ignore[arg-type]
            client_variables=spec.client_variables,
        )  # fmt: skip
    except ConversationError as exc:
        key = "client_variables" if "client_variables" in str(exc) else "language"
        raise reader.fail(top.get(key, top.get("turns")), key, str(exc)) from None
    labels = {v.label for intent in spec.model.intents for v in intent.variables}
    for i, turn in enumerate(spec.turns):
        where = f"turns[{i}]"
        prompt = turn.expect.get("prompt")
        if prompt is not None and prompt not in labels:
            close = difflib.get_close_matches(prompt, sorted(labels), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "no intent has it"
            raise ConversationFileError(
                spec.path, turn.lines["expect.prompt"], f"{where}.expect.prompt",
                f"{prompt!r} is not a variable of the model ({hint})",
            )  # fmt: skip
        try:
            dialogue.plan(turn.user, turn.intents, turn.entities)
        except ConversationError as exc:
            line = turn.lines.get(exc.key, turn.line)
            raise ConversationFileError(spec.path, line, f"{where}.{exc.key}", str(exc)) from None
        except PatternError as exc:  # the model's pattern, on this turn's text
            raise ConversationFileError(spec.path, turn.line, f"{where}.user", str(exc)) from None


def to_yaml(spec: ConversationSpec, *, name: str | None = None) -> str:
    """``spec`` as one YAML document of a conversation file (reads back the same)."""
    import yaml

    data: dict[str, Any] = {"name": name or spec.name}
    if spec.language is not None and spec.language != spec.model.languages[0]:
        data["language"] = spec.language
    if spec.channel != "api":
        data["channel"] = spec.channel
    if spec.client_variables:
        data["client_variables"] = dict(spec.client_variables)
    turns = []
    for turn in spec.turns:
        item: dict[str, Any] = {"user": turn.user}
        if turn.intents:
            item["intent"] = turn.intents[0] if len(turn.intents) == 1 else list(turn.intents)
        if turn.entities:
            item["entities"] = dict(turn.entities)
        if turn.expect:
            item["expect"] = {k: list(v) if isinstance(v, tuple) else v
                              for k, v in turn.expect.items()}  # fmt: skip
        turns.append(item)
    data["turns"] = turns
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return text
