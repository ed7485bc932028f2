"""docs/architecture.md stays true.

Every module it names exists and every module is named; ``harness/`` holds the
folders by concept, their fronts and the few modules every layer shares; no
folder imports a folder above it; and no module imports itself back in a circle
(imports inside functions count).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "harness"
DOC = (ROOT / "docs" / "architecture.md").read_text("utf-8")

#: The folders, lowest first: each imports only from the folders before it (and
#: from the shared modules).  The same order is the table of docs/architecture.md.
LAYERS = (
    "shared",
    "protocol",
    "model",
    "platform",
    "reference",
    "delivery",
    "checks",
    "replay",
    "mocks",
    "conversations",
    "load",
    "cli",
)
#: The modules at the top of harness/ and the layer each belongs to.  The fronts
#: only hand names on (``None``): they may take from any folder.
TOP = {
    "_errors": "shared",
    "_patterns": "shared",
    "_limits": "shared",
    "_lazy": "shared",
    "_interrupt": "shared",
    "_version": "shared",
    "errors": "shared",
    "reference": "reference",
    "__init__": None,
    "strategies": None,
    "locust": None,
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) == 1:
        return TOP["__init__"]
    if (HARNESS / parts[1]).is_dir():
        return parts[1]
    return TOP[parts[1]]


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only,
    which run at no import and close no circle)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _imports(path: Path) -> set[str]:
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness"):
            for alias in node.names:  # ``from harness.model import _langdata`` is a module
                child = f"{node.module}.{alias.name}"
                known = (ROOT / child.replace(".", "/")).with_suffix(".py").exists()
                found.add(child if known else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("harness")}
    return found


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) - {_module(p)} for p in HARNESS.rglob("*.py")}


def _named() -> set[str]:
    return set(re.findall(r"`((?:pytest_botwebhook/|[a-z]+/)?_{0,2}\w+\.py)`", DOC))


def _modules() -> set[str]:
    own = {p.relative_to(HARNESS).as_posix() for p in HARNESS.rglob("*.py")}
    plugin = {f"pytest_botwebhook/{p.name}" for p in (ROOT / "pytest_botwebhook").glob("*.py")}
    return own | plugin - {"pytest_botwebhook/__init__.py"}


def test_every_module_named_exists() -> None:
    missing = {name for name in _named() if not (HARNESS / name).exists()
               and not (ROOT / name).exists()}  # fmt: skip
    assert missing == set()


def test_every_module_is_named() -> None:
    assert _modules() - _named() == set()


def test_the_top_of_harness_shows_the_concepts() -> None:
    folders = {p.name for p in HARNESS.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(LAYERS) - {"shared", "reference"}
    assert {p.stem for p in HARNESS.glob("*.py")} == set(TOP)
    for folder in folders:  # each folder is in the map with a line of its own
        assert re.search(rf"^\| `{folder}/` \|", DOC, re.M), folder


def test_no_folder_imports_a_folder_above_it() -> None:
    up = []
    for module, imported in sorted(_graph().items()):
        layer = _layer(module)
        if layer is None:
            continue
        for dependency in sorted(imported):
            other = _layer(dependency)
            if other is not None and LAYERS.index(other) > LAYERS.index(layer):
                up.append(f"{module} ({layer}) imports {dependency} ({other})")
    assert up == []


def test_nothing_but_a_front_imports_a_front() -> None:
    fronts = {"harness", "harness.strategies", "harness.locust"}
    taken = {
        f"{module} imports {dependency}"
        for module, imported in _graph().items()
        for dependency in imported & fronts
        if module not in fronts
    }
    assert taken == set()


def _circles(graph: dict[str, set[str]]) -> list[str]:
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
    return circles


def test_no_import_circle() -> None:
    graph = _graph()
    for path in (ROOT / "pytest_botwebhook").glob("*.py"):
        name = f"pytest_botwebhook.{path.stem}"
        tree = ast.parse(path.read_text("utf-8"))
        graph[name] = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytest_bot")
        } - {name, "pytest_botwebhook"}
    # A package's face imports its members and they never import it back.
    faces = {m for m in graph if (ROOT / m.replace(".", "/") / "__init__.py").exists()}
    for module, imported in graph.items():
        if module not in faces and not module.endswith(".__main__"):
            assert not {f for f in imported & faces if module.startswith(f + ".")}, module
    assert _circles(graph) == []


def test_no_module_is_a_god_module() -> None:
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text("utf-8").splitlines())
        for folder in ("harness", "pytest_botwebhook")
        for p in (ROOT / folder).rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_request_bodies_have_one_writer() -> None:
    """Bodies are written by ``WebhookRequest.to_bytes`` alone: the dialogue and the
    mutations build typed requests; the payload factory fills templates, which are
    that writer's bytes with holes (``protocol/_json_template.py``, held to it in
    ``test_json_template.py``).  Redaction rewrites recorded bytes value by value,
    and so writes JSON itself."""
    writers = set()
    for path in HARNESS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "harness.protocol._gson_writer"
                and {a.name for a in node.names} & {"dumps", "dumps_fast"}
            ):
                writers.add(path.relative_to(HARNESS).as_posix())
    assert writers == {
        "protocol/_request.py",
        "protocol/__init__.py",
        "protocol/_json_template.py",
        "replay/_redact.py",
    }
