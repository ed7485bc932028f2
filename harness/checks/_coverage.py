"""Protocol coverage: which cells of the bot model a run exercised, and which it never did.

The cells, for a model:

- ``intent × shape``: each intent at shape A (first sentence) and B (after prompts,
  when it has a mandatory variable), or the passthrough shape P;
- ``variable``: each variable filled, unfilled (an optional one), and prompted 1…N
  times (a mandatory one, up to its ``max_prompts``);
- ``language × channel``: each language of the model on the API and on Facebook;
- ``response``: what the handler answered, as the platform read it (text, quick
  replies, a Facebook node, ``facebook_multi``, a context update, a context
  deletion, a callback);
- ``probe``: each signature and malformed-input probe;
- ``conversation`` (conversations only): a turn after a prompt, context carried into a
  later turn, a context update a later turn relied on.

Valid payloads count for the first three, every answer for ``response``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from harness.delivery._exchange import Exchange
from harness.model._botmodel import BotModel

__all__ = ["CONVERSATION", "FUZZ_PROBES", "KINDS", "PROBES", "RESPONSES", "ProtocolCoverage"]

KINDS = ("intent × shape", "variable", "language × channel", "response", "probe",
         "conversation")  # fmt: skip
RESPONSES = ("text", "quick replies", "facebook node", "facebook_multi", "context update",
             "context deletion", "callback")  # fmt: skip
PROBES = ("signature[correct]", "signature[wrong]", "signature[missing]",
          "malformed[empty_body]", "malformed[invalid_json]", "malformed[json_array]",
          "malformed[not_utf8]", "malformed[truncated]", "malformed[wrong_types]")  # fmt: skip
#: The attacker calls of a fuzz run, by kind.
FUZZ_PROBES = ("wrong-signature", "missing-signature", "malformed")
CONVERSATION = ("a turn after a prompt", "context carried into a later turn",
                "a context update a later turn relied on")  # fmt: skip
_SHOWN = 12


class ProtocolCoverage:
    """Counts, per cell, how often a run exercised it; ``model`` None counts what was
    seen, with no cell known in advance (a replayed cassette's)."""

    def __init__(
        self,
        model: BotModel | None,
        *,
        passthrough: bool = False,
        probes: Sequence[str] = PROBES,
        conversations: bool = False,
    ) -> None:
        self.counts: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        self._lock = threading.Lock()  # a check's calls are counted from its pool
        self.known = model is not None
        for kind, cell in _universe(model, passthrough, probes, conversations):
            self.counts[kind][cell] = 0

    def _hit(self, kind: str, cell: str) -> None:
        with self._lock:
            self.counts[kind][cell] = self.counts[kind].get(cell, 0) + 1

    def add(self, exchange: Exchange) -> None:
        """Count one delivered call: its payload's cells (a valid one), its probe, and
        what the handler answered."""
        if exchange.scenario.split("[", 1)[0] in ("signature", "malformed", "robustness"):
            self._hit("probe", exchange.scenario)
        elif exchange.expect != "contract":  # a fuzz run's attacker calls, by kind
            self._hit("probe", exchange.expect)
        if exchange.expect == "contract":
            self._payload(exchange.sent.body)
        answer = exchange.answer
        if answer is not None and answer.data is not None:
            for response in _responses(answer.data):
                self._hit("response", response)

    def add_callback(self) -> None:
        """A message the handler sent later through the callback API."""
        self._hit("response", "callback")

    def add_conversation(self, cell: str) -> None:
        """One of :data:`CONVERSATION`'s cells, seen."""
        self._hit("conversation", cell)

    def _payload(self, body: bytes) -> None:
        try:
            data: Any = json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("chatResult"), dict):
            return
        intent = data.get("intentName")
        channel = "api" if "clientVariables" in data else "facebook"
        self._hit("language × channel", f"{data.get('language', 'EN')} {channel}")
        if intent is None:
            self._hit("intent × shape", "passthrough shape P")
            return
        shape = "B" if "chatId" in data["chatResult"] else "A"
        self._hit("intent × shape", f"{intent} shape {shape}")
        for variable in data.get("memoryVariables") or []:
            if not isinstance(variable, dict):
                continue
            name = f"{intent}.{variable.get('label')}"
            self._hit("variable", f"{name} {'filled' if 'value' in variable else 'unfilled'}")
            times = variable.get("times_prompted")
            if isinstance(times, int) and times > 0:
                self._hit("variable", f"{name} prompted {times}×")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtocolCoverage:
        """The counts :meth:`as_dict` wrote (a load run's child sends them back so)."""
        found = cls(None, probes=())
        found.known = bool(data.get("model_known"))
        found.counts = {kind: {} for kind in KINDS}
        for kind, counted in (data.get("kinds") or {}).items():
            found.counts.setdefault(kind, {}).update(counted.get("cells") or {})
        return found

    def merge(self, other: ProtocolCoverage) -> None:
        """Add ``other``'s counts (and its cells) to these."""
        for kind, cells in other.counts.items():
            for cell, count in cells.items():
                with self._lock:
                    self.counts[kind][cell] = self.counts[kind].get(cell, 0) + count

    def never(self) -> list[tuple[str, str]]:
        """The cells no call exercised, kind by kind."""
        return [(kind, cell) for kind in KINDS for cell, n in self.counts[kind].items() if not n]

    def as_dict(self) -> dict[str, Any]:
        """The counts as JSON values: per kind, how many cells were exercised of how
        many, each cell's count, and the cells never exercised."""
        kinds = {}
        for kind in KINDS:
            cells = self.counts[kind]
            if cells:
                done = sum(1 for n in cells.values() if n)
                kinds[kind] = {"exercised": done, "total": len(cells),
                               "cells": dict(sorted(cells.items()))}  # fmt: skip
        return {"model_known": self.known, "kinds": kinds,
                "never": [f"{kind}: {cell}" for kind, cell in self.never()]}  # fmt: skip

    def render_text(self) -> str:
        """A table, kind by kind, then the cells never exercised (the first of each)."""
        lines = ["protocol coverage (cells of the bot model the run exercised):"]
        for kind in KINDS:
            cells = self.counts[kind]
            if not cells:
                continue
            done = sum(1 for n in cells.values() if n)
            total = f"{done}/{len(cells)}" if self.known or kind in ("probe",) else f"{done} seen"
            lines.append(f"  {kind:<20} {total:>9}")
        missing = self.never()
        if missing:
            lines.append("never exercised:")
            by_kind: dict[str, list[str]] = {}
            for kind, cell in missing:
                by_kind.setdefault(kind, []).append(cell)
            for kind, names in by_kind.items():
                more = f" … and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
                lines.append(f"  {kind}: {', '.join(names[:_SHOWN])}{more}")
        elif self.known:
            lines.append("every cell was exercised")
        return "\n".join(lines)


def _responses(data: dict[str, Any]) -> Iterable[str]:
    if isinstance(data.get("text"), str) and data["text"]:
        yield "text"
    facebook = data.get("facebook")
    if isinstance(facebook, dict) and facebook:
        yield "quick replies" if facebook.get("quick_replies") else "facebook node"
    if data.get("facebook_multi"):
        yield "facebook_multi"
    variables = (data.get("context") or {}).get("variables") or {}
    if isinstance(variables, dict):
        values = [v.get("value") if isinstance(v, dict) else None for v in variables.values()]
        if any(v is not None for v in values):
            yield "context update"
        if any(v is None for v in values):
            yield "context deletion"


def _universe(
    model: BotModel | None, passthrough: bool, probes: Sequence[str], conversations: bool
) -> Iterable[tuple[str, str]]:
    for probe in probes:
        yield "probe", probe
    for response in RESPONSES:
        yield "response", response
    if conversations:
        for cell in CONVERSATION:
            yield "conversation", cell
    if model is None:
        return
    for language in model.languages:
        yield "language × channel", f"{language} api"
        yield "language × channel", f"{language} facebook"
    if passthrough:
        yield "intent × shape", "passthrough shape P"
        return
    for intent in model.intents:
        yield "intent × shape", f"{intent.name} shape A"
        if intent.mandatory:
            yield "intent × shape", f"{intent.name} shape B"
        for variable in intent.variables:
            name = f"{intent.name}.{variable.label}"
            yield "variable", f"{name} filled"
            if not variable.mandatory:
                yield "variable", f"{name} unfilled"
            else:
                for times in range(1, variable.max_prompts + 1):
                    yield "variable", f"{name} prompted {times}×"
