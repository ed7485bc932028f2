"""Every public import path stays where users found it.

``public_names.json`` is the ``__all__`` of every public namespace as it stood
before the modules moved into folders by concept (issue 25).  A name may be
added to a namespace (add it to the file too); none may move or disappear.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

KNOWN = json.loads((Path(__file__).parent / "public_names.json").read_text("utf-8"))


@pytest.mark.parametrize("namespace", sorted(KNOWN))
def test_a_namespace_keeps_every_public_name(namespace: str) -> None:
    if namespace == "harness.locust":  # gevent patches the standard library: a child
        if importlib.util.find_spec("locust") is None:
            pytest.skip("Locust is not installed (the load extra)")
        code = (
            "import json, harness.locust as m;"
            "print(json.dumps([sorted(m.__all__), [n for n in m.__all__ if not hasattr(m, n)]]))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout.splitlines()[-1]) == [KNOWN[namespace], []]
        return
    module = importlib.import_module(namespace)
    assert sorted(module.__all__) == KNOWN[namespace]
    missing = [name for name in KNOWN[namespace] if not hasattr(module, name)]
    assert missing == []


def test_the_snapshot_covers_every_public_namespace() -> None:
    root = Path(importlib.import_module("harness").__file__).parent
    fronts = {"harness"} | {
        f"harness.{p.stem}" for p in root.glob("*.py") if not p.stem.startswith("_")
    } | {
        f"harness.{p.parent.name}" for p in root.glob("*/__init__.py")
    }  # fmt: skip
    assert fronts - set(KNOWN) <= {"harness.delivery", "harness.load"}
