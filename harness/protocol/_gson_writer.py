"""Write JSON byte-for-byte the way the platform's Gson writer does.

The platform serializes webhook bodies with a default ``Gson`` instance:
compact, UTF-8, HTML-safe escaping on, nulls omitted from objects, doubles
through ``Double.toString``.  :func:`dumps` reproduces that from plain Python
JSON values (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``,
``None``): a ``float`` is a Java ``double`` and an ``int`` a Java ``int`` or
``long``, so ``1.0`` is written ``1.0`` and ``1`` is written ``1``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from harness._errors import SerializationError, describe

__all__ = [
    "dumps",
    "dumps_fast",
    "finish",
    "java_double",
    "java_hash_order",
    "java_map",
    "java_string_hash",
]

# Gson's JsonWriter.HTML_SAFE_REPLACEMENT_CHARS: control characters as \uXXXX
# (lowercase hex) except the five with short escapes, quote and backslash, the
# five HTML-sensitive characters, and the two JavaScript line separators.
_ESCAPES: dict[str, str] = {chr(i): f"\\u{i:04x}" for i in range(0x20)}
_ESCAPES.update(
    {
        '"': '\\"',
        "\\": "\\\\",
        "\t": "\\t",
        "\b": "\\b",
        "\n": "\\n",
        "\r": "\\r",
        "\f": "\\f",
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "=": "\\u003d",
        "'": "\\u0027",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)
_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
# Java's UTF-8 encoder writes '?' for a surrogate that is not part of a pair.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_match(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _string(value: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_match, value) + '"'


def java_double(value: float) -> str:
    """Format ``value`` like Java's ``Double.toString``.

    Plain decimal notation for magnitudes in ``[1e-3, 1e7)``, otherwise
    computerized scientific notation (``5.0E-4``, ``1.23456789E7``); always at
    least one digit after the point.  The digits are the shortest that round
    trip (the algorithm of JDK 19 and later; JDK 8 picks a longer digit string
    for a few rare values such as ``2.0E23``).
    """
    if math.isnan(value) or math.isinf(value):
        raise SerializationError(
            f"cannot write {describe(value)} as JSON: Gson refuses NaN and Infinity "
            "(hint: use a finite number)"
        )
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    if len(digits) == 1:
        # Java prints at least two significant digits and picks the two-digit
        # decimal nearest the exact value: Double.MIN_VALUE is 4.9E-324, not 5.0E-324.
        exact = Decimal(value)
        two = exact.scaleb(-exact.adjusted() + 1).to_integral_value(ROUND_HALF_EVEN)
        candidate = two.scaleb(exact.adjusted() - 1)
        if float(candidate) == value and two % 10:
            sign, digit_tuple, exponent = candidate.as_tuple()
            assert isinstance(exponent, int)
            digits = "".join(map(str, digit_tuple))
    # Value = 0.d1d2d3... x 10^point
    point = len(digit_tuple) + exponent
    prefix = "-" if sign else ""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            return prefix + "0." + "0" * -point + digits
        if point >= len(digits):
            return prefix + digits + "0" * (point - len(digits)) + ".0"
        return prefix + digits[:point] + "." + digits[point:]
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{prefix}{mantissa}E{point - 1}"


def _write(value: Any, out: list[str], path: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(java_double(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if item is None:
                continue  # Gson drops null members and null map entries
            if not isinstance(key, str):
                raise SerializationError(
                    f"cannot write the key {describe(key)} at {path}: JSON object keys "
                    "must be str (hint: convert the key with str())"
                )
            if not first:
                out.append(",")
            first = False
            out.append(_string(key))
            out.append(":")
            _write(item, out, f"{path}.{key}")
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, f"{path}[{index}]")  # nulls in arrays are kept
        out.append("]")
    else:
        raise SerializationError(
            f"cannot write {describe(value)} at {path} as JSON "
            "(hint: use dict, list, str, int, float, bool or None)"
        )


def dumps(value: Any) -> bytes:
    """Serialize ``value`` to the exact bytes the platform's Gson would send."""
    out: list[str] = []
    _write(value, out, "$")
    text = "".join(out)
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub("?", text)
    return text.encode("utf-8")


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` as a signed 32-bit int (over UTF-16 units)."""
    h = 0
    data = text.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


_TREEIFY_THRESHOLD = 8
_MIN_TREEIFY_CAPACITY = 64


def java_hash_order(keys: Iterable[str]) -> list[str]:
    """The iteration order of a ``java.util.HashMap`` after ``put`` of ``keys``.

    The platform builds ``variablesMap``, ``context`` and the other maps it
    sends as ``HashMap`` instances, so their keys come out in bucket order,
    not in insertion or sorted order.  This emulates the default table (16
    buckets, load factor 0.75, doubling on resize, a resize instead of a tree
    while the table is smaller than 64).  Bins turned into trees (8 or more
    colliding keys in a table of 64 or more) are kept in insertion order,
    which is what Java does in all but contrived cases.
    """
    capacity = 16
    spread: dict[str, int] = {}
    buckets: dict[int, list[str]] = {}
    for key in keys:
        if key in spread:
            continue
        h = java_string_hash(key) & 0xFFFFFFFF
        spread[key] = h ^ (h >> 16)
        bin_keys = buckets.setdefault(spread[key] & (capacity - 1), [])
        bin_keys.append(key)
        grow = len(spread) > capacity * 3 // 4
        if len(bin_keys) > _TREEIFY_THRESHOLD and capacity < _MIN_TREEIFY_CAPACITY:
            grow = True
        if grow:
            capacity *= 2
            # A resize splits each bin in two, keeping the relative order.
            rebuilt: dict[int, list[str]] = {}
            for index in sorted(buckets):
                for moved in buckets[index]:
                    rebuilt.setdefault(spread[moved] & (capacity - 1), []).append(moved)
            buckets = rebuilt
    return [key for index in sorted(buckets) for key in buckets[index]]


_HTML_SAFE = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("=", "\\u003d"),
    ("'", "\\u0027"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _repr_is_java(value: float) -> bool:
    """True when Python's repr of ``value`` is already Java's Double.toString."""
    return value == 0.0 or 1e-3 <= abs(value) < 1e7


def finish(text: str) -> bytes:
    """The bytes of compact JSON ``text`` written by Python's C encoder (or from
    its pieces), as Gson sends them: the HTML-sensitive characters escaped (in
    compact JSON they can only stand inside strings, so a plain replacement is
    exact), UTF-8, and ``?`` for a surrogate, as Java's encoder writes one that is
    not part of a pair (what :func:`dumps` writes too)."""
    for char, escape in _HTML_SAFE:
        if char in text:  # str.replace is C-fast; most bodies need few of these
            text = text.replace(char, escape)
    return text.encode("utf-8", "replace")


def dumps_fast(value: Any, floats: Iterable[float]) -> bytes:
    """:func:`dumps` through the C JSON encoder, for trusted values.

    The caller guarantees that ``value`` has no None in objects and no
    non-str keys, and lists every float it contains in ``floats``.  Gson's
    escapes are applied afterwards (:func:`finish`).  Falls back to :func:`dumps`
    for floats whose Python repr differs from Java's.
    """
    if not all(map(_repr_is_java, floats)):
        return dumps(value)
    return finish(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


@lru_cache(maxsize=1024)
def _hash_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(java_hash_order(keys))


def java_map(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` in the order a ``HashMap`` of the same keys iterates (the order
    of every map the platform writes); the orders of recent key sets are kept."""
    return {key: mapping[key] for key in _hash_order(tuple(mapping))}
