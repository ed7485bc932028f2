"""Typed JSON <-> dataclass conversion shared by the request and response structs.

Each struct field declares, through :func:`jfield`, its JSON key and a codec
that checks and converts the JSON value.  The field order of a dataclass is
the key order on the wire.  Decoding is strict: unknown keys, missing
required keys and wrong types raise the struct's own :class:`ProtocolError`
subclass with the JSON path of the problem, so nothing a user passed is
silently dropped or altered.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from harness._errors import ProtocolError

__all__ = [
    "BOOL",
    "DOUBLE",
    "INT",
    "JSON",
    "STR",
    "Codec",
    "JsonStruct",
    "ListOf",
    "MapOf",
    "Str",
    "StructOf",
    "jfield",
]

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


class Codec:
    """Checks and converts one JSON value; subclasses override both methods."""

    expected = "a JSON value"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        return value

    def encode(self, value: Any) -> Any:
        return value

    def fail(self, value: Any, path: str, error: type[ProtocolError]) -> ProtocolError:
        return error(path, f"expected {self.expected}, got {json_type(value)} {value!r:.60}")


class Str(Codec):
    """A JSON string, optionally matching a pattern and a maximum length."""

    def __init__(
        self, *, pattern: str | None = None, max_length: int | None = None, hint: str = ""
    ) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.max_length = max_length
        self.hint = hint
        self.expected = "a string"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if not isinstance(value, str):
            raise self.fail(value, path, error)
        if self.max_length is not None and len(value) > self.max_length:
            raise error(
                path,
                f"string of {len(value)} characters is longer than the platform's "
                f"limit of {self.max_length}",
            )
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise error(
                path,
                f"{value!r:.80} does not match {self.pattern.pattern}",
                self.hint or None,
            )
        return value


class _Bool(Codec):
    expected = "true or false"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if not isinstance(value, bool):
            raise self.fail(value, path, error)
        return value


class _Int(Codec):
    expected = "an integer"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value, path, error)
        return value


class _Double(Codec):
    """A Java double: any JSON number, kept as a Python float."""

    expected = "a number"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(value, path, error)
        return float(value)

    def encode(self, value: Any) -> Any:
        return float(value)


def _identity(codec: Codec) -> bool:
    """Whether ``codec`` writes a value as it is."""
    return type(codec).encode is Codec.encode


STR = Str()
BOOL = _Bool()
INT = _Int()
DOUBLE = _Double()
JSON = Codec()


class ListOf(Codec):
    def __init__(self, item: Codec) -> None:
        self.item = item
        self.expected = "an array"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if not isinstance(value, list):
            raise self.fail(value, path, error)
        return [self.item.decode(v, f"{path}[{i}]", error) for i, v in enumerate(value)]

    def encode(self, value: Any) -> Any:
        if _identity(self.item):
            return list(value)
        return [self.item.encode(v) for v in value]


class MapOf(Codec):
    """A JSON object with free keys; ``allow_null`` keeps null entries (as None)."""

    def __init__(self, item: Codec, *, allow_null: bool = False, null_hint: str = "") -> None:
        self.item = item
        self.allow_null = allow_null
        self.null_hint = null_hint
        self.expected = "an object"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        if not isinstance(value, dict):
            raise self.fail(value, path, error)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                if not self.allow_null:
                    raise error(f"{path}.{key}", "null entry", self.null_hint or None)
                out[key] = None
            else:
                out[key] = self.item.decode(item, f"{path}.{key}", error)
        return out

    def encode(self, value: Any) -> Any:
        if _identity(self.item):
            return dict(value)
        return {k: (None if v is None else self.item.encode(v)) for k, v in value.items()}


M = TypeVar("M", bound="JsonStruct")


class StructOf(Codec):
    def __init__(self, struct: type[JsonStruct]) -> None:
        self.struct = struct
        self.expected = "an object"

    def decode(self, value: Any, path: str, error: type[ProtocolError]) -> Any:
        return self.struct.from_json(value, path=path)

    def encode(self, value: Any) -> Any:
        return value.to_json()


def jfield(
    codec: Codec,
    *,
    key: str | None = None,
    required: bool = False,
    default: Any = None,
    needed: bool = False,
    factory: Callable[[], Any] | None = None,
    keep_null: bool = False,
) -> Any:
    """Declare a struct field: its codec, JSON key (default: the attribute name),
    whether the key must be present when parsing, and its default in code
    (``needed=True``: no default, the argument must be given in code too).
    ``keep_null`` writes an explicit ``null`` for None instead of leaving the
    key out (only meaningful for responses, where null has a meaning)."""
    metadata = {"codec": codec, "key": key, "required": required, "keep_null": keep_null}
    if needed:
        return dataclasses.field(metadata=metadata)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


class _FieldSpec:
    __slots__ = ("attr", "codec", "keep_null", "key", "required")

    def __init__(self, field: dataclasses.Field[Any]) -> None:
        self.attr = field.name
        self.codec: Codec = field.metadata["codec"]
        self.key: str = field.metadata["key"] or field.name
        self.required: bool = field.metadata["required"]
        self.keep_null: bool = field.metadata["keep_null"]


def _compile_writer(specs: tuple[_FieldSpec, ...]) -> Callable[[Any], dict[str, Any]]:
    """A struct class's ``to_json``, written out field by field once (as ``dataclasses``
    writes ``__init__``): the cost of writing a body is then that of its values."""
    lines = ["def to_json(self):", "    out = {}"]
    encoders: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        value = "v" if _identity(spec.codec) else f"_encode{i}(v)"
        if not _identity(spec.codec):
            encoders[f"_encode{i}"] = spec.codec.encode
        lines.append(f"    v = self.{spec.attr}")
        if spec.keep_null:
            lines.append(f"    out[{spec.key!r}] = None if v is None else {value}")
        else:
            lines.append(f"    if v is not None: out[{spec.key!r}] = {value}")
    lines.append("    return out")
    exec("\n".join(lines), encoders)  # our own field names and keys, nothing a user wrote
    writer: Callable[[Any], dict[str, Any]] = encoders["to_json"]
    return writer


class JsonStruct:
    """Mixin for frozen dataclasses that map one-to-one to a JSON object."""

    __slots__ = ()
    _error: ClassVar[type[ProtocolError]] = ProtocolError
    #: True for responses, where Gson reads ``"key": null`` as an absent key.
    _null_is_absent: ClassVar[bool] = False
    _specs_cache: ClassVar[dict[type, tuple[_FieldSpec, ...]]] = {}
    _writer_cache: ClassVar[dict[type, Callable[[Any], dict[str, Any]]]] = {}

    @classmethod
    def _specs(cls) -> tuple[_FieldSpec, ...]:
        specs = JsonStruct._specs_cache.get(cls)
        if specs is None:
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
            specs = tuple(_FieldSpec(f) for f in fields)
            JsonStruct._specs_cache[cls] = specs
        return specs

    @classmethod
    def from_json(cls: type[M], data: Any, *, path: str = "$") -> M:
        """Build the object from decoded JSON, checking every key and type."""
        error = cls._error
        if not isinstance(data, Mapping):
            raise error(path, f"expected an object, got {json_type(data)} {data!r:.60}")
        specs = cls._specs()
        known = {spec.key for spec in specs}
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else ("known keys: " + ", ".join(sorted(known)))
                )
                raise error(f"{path}.{key}", "unknown key", hint)
        kwargs: dict[str, Any] = {}
        for spec in specs:
            if spec.key not in data:
                if spec.required:
                    raise error(f"{path}.{spec.key}", "missing required key")
                kwargs[spec.attr] = None
                continue
            value = data[spec.key]
            if value is None:
                if not (spec.keep_null or cls._null_is_absent):
                    raise error(
                        f"{path}.{spec.key}",
                        "null value",
                        "the platform leaves a key out rather than sending null",
                    )
                kwargs[spec.attr] = None
            else:
                kwargs[spec.attr] = spec.codec.decode(value, f"{path}.{spec.key}", error)
        obj = cls(**kwargs)
        obj._check(path)
        return obj

    def _check(self, path: str) -> None:
        """Cross-field rules; overridden by structs that have any."""

    @classmethod
    def _writer(cls) -> Callable[[Any], dict[str, Any]]:
        writer = JsonStruct._writer_cache.get(cls)
        if writer is None:
            writer = _compile_writer(cls._specs())
            JsonStruct._writer_cache[cls] = writer
        return writer

    def to_json(self) -> dict[str, Any]:
        """The object as plain JSON values, keys in wire order, absent fields left out."""
        return self._writer()(self)
