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

# And for Hypothesis with our strategies: a pytester run that imported them first would
# leave ``harness.checks._strategies`` (an attribute of its package, which stays) holding
# the forgotten Hypothesis, whose strategies the next one no longer takes for strategies.
import harness.strategies  # noqa: E402, F401

ROOT = Path(__file__).resolve().parent.parent

#: Modules whose tests are slow by nature: load runs, soaks, hostile peers, the wheel,
#: fuzz runs, and whole checks of real-world and differently written handlers.
SLOW_MODULES = {
    "test_load.py", "test_soak.py", "test_wheel.py", "test_hostile_servers.py",
    "test_replay_trust.py", "test_httpd.py", "test_serve.py", "test_conversation_fuzz.py",
    "test_plugin_loads.py", "test_fuzz.py", "test_bounded_resources.py", "test_first_run.py",
    "test_verdicts.py", "test_html_report.py", "test_guided_fuzz.py", "test_code_coverage.py",
    "test_fuzz_everywhere.py", "test_docs_site.py", "test_docs_commands.py",
}  # fmt: skip
#: What a test's own source says when it starts another process.
_LAUNCHES = ("subprocess.", "Popen(", "botwebhook(", "Listening(", "sys.executable")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests (``-m "not slow"`` is the contributor's quick loop): those of
    the slow modules, pytester runs, and tests that launch a process."""
    import inspect

    for item in items:
        if item.get_closest_marker("slow") is not None:
            continue
        function = getattr(item, "function", None)
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            source = ""
        if (
            item.path.name in SLOW_MODULES
            or "pytester" in getattr(item, "fixturenames", ())
            or any(launch in source for launch in _LAUNCHES)
        ):
            item.add_marker(pytest.mark.slow)


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
