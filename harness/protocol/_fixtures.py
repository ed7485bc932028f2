"""Canonical fixtures: exact platform request bodies, responses and JSON Schemas.

The data lives in the project's top-level ``fixtures/`` folder; wheels carry
it inside the ``harness`` package (``harness/fixtures``), so the same names
load from a source checkout, an editable install and an installed wheel.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

from harness._errors import BotWebhookValueError, UnknownFixtureError, require_type
from harness.protocol._request import WebhookRequest
from harness.protocol._response import WebhookResponse

__all__ = [
    "FixtureInfo",
    "fixture_info",
    "fixture_names",
    "load_fixture",
    "load_request",
    "load_response",
    "load_schema",
]

FixtureKind = Literal["request", "response"]


class _Resource(Protocol):
    """What we use of ``importlib.resources`` Traversables and of ``Path``."""

    def joinpath(self, child: str, /) -> _Resource: ...
    def is_file(self) -> bool: ...
    def read_bytes(self) -> bytes: ...
    def read_text(self, encoding: str | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class FixtureInfo:
    """What the fixture index says of one fixture."""

    name: str
    kind: FixtureKind
    file: str
    description: str


@cache
def _root() -> _Resource:
    packaged: _Resource = resources.files("harness").joinpath("fixtures")
    if packaged.joinpath("index.json").is_file():
        return packaged
    checkout: _Resource = Path(__file__).resolve().parents[2] / "fixtures"
    if checkout.joinpath("index.json").is_file():
        return checkout
    raise UnknownFixtureError(  # pragma: no cover - a broken install
        f"the fixtures data is missing: looked in {packaged} and {checkout} "
        "(hint: reinstall pytest-botwebhook)"
    )


@cache
def _index() -> dict[str, FixtureInfo]:
    entries = json.loads(_root().joinpath("index.json").read_text("utf-8"))
    return {
        e["name"]: FixtureInfo(e["name"], e["kind"], e["file"], e["description"]) for e in entries
    }


def fixture_names(kind: FixtureKind | None = None) -> list[str]:
    """Names of the canonical fixtures, optionally only requests or responses."""
    if kind not in (None, "request", "response"):
        raise BotWebhookValueError(
            f"unknown fixture kind {kind!r} for kind (hint: 'request', 'response' or None)"
        )
    return [name for name, info in _index().items() if kind is None or info.kind == kind]


def fixture_info(name: str) -> FixtureInfo:
    """The index entry of one fixture; :class:`UnknownFixtureError` if there is none."""
    require_type("name", name, str, "pass a fixture name such as 'colour_shape_a'")
    index = _index()
    if name not in index:
        close = difflib.get_close_matches(name, list(index), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "available: " + ", ".join(index)
        raise UnknownFixtureError(f"there is no fixture called {name!r} (hint: {hint})")
    return index[name]


def load_fixture(name: str) -> bytes:
    """The exact bytes of a fixture (a request body as the platform sends it)."""
    return _root().joinpath(fixture_info(name).file).read_bytes()


def _of_kind(name: str, kind: FixtureKind) -> bytes:
    info = fixture_info(name)
    if info.kind != kind:
        raise UnknownFixtureError(
            f"fixture {name!r} for name is a {info.kind}, not a {kind} "
            f"(hint: {kind} fixtures: {', '.join(fixture_names(kind))})"
        )
    return load_fixture(name)


def load_request(name: str) -> WebhookRequest:
    """A request fixture parsed into a :class:`WebhookRequest`."""
    return WebhookRequest.from_bytes(_of_kind(name, "request"))


def load_response(name: str) -> WebhookResponse:
    """A response fixture parsed into a :class:`WebhookResponse`."""
    return WebhookResponse.from_bytes(_of_kind(name, "response"))


def load_schema(kind: FixtureKind) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for requests or responses."""
    if kind not in ("request", "response"):
        raise BotWebhookValueError(f"no schema for kind={kind!r} (hint: 'request' or 'response')")
    data: dict[str, Any] = json.loads(
        _root().joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    )
    return data
