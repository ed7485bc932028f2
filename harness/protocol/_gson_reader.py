"""Read JSON the way the platform's lenient Gson ``JsonReader`` does.

What it accepts beyond strict JSON (docs/protocol.md, section 4): a byte order
mark, the ``)]}'`` non-execute prefix, ``//``, ``#`` and ``/* */`` comments,
single-quoted strings, unquoted names and values, ``=`` / ``=>`` between a
name and its value, ``;`` between elements, keywords in either case, and
duplicate keys (recorded, so the caller can apply Gson's rules).  What it
refuses like Gson: trailing content after the value, and unterminated input.

:func:`read` tries the strict C parser first and only falls back to the
lenient reader when that fails, so well-formed bodies cost almost nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LenientResult", "not_an_object", "read"]

_LITERAL_STOP = frozenset("/\\;#={}[]:, \t\f\r\n")
_NON_EXECUTE = ")]}'\n"


class _Syntax(ValueError):
    """A syntax error in Gson's words (``Unterminated object``), where it was found."""

    def __init__(self, message: str, offset: int, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.path = path

    def gson(self, text: str) -> str:
        """The message as Gson's ``MalformedJsonException`` words it: ``Unterminated
        object at line 1 column 14 path $.text``."""
        if self.message.endswith("."):  # Gson's own sentence, with no position
            return self.message
        line = text.count("\n", 0, self.offset) + 1
        column = self.offset - (text.rfind("\n", 0, self.offset) + 1) + 1
        return f"{self.message} at line {line} column {column} path {self.path}"


@dataclass
class LenientResult:
    """What a body reads as: ``value``, or ``error`` when even Gson gives up.

    ``lenient`` lists what needed leniency (empty for strict JSON);
    ``duplicates`` the paths of objects that repeated a key (the last value
    is kept in ``value``, as Gson's reflective binding does)."""

    value: Any = None
    error: str | None = None
    lenient: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


_seen = threading.local()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        _seen.duplicates = True
    return out


# One decoder for all calls (building one per call costs more than small bodies do);
# whether it met a duplicate key is kept per thread.
_STRICT = json.JSONDecoder(object_pairs_hook=_pairs)


def read(text: str) -> LenientResult:
    """Parse ``text`` as the platform would (see the module docstring)."""
    _seen.duplicates = False
    try:
        value = _STRICT.decode(text)
    except (ValueError, RecursionError):
        pass
    else:
        if not _seen.duplicates:
            return LenientResult(value)
    reader = _Reader(text)
    try:
        value = reader.document()
    except _Syntax as exc:
        return LenientResult(error=exc.gson(text), lenient=reader.notes)
    except RecursionError:
        return LenientResult(error="nested too deeply", lenient=reader.notes)
    return LenientResult(value, None, reader.notes, reader.duplicates)


def not_an_object(text: str) -> str | None:
    """Gson's message when a body does not start with an object, as the platform's
    binding to its response class reports it before reading any further (``Expected
    BEGIN_OBJECT but was BEGIN_ARRAY at line 1 column 2 path $``); None when it starts
    with an object, or is ``null``."""
    reader = _Reader(text)
    if text.startswith("\ufeff"):
        reader.pos = 1
    if text.startswith(_NON_EXECUTE, reader.pos):
        reader.pos += len(_NON_EXECUTE)
    try:
        c = reader._peek()
    except _Syntax:
        return None  # an unterminated comment: the reader says it
    rest = text[reader.pos : reader.pos + 5].lower()
    if c in ("", "{") or (rest.startswith("null") and not rest[4:].strip("\t\n\r ,]}")):
        return None
    if c == "[":
        kind, step = "BEGIN_ARRAY", 1
    elif c in "\"'":
        kind, step = "STRING", 1
    elif c in "-0123456789":
        kind, step = "NUMBER", 0
    elif rest.startswith(("true", "false")):
        kind, step = "BOOLEAN", 0
    else:
        kind, step = "STRING", 0  # an unquoted string, read leniently
    where = _Syntax("", reader.pos + step).gson(text).removeprefix(" at ")
    return f"Expected BEGIN_OBJECT but was {kind} at {where}"


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.notes: list[str] = []
        self.duplicates: list[str] = []

    def note(self, what: str) -> None:
        if what not in self.notes:
            self.notes.append(what)

    def document(self) -> Any:
        if self.text.startswith("\ufeff"):
            self.pos = 1
            self.note("byte order mark")
        if self.text.startswith(_NON_EXECUTE, self.pos):
            self.pos += len(_NON_EXECUTE)
            self.note("non-execute prefix )]}'")
        if self._peek() == "":
            raise _Syntax("End of input", self.pos)
        value = self.value("$")
        if self._peek() != "":
            raise _Syntax("JSON document was not fully consumed.", self.pos)
        return value

    # -- scanning ---------------------------------------------------------------------

    def _skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in " \t\r\n":
                self.pos += 1
            elif c == "#" or text.startswith("//", self.pos):
                self.note("comment")
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                self.note("comment")
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise _Syntax("Unterminated comment", self.pos)
                self.pos = end + 2
            else:
                return

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expect_any(self, options: str, what: str, path: str = "$") -> str:
        """The next character, one of ``options``; else Gson's ``what`` (``Unterminated
        object``), or ``End of input`` at the end."""
        c = self._peek()
        if c == "" or c not in options:
            raise _Syntax("End of input" if c == "" else what, self.pos, path)
        self.pos += 1
        return c

    # -- values -----------------------------------------------------------------------

    def value(self, path: str) -> Any:
        c = self._peek()
        if c == "":
            raise _Syntax("End of input", self.pos, path)
        if c == "{":
            return self.obj(path)
        if c == "[":
            return self.array(path)
        if c in "\"'":
            if c == "'":
                self.note("single-quoted string")
            return self.string(c, path)
        return self.literal(path)

    def obj(self, path: str) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        if self._peek() == "}":
            self.pos += 1
            return out
        while True:
            c = self._peek()
            if c == "":
                raise _Syntax("End of input", self.pos, path)
            if c == "}":
                raise _Syntax("Expected name", self.pos, path)
            if c in "\"'":
                if c == "'":
                    self.note("single-quoted string")
                key = self.string(c, path)
            else:
                self.note("unquoted name")
                key = self._literal_text(path, "Expected name")
            sep = self._expect_any(":=", "Expected ':'", f"{path}.{key}")
            if sep == "=":
                self.note("'=' between name and value")
                if self.text.startswith(">", self.pos):
                    self.pos += 1
            if key in out:
                self.duplicates.append(f"{path}.{key}")
                self.note("duplicate key")
            out[key] = self.value(f"{path}.{key}")
            end = self._expect_any(",;}", "Unterminated object", f"{path}.{key}")
            if end == ";":
                self.note("';' between members")
            if end == "}":
                return out

    def array(self, path: str) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        if self._peek() == "]":
            self.pos += 1
            return out
        while True:
            out.append(self.value(f"{path}[{len(out)}]"))
            end = self._expect_any(",;]", "Unterminated array", f"{path}[{len(out)}]")
            if end == ";":
                self.note("';' between elements")
            if end == "]":
                return out

    def string(self, quote: str, path: str = "$") -> str:
        text, n = self.text, len(self.text)
        self.pos += 1
        parts: list[str] = []
        start = self.pos
        while self.pos < n:
            c = text[self.pos]
            if c == quote:
                parts.append(text[start : self.pos])
                self.pos += 1
                return "".join(parts)
            if c == "\\":
                parts.append(text[start : self.pos])
                parts.append(self._escape(path))
                start = self.pos
            else:
                self.pos += 1
        raise _Syntax("Unterminated string", n, path)

    def _escape(self, path: str) -> str:
        self.pos += 1
        if self.pos >= len(self.text):
            raise _Syntax("Unterminated escape sequence", self.pos, path)
        c = self.text[self.pos]
        self.pos += 1
        if c == "u":
            digits = self.text[self.pos : self.pos + 4]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _Syntax("Malformed Unicode escape \\u" + digits, self.pos, path)
            self.pos += 4
            return chr(int(digits, 16))
        simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
        if c in simple:
            return simple[c]
        if c in "\"'\\/\n":
            return c
        raise _Syntax("Invalid escape sequence", self.pos, path)

    def _literal_text(self, path: str = "$", what: str = "Expected value") -> str:
        start = self.pos
        text, n = self.text, len(self.text)
        while self.pos < n and text[self.pos] not in _LITERAL_STOP:
            self.pos += 1
        if self.pos == start:
            raise _Syntax(what, start + 1, path)
        return text[start : self.pos]

    def literal(self, path: str = "$") -> Any:
        start = self.pos
        word = self._literal_text(path)
        lowered = word.lower()
        if lowered in ("true", "false", "null") and word in (lowered, word.upper()):
            if word != lowered:
                self.note("upper-case keyword")
            return {"true": True, "false": False, "null": None}[lowered]
        try:
            number = json.loads(word)
        except ValueError:
            number = None
        if isinstance(number, int | float) and not isinstance(number, bool):
            return number
        self.note("unquoted string")
        if word.lower() in ("nan", "infinity", "-infinity"):
            raise _Syntax(f"JSON forbids NaN and infinities: {word}", start, path)
        return word
