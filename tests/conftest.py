from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

# cryptography's compiled core keeps the classes of its first import.  pytester forgets
# the modules a run imported, so a certificate made after an in-process run that made
# one would meet a second copy of them ("curve must be an EllipticCurve instance").
# Imported here first, they are never forgotten.
with contextlib.suppress(ImportError):  # the tls extra is optional
    from cryptography.hazmat.primitives.asymmetric import ec as _ec  # noqa: F401
# The same for requests and PyYAML: a handler's thread that calls back with requests,
# or libyaml's compiled parser, would otherwise meet a second copy of their classes
# ("You can only merge into CookieJar") after a pytester run imported them again.
import requests  # noqa: E402, F401
import yaml  # noqa: E402, F401

ROOT = Path(__file__).resolve().parent.parent
#: The protocol's byte and signature vectors, shipped with the tests (a copy of
#: ``../shared/vectors``; test_vectors_match_the_shared_copy keeps them equal).
VECTORS = Path(__file__).resolve().parent / "vectors"


@pytest.fixture(scope="session")
def shared_vectors() -> Path:
    """The protocol's vector folder, shipped in the test tree."""
    return VECTORS


@pytest.fixture(scope="session")
def signature_vectors(shared_vectors: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((shared_vectors / "signatures.json").read_text())
    return data
