"""What changed between a recorded answer and the answer now, and what is noise.

A handler that makes ids, timestamps or random choices answers the same call
differently every time, with no change to its code.  So each recorded call is
sent twice, and the two answers are compared first, as Twitter's Diffy compares
two instances of the same code before the candidate: a field that differs
between the two is *volatile*, and its difference from the recording is
**noise**, not a regression.  In a text, only the words that differ between the
two count as volatile (``order P4D6F80`` against ``order PAB0444``: the id), so a
change anywhere else in it is still a regression.  The status and a new error
finding are never noise.

Users say what else to ignore with rules (``--ignore``, the ini, the cassette's
sidecar): a field (``context.order_id``, ``context.*``, ``text``, ``facebook``,
``bytes``, ``status``), or a pattern inside one (``text~/P[0-9A-F]{6}/``),
whose matches are masked before comparing.  ``replay --learn`` writes the rules
it learned to the sidecar (``calls.jsonl.ignore``), which users commit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._errors import ReplayRuleError
from harness._patterns import Pattern, compile_pattern

__all__ = [
    "FIELDS",
    "Difference",
    "ReplayRuleError",
    "Rules",
    "Seen",
    "compare",
    "learned_rules",
    "read_sidecar",
    "seen_of",
    "sidecar_path",
    "write_sidecar",
]

#: The fields a replay compares, as rules name them.
FIELDS = ("status", "text", "chat_api_error", "facebook", "bytes", "context.NAME", "context.*")
_TOKENS = re.compile(r"\w+|\W")
_RULE = re.compile(r"(?P<field>[\w.*-]+)(?:~/(?P<pattern>.*)/)?\Z", re.DOTALL)
_MASK = "…"


@dataclass(frozen=True, slots=True)
class Seen:
    """What the platform made of one answer, field by field."""

    status: int | None
    text: str | None
    chat_api_error: str | None
    context: Mapping[str, str]
    facebook: str | None
    #: Context names the answer set to null: deleted by the handler's update.
    deleted: frozenset[str] = frozenset()
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that differs between the recording and now: ``noise`` says why it is
    noise (None: a regression)."""

    field: str
    recorded: Any
    now: Any
    noise: str | None = None
    note: str = ""

    def describe(self) -> str:
        if self.field == "finding":
            return f"new: {self.now}"
        label = _LABELS.get(self.field, self.field)
        none = "no answer" if self.field == "status" else "none"
        head = f"{label}: {_shown(self.recorded, none)} -> {_shown(self.now, none)}"
        if self.note:
            head += f" ({self.note})"
        return f"{head}; noise: {self.noise}" if self.noise else head

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "recorded": self.recorded,
            "now": self.now,
            "noise": self.noise is not None,
            "why": self.noise or "a regression",
            "note": self.note,
        }


_LABELS = {
    "text": "the chat user sees",
    "chat_api_error": "the chat API answers",
    "facebook": "the Facebook nodes",
}


def _shown(value: Any, none: str = "none") -> str:
    if value is None:
        return none
    if not isinstance(value, str):
        return str(value)
    return repr(value if len(value) <= 200 else value[:200] + "…")


# -- rules --------------------------------------------------------------------------------


@dataclass
class Rules:
    """Ignore rules: fields whose differences are noise, and patterns masked inside
    fields before comparing."""

    ignored: dict[str, str] = field(default_factory=dict)  # field (or context.*) -> rule
    masks: list[tuple[str, Pattern]] = field(default_factory=list)  # field, pattern

    @classmethod
    def parse(cls, texts: Iterable[str], where: str) -> Rules:
        rules = cls()
        for text in texts:
            rules.add(text, where)
        return rules

    def add(self, text: str, where: str) -> None:
        text = text.strip()
        match = _RULE.match(text)
        name = match.group("field") if match else ""
        if not match or not (name in FIELDS or name.startswith("context.")):
            raise ReplayRuleError(
                f"{where}: {text[:80]!r} is not an ignore rule (hint: a field, "
                f"{', '.join(FIELDS)}, or a pattern inside one, e.g. text~/P[0-9A-F]{{6}}/)"
            )
        if match.group("pattern") is None:
            self.ignored[name] = text
            return
        if name not in ("text", "chat_api_error", "facebook") and not name.startswith("context."):
            raise ReplayRuleError(f"{where}: {text[:80]!r}: a pattern applies to text only")
        self.masks.append((name, compile_pattern(match.group("pattern"), f"{where}: {text}")))

    def ignores(self, name: str) -> str | None:
        if name in self.ignored:
            return self.ignored[name]
        if name.startswith("context.") and "context.*" in self.ignored:
            return self.ignored["context.*"]
        return None

    def mask(self, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        for target, pattern in self.masks:
            if target == name or (target == "context.*" and name.startswith("context.")):
                value = pattern.sub(_MASK, value)
        return value

    def __bool__(self) -> bool:
        return bool(self.ignored or self.masks)


def sidecar_path(cassette: str | Path) -> Path:
    """The cassette's sidecar of ignore rules: ``calls.jsonl`` -> ``calls.jsonl.ignore``."""
    path = Path(cassette)
    return path.with_name(path.name + ".ignore")


def read_sidecar(cassette: str | Path) -> list[str]:
    """The rules of the cassette's sidecar (none when there is none)."""
    path = sidecar_path(cassette)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayRuleError(f"cannot read the ignore rules {str(path)!r}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def write_sidecar(cassette: str | Path, rules: Sequence[str]) -> Path:
    """Write ``rules`` (merged with the sidecar's own) to the cassette's sidecar,
    never through a symbolic link; returns its path."""
    path = sidecar_path(cassette)
    merged = list(dict.fromkeys([*read_sidecar(cassette), *rules]))
    text = (
        "# What botwebhook replay treats as noise for this cassette: one rule a line, a\n"
        "# field (context.order_id, text) or a pattern inside one (text~/P[0-9A-F]{6}/).\n"
        "# Learned with 'botwebhook replay --learn'; edit and commit it with the cassette.\n"
        + "".join(f"{rule}\n" for rule in merged)
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise ReplayRuleError(f"cannot write the ignore rules {str(path)!r}: {exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


# -- comparing ----------------------------------------------------------------------------


def compare(
    recorded: Seen, now: Seen, again: Seen | None, rules: Rules, *, strict: bool = False
) -> list[Difference]:
    """Every field of ``now`` that differs from ``recorded``, each marked as noise when
    a rule ignores it or it varies between ``now`` and ``again`` (the same call sent
    twice); the status never varies into noise."""
    out: list[Difference] = []
    if recorded.status != now.status:
        why = rules.ignores("status")
        out.append(Difference("status", recorded.status, now.status,
                              f"ignored ({why})" if why else None))  # fmt: skip
    pairs: list[tuple[str, str | None, str | None, str | None]] = [
        ("text", recorded.text, now.text, again.text if again else None),
        ("chat_api_error", recorded.chat_api_error, now.chat_api_error,
         again.chat_api_error if again else None),
        ("facebook", recorded.facebook, now.facebook, again.facebook if again else None),
    ]  # fmt: skip
    for name in sorted(set(recorded.context) | set(now.context)):
        pairs.append((f"context.{name}", recorded.context.get(name), now.context.get(name),
                      again.context.get(name) if again else None))  # fmt: skip
    for name, old, new, other in pairs:
        if old == new:
            continue
        noise = _noise(name, old, new, other, again is not None, rules)
        note = _context_note(name, old, new, now) if name.startswith("context.") else ""
        out.append(Difference(name, old, new, noise, note))
    if strict and recorded.body != now.body:
        why = rules.ignores("bytes")
        noise = f"ignored ({why})" if why else None
        if noise is None and again is not None and again.body != now.body:
            noise = "varies between two identical calls"
        first = _first(recorded.body, now.body)
        out.append(Difference("bytes", f"{len(recorded.body)} bytes", f"{len(now.body)} bytes",
                              noise, f"first difference at byte {first}"))  # fmt: skip
    return out


def _noise(
    name: str, old: str | None, new: str | None, other: str | None, twice: bool, rules: Rules
) -> str | None:
    """Why a field that changed is noise, or None: a regression."""
    why = rules.ignores(name)
    if why:
        return f"ignored ({why})"
    masked_old, masked_new = rules.mask(name, old), rules.mask(name, new)
    if masked_old == masked_new:
        return "ignored (a pattern masks what differs)"
    masked_other = rules.mask(name, other)
    if not twice or masked_other == masked_new:
        return None  # the two identical calls agree: the change is real
    if name == "text" and masked_old is not None and masked_new is not None:
        if _only_volatile_words(masked_old, masked_new, masked_other):
            return "only words that vary between two identical calls"
        return None
    return "varies between two identical calls"


def _only_volatile_words(old: str, new: str, other: str | None) -> bool:
    """Whether ``old`` and ``new`` differ only in words that differ between ``new``
    and ``other`` (the same call, twice); a text whose length in words varies
    between the two is volatile as a whole."""
    old_t, new_t, other_t = _TOKENS.findall(old), _TOKENS.findall(new), _TOKENS.findall(other or "")
    if len(new_t) != len(other_t):
        return True
    if len(old_t) != len(new_t):
        return False
    volatile = {i for i, (a, b) in enumerate(zip(new_t, other_t, strict=True)) if a != b}
    return all(i in volatile for i, (a, b) in enumerate(zip(old_t, new_t, strict=True)) if a != b)


def _context_note(name: str, old: str | None, new: str | None, now: Seen) -> str:
    variable = name.removeprefix("context.")
    if old is not None and new is None:
        if variable in now.deleted:
            return "deleted by the handler's update"
        return (
            "no longer set: the handler's update for it is missing, or the platform ignored "
            "it (a flat context?)"
        )
    if old is None:
        return "added by the handler's update"
    return ""


def _first(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


# -- learning -----------------------------------------------------------------------------


def learned_rules(now: Seen, again: Seen) -> list[str]:
    """The rules for what varies between two answers to the same call: a context
    variable, the facebook nodes, or the words of the text that vary (as patterns of
    their shape, anchored on the word before them)."""
    rules = [f"context.{name}" for name in sorted(set(now.context) | set(again.context))
             if now.context.get(name) != again.context.get(name)]  # fmt: skip
    if now.facebook != again.facebook:
        rules.append("facebook")
    if now.text != again.text and now.text is not None and again.text is not None:
        first, second = _TOKENS.findall(now.text), _TOKENS.findall(again.text)
        if len(first) != len(second):
            rules.append("text")
        else:
            for i, (a, b) in enumerate(zip(first, second, strict=True)):
                if a != b:
                    rules.append(f"text~/{_anchor(first, i)}{_shape(a, b)}/")
    return list(dict.fromkeys(rules))


def _shape(*samples: str) -> str:
    """A pattern every sample matches, by character class and length."""
    classes = []
    for kind, chars in (("0-9", str.isdigit), ("A-Z", str.isupper), ("a-z", str.islower)):
        if any(chars(c) for sample in samples for c in sample):
            classes.append(kind)
    others = sorted({c for s in samples for c in s if not (c.isdigit() or c.isalpha())})
    body = "".join(classes) + "".join(re.escape(c) for c in others)
    if any(c.isalpha() and not c.isascii() for s in samples for c in s):
        body = r"\w" + "".join(re.escape(c) for c in others)
    lengths = {len(s) for s in samples}
    count = f"{{{lengths.pop()}}}" if len(lengths) == 1 else "+"
    return f"[{body}]{count}"


def _anchor(tokens: Sequence[str], index: int) -> str:
    """A look-behind on the word and separator before the token, when there are."""
    if index >= 2 and tokens[index - 2].isalnum() and not tokens[index - 1].isalnum():
        return f"(?<={re.escape(tokens[index - 2] + tokens[index - 1])})"
    return ""


def seen_of(status: int | None, outcome: Any, answer_data: Mapping[str, Any] | None,
            body: bytes) -> Seen:  # fmt: skip
    """The fields of one answer, from the platform's outcome of it."""
    variables = ((answer_data or {}).get("context") or {}).get("variables") or {}
    deleted = frozenset(
        name for name, v in variables.items() if v is None or (isinstance(v, dict)
                                                              and v.get("value") is None)
    ) if isinstance(variables, dict) else frozenset()  # fmt: skip
    rich = json.dumps(outcome.rich, sort_keys=True, ensure_ascii=False) if outcome.rich else None
    return Seen(status, outcome.user_text, outcome.chat_api_error, dict(outcome.context), rich,
                deleted, body)  # fmt: skip
