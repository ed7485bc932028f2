"""A struct's exact bytes with holes, for writing many bodies of one layout fast.

:meth:`JsonTemplate.of` writes a struct through its one writer (``to_json`` and the
Gson writer) with the named fields left as holes; :meth:`JsonTemplate.fill` puts
the JSON text of new values in the holes.  So the key order, the keys left out
and every constant value come from the one writer, written once; only the
values change, and those are written by the functions below, which write what
the Gson writer writes for them.  :func:`finish` turns a filled text into the
body's bytes (the Gson HTML-safe escapes, UTF-8), as for every body the C
encoder writes.

The payload factory builds its bodies this way: the cost of a body is then that
of its values, not of walking and encoding a tree (issue 28).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from harness.protocol._gson_writer import dumps, finish, java_hash_order
from harness.protocol._json_struct import JsonStruct

__all__ = [
    "JsonTemplate",
    "MapLayout",
    "finish",
    "list_text",
    "map_layout",
    "string_text",
]

#: A JSON string's text, quotes included: the C encoder's escapes are Gson's for every
#: character but the HTML-sensitive ones and U+2028/U+2029, which :func:`finish` writes.
string_text = json.encoder.encode_basestring


def list_text(items: Iterable[str]) -> str:
    """A JSON array of values already written as JSON text."""
    return "[" + ",".join(items) + "]"


class MapLayout:
    """A ``HashMap``'s keys in its iteration order (:func:`java_hash_order`), each
    written once as ``"key":``: a map of these keys then costs its values alone."""

    __slots__ = ("items", "keys")

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(java_hash_order(keys))
        self.items = tuple((key, string_text(key) + ":") for key in self.keys)

    def strings(self, mapping: Mapping[str, str]) -> str:
        """The map of these keys to ``mapping``'s strings, as the platform writes it."""
        return "{" + ",".join([key + string_text(mapping[name]) for name, key in self.items]) + "}"

    def texts(self, mapping: Mapping[str, str]) -> str:
        """The map of these keys to ``mapping``'s values, already JSON text."""
        return "{" + ",".join([key + mapping[name] for name, key in self.items]) + "}"


@lru_cache(maxsize=1024)
def map_layout(keys: tuple[str, ...]) -> MapLayout:
    """The :class:`MapLayout` of ``keys`` (put in this order), kept for the recent key
    sets."""
    return MapLayout(keys)


_HOLE = "\ue000{}\ue001"


class JsonTemplate:
    """The text of one struct with some fields as holes; see the module's doc."""

    __slots__ = ("fill", "holes")

    def __init__(self, fragments: list[str], holes: tuple[str, ...]) -> None:
        self.holes = holes
        #: ``fill(*texts)``: the struct's text with ``texts`` (JSON text, one per hole,
        #: ints as they are) in the holes.  Written out once as one f-string (as
        #: ``dataclasses`` writes ``__init__``): a fill is then one C join of its parts.
        self.fill: Callable[..., str] = _filler(len(holes), tuple(fragments))

    @classmethod
    def of(cls, struct: JsonStruct, *holes: str) -> JsonTemplate:
        """``struct``'s text with the fields named in ``holes`` (attribute names, in
        wire order) left open.  Every hole must hold a value in ``struct`` (a
        field left out would move its key), and the rest is written as it is."""
        data = struct.to_json()
        keys = {spec.attr: spec.key for spec in type(struct)._specs()}
        for number, attr in enumerate(holes):
            key = keys[attr]
            if key not in data:
                raise ValueError(f"{type(struct).__name__}.{attr} is a hole but holds None")
            data[key] = _HOLE.format(number)
        text = dumps(data).decode("utf-8")
        fragments = []
        for number in range(len(holes)):
            before, found, text = text.partition('"' + _HOLE.format(number) + '"')
            if not found or _HOLE[0] in before:
                raise ValueError(f"the holes of {type(struct).__name__} are not in wire order")
            fragments.append(before)
        fragments.append(text)
        return cls(fragments, holes)


def _filler(holes: int, fragments: tuple[str, ...]) -> Callable[..., str]:
    names = [f"h{i}" for i in range(holes)]
    constants = [f"_f{i}=_F[{i}]" for i in range(holes + 1)]  # locals: the fastest loads
    parts = "".join(f"{{_f{i}}}{{{name}}}" for i, name in enumerate(names))
    source = f"def fill({', '.join(names + constants)}):\n    return f'{parts}{{_f{holes}}}'\n"
    scope: dict[str, Any] = {"_F": fragments}
    exec(source, scope)  # our own names; the fragments are data, never code
    fill: Callable[..., str] = scope["fill"]
    return fill
