"""The public surface is exactly what __all__ says, and the core never imports pytest."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bw_manual import manual_text

import harness
import pytest_botwebhook

#: The top level: what a user of deliver / run_check / fuzz, payloads, signing and
#: the mocks needs.  Everything else is in a namespace below.
PUBLIC = {
    "BotModel",
    "BotWebhookError",
    "CallbackMock",
    "Exchange",
    "Finding",
    "FuzzReport",
    "LiveWebhookServer",
    "Outcome",
    "Payload",
    "PayloadFactory",
    "Report",
    "Secret",
    "Target",
    "WebhookMock",
    "__version__",
    "build_payload",
    "deliver",
    "fuzz",
    "generate_secret",
    "load_model",
    "load_target",
    "run_check",
    "sign",
    "verify",
}
NAMESPACES = [
    "harness.errors",
    "harness.protocol",
    "harness.platform",
    "harness.model",
    "harness.checks",
    "harness.conversations",
    "harness.replay",
    "harness.mocks",
    "harness.strategies",
    "harness.reference",
]
README = manual_text()  # the README and the manual's pages


def test_harness_all_is_exactly_the_public_surface() -> None:
    assert set(harness.__all__) == PUBLIC
    assert len(harness.__all__) == len(PUBLIC)
    for name in harness.__all__:
        assert hasattr(harness, name), name
    public_attrs = {n for n in vars(harness) if not n.startswith("_")} - {"annotations"}
    # a folder becomes an attribute once a module of it is imported
    folders = {"cli", "delivery", "load"}
    assert public_attrs <= PUBLIC | {n.split(".")[1] for n in NAMESPACES} | folders


@pytest.mark.parametrize("namespace", ["harness", *NAMESPACES])
def test_every_public_name_is_importable_and_documented(namespace: str) -> None:
    module = importlib.import_module(namespace)
    assert module.__doc__, namespace
    for name in module.__all__:
        value = getattr(module, name)  # importable (lazy names load here)
        if name == "__version__":
            continue
        where = f"{namespace}.{name}"
        if callable(value) and getattr(value, "__module__", "").startswith("harness"):
            assert value.__doc__, f"{where} has no docstring"
        assert re.search(rf"\b{re.escape(name)}\b", README), f"{where} is not in the manual"


def test_nothing_outside_harness_imports_a_private_module() -> None:
    root = Path(__file__).resolve().parents[2]
    private = re.compile(r"^\s*(from|import) harness\._", re.M)
    offenders = [
        str(path.relative_to(root))
        for folder in ("pytest_botwebhook", "tests", "bench")
        for path in (root / folder).rglob("*.py")
        if private.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_plugin_package_surface() -> None:
    assert set(pytest_botwebhook.__all__) == {
        "TEST_SECRET",
        "BotWebhookClient",
        "PayloadBuilder",
        "contract_suite",
        "fuzz_suite",
        "replay_suite",
    }
    for name in pytest_botwebhook.__all__:
        assert getattr(pytest_botwebhook, name) is not None


def test_faker_is_imported_only_when_the_factory_is_used() -> None:
    code = (
        "import sys, harness\n"
        "before = 'faker' in sys.modules\n"
        "harness.PayloadFactory\n"
        "print(before, 'faker' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_core_does_not_import_pytest() -> None:
    code = "import sys, harness, harness.cli; print('pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_package_loads_no_server_and_no_generator() -> None:
    """A folder's front runs whenever one of its modules is imported: what it loads
    eagerly must stay light (``pip install --no-deps`` and ``import harness`` works)."""
    heavy = ("werkzeug", "faker", "hypothesis", "yaml", "requests")
    code = (
        "import sys, harness\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
