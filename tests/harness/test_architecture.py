"""docs/architecture.md stays true: every module it names exists, every module is
named, and the package has no import circle (imports inside functions count)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text("utf-8")


def _named() -> set[str]:
    return set(re.findall(r"`((?:pytest_botwebhook/)?[\w]+\.py)`", DOC))


def _modules() -> set[str]:
    own = {p.name for p in (ROOT / "harness").glob("*.py")}
    plugin = {f"pytest_botwebhook/{p.name}" for p in (ROOT / "pytest_botwebhook").glob("*.py")}
    return own | plugin - {"pytest_botwebhook/__init__.py"}


def test_every_module_named_exists() -> None:
    missing = {name for name in _named() if not (ROOT / "harness" / name).exists()
               and not (ROOT / name).exists()}  # fmt: skip
    assert missing == set()


def test_every_module_is_named() -> None:
    assert _modules() - _named() == set()


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness"):
            if node.module == "harness":
                found |= {f"harness.{a.name}" for a in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("harness.")}
    return found


def test_no_import_circle() -> None:
    graph = {
        f"harness.{p.stem}": _imports(p) - {f"harness.{p.stem}", "harness"}
        for p in (ROOT / "harness").glob("*.py")
        if p.stem != "__init__"
    }
    circles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dependency in sorted(graph.get(module, ())):
            if state.get(dependency) == 1:
                circles.append(" -> ".join([*stack[stack.index(dependency) :], dependency]))
            elif dependency not in state and dependency in graph:
                visit(dependency)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_no_module_is_a_god_module() -> None:
    sizes = {
        p.name: len(p.read_text("utf-8").splitlines())
        for folder in ("harness", "pytest_botwebhook")
        for p in (ROOT / folder).glob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 400} == {}
