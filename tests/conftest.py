from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def shared_vectors() -> Path:
    """The protocol's shared vector folder (``../shared/vectors`` beside the checkout)."""
    if not SHARED_VECTORS.is_dir():
        pytest.skip(f"shared vectors not found at {SHARED_VECTORS}")
    return SHARED_VECTORS


@pytest.fixture(scope="session")
def signature_vectors(shared_vectors: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((shared_vectors / "signatures.json").read_text())
    return data
