"""Gson-exact writing: Java doubles, HTML-safe escaping, nulls, HashMap order."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.errors import SerializationError
from harness.protocol import gson_dumps, java_double, java_hash_order, java_string_hash

# (value, Double.toString) across the 1e-3 and 1e7 thresholds, negative, zero.
JAVA_DOUBLES = [
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (1.0, "1.0"),
    (-1.0, "-1.0"),
    (0.5, "0.5"),
    (0.937956076610585, "0.937956076610585"),
    (0.87654321, "0.87654321"),
    (0.052, "0.052"),
    (0.001, "0.001"),
    (0.0009999, "9.999E-4"),
    (5.0e-4, "5.0E-4"),
    (-5.0e-4, "-5.0E-4"),
    (1.0e-5, "1.0E-5"),
    (1.5e-10, "1.5E-10"),
    (123456.789, "123456.789"),
    (9999999.0, "9999999.0"),
    (9999999.99, "9999999.99"),
    (1.0e7, "1.0E7"),
    (12345678.9, "1.23456789E7"),
    (-12345678.9, "-1.23456789E7"),
    (1.0e21, "1.0E21"),
    (100.0, "100.0"),
    (0.1, "0.1"),
    (0.3, "0.3"),
    (1.7976931348623157e308, "1.7976931348623157E308"),
    (4.9e-324, "4.9E-324"),
    (2.2250738585072014e-308, "2.2250738585072014E-308"),
]


@pytest.mark.parametrize(("value", "expected"), JAVA_DOUBLES)
def test_java_double_table(value: float, expected: str) -> None:
    assert java_double(value) == expected


def test_java_double_round_trips() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = rng.uniform(-1e9, 1e9) * 10 ** rng.randint(-12, 12)
        assert float(java_double(value)) == value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_java_double_refuses_non_finite(value: float) -> None:
    with pytest.raises(SerializationError, match="NaN and Infinity"):
        java_double(value)


@pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None,
    reason="needs a JDK to compare with the real Double.toString",
)
def test_java_double_matches_real_java(tmp_path: Path) -> None:
    source = tmp_path / "D.java"
    source.write_text(
        "public class D { public static void main(String[] a) {"
        " for (String s : a) System.out.println(Double.toString(Double.parseDouble(s))); } }"
    )
    subprocess.run(["javac", str(source)], check=True, cwd=tmp_path)
    rng = random.Random(11)
    values = [v for v, _ in JAVA_DOUBLES if v != 4.9e-324]
    values += [rng.random() for _ in range(300)]  # scores
    values += [rng.randint(0, 10**6) / 1000 for _ in range(100)]  # elapsed times
    values += [round(rng.random(), rng.randint(1, 9)) for _ in range(100)]
    result = subprocess.run(
        ["java", "-cp", str(tmp_path), "D", *map(repr, values)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == [java_double(v) for v in values]


ESCAPES = [
    ("<", '"\\u003c"'),
    (">", '"\\u003e"'),
    ("&", '"\\u0026"'),
    ("=", '"\\u003d"'),
    ("'", '"\\u0027"'),
    ("I'll", '"I\\u0027ll"'),
    ("\u2028", '"\\u2028"'),
    ("\u2029", '"\\u2029"'),
    ('"', '"\\""'),
    ("\\", '"\\\\"'),
    ("\n", '"\\n"'),
    ("\r", '"\\r"'),
    ("\t", '"\\t"'),
    ("\b", '"\\b"'),
    ("\f", '"\\f"'),
    ("\x00", '"\\u0000"'),
    ("\x1f", '"\\u001f"'),
    ("\x7f", '"\x7f"'),
    ("/", '"/"'),
    ("café", '"café"'),
    ("🍕", '"🍕"'),
    ("日本語", '"日本語"'),
]


@pytest.mark.parametrize(("text", "expected"), ESCAPES)
def test_escaping_table(text: str, expected: str) -> None:
    assert gson_dumps(text) == expected.encode("utf-8")


def test_keys_are_escaped_too() -> None:
    assert gson_dumps({"a=b": 1}) == b'{"a\\u003db":1}'


def test_lone_surrogate_is_written_as_question_mark_like_java() -> None:
    assert gson_dumps("a\ud800b") == b'"a?b"'


def test_nulls_dropped_from_objects_kept_in_arrays() -> None:
    assert gson_dumps({"a": None, "b": [None, 1], "c": {"d": None}}) == b'{"b":[null,1],"c":{}}'


def test_compact_no_trailing_newline_ints_and_bools() -> None:
    assert gson_dumps({"i": 1568901234567, "t": True, "f": False, "d": 2.0}) == (
        b'{"i":1568901234567,"t":true,"f":false,"d":2.0}'
    )


@pytest.mark.parametrize("bad", [object(), {1: "a"}, b"bytes", {1.5}])
def test_unserializable_values_raise(bad: object) -> None:
    with pytest.raises(SerializationError, match=r"\$"):
        gson_dumps(bad)


def test_java_string_hash_matches_known_values() -> None:
    # Values of "".hashCode() etc. as printed by Java.
    assert java_string_hash("") == 0
    assert java_string_hash("a") == 97
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -2147483648
    assert java_string_hash("😀") == 0xD83D * 31 + 0xDE00  # UTF-16 surrogate pair


def test_java_hash_order_matches_the_platform_vector() -> None:
    # The shape-B vector: memoryVariables order guests, cuisine, date;
    # variablesMap (a HashMap) order date, guests, cuisine.
    assert java_hash_order(["guests", "cuisine", "date"]) == ["date", "guests", "cuisine"]
    assert java_hash_order(["cuisine", "guests"]) == ["guests", "cuisine"]


def test_java_hash_order_resizes_like_hashmap() -> None:
    keys = [f"k{i}" for i in range(40)]
    order = java_hash_order(keys)
    assert sorted(order) == sorted(keys)

    # 40 keys need a 64-bucket table: order is by (hash ^ hash>>>16) & 63.
    def bucket(k: str) -> int:
        h = java_string_hash(k) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & 63

    assert [bucket(k) for k in order] == sorted(bucket(k) for k in keys)
