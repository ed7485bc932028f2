"""Strict JSON reading: exact UTF-8, no duplicate keys, no NaN, nothing dropped."""

from __future__ import annotations

import json
from typing import Any

from harness._errors import ProtocolError, describe, require_type

__all__ = ["loads_strict"]


def _no_duplicates(error: type[ProtocolError]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error(
                    f"$..{key}",
                    "duplicate key",
                    "a JSON parser keeps only one of the two values; remove the other",
                )
            out[key] = value
        return out

    return hook


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: bytes | bytearray | memoryview | str, error: type[ProtocolError]) -> Any:
    """Parse a JSON document, raising ``error`` (with a path) on anything doubtful."""
    require_type("data", data, (bytes, bytearray, memoryview, str), "pass the body's bytes")
    if isinstance(data, str):
        text = data
    else:
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(
                "$", f"not UTF-8: byte {raw[exc.start]:#04x} at offset {exc.start}"
            ) from exc
    if text.startswith("\ufeff"):
        raise error("$", "starts with a byte order mark", "the platform never sends one")
    if not text.strip():
        raise error("$", "empty document", "expected a JSON object")
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicates(error), parse_constant=_no_constant
        )
    except ProtocolError:
        raise
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        col = getattr(exc, "colno", None)
        where = f" at line {line} column {col}" if line is not None else ""
        msg = getattr(exc, "msg", str(exc))
        raise error("$", f"invalid JSON{where}: {msg}") from exc
    except RecursionError as exc:
        raise error("$", f"JSON nested too deeply to read ({describe(len(text))} chars)") from exc
