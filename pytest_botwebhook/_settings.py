"""The plugin's settings, with the usual precedence:
command line > ini (``[tool.pytest.ini_options]``, ``pytest.ini``, …) >
``BOTWEBHOOK_SECRET`` (secret only) > ``[tool.botwebhook]`` in ``pyproject.toml`` >
defaults."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = [
    "BASELINE_KEY",
    "COVERAGE_KEY",
    "DEFAULT_SECRET_NOTE",
    "ENVIRONMENT",
    "OPTIONS",
    "TEST_SECRET",
    "Settings",
    "configured",
    "count_coverage",
    "flag",
    "hidden_by_baseline",
    "note_default_secret",
    "resolve",
    "seed_for",
    "settings_of",
    "summary_lines",
]

#: The secret used when none is configured: clearly a test value, 40 characters.
#: (``harness.protocol.TEST_SECRET`` is the same: the plugin imports no harness at
#: start-up, so the value is written here again; a test holds the two equal.)
TEST_SECRET = "botwebhook-test-secret-not-for-productio"

#: What a failing call says when it was signed with the default test secret and the
#: handler refused the signature (``BW303``).
DEFAULT_SECRET_NOTE = (
    "no secret was configured, so this call was signed with the default test secret "
    "(pytest_botwebhook.TEST_SECRET), which your handler does not know; set the one it "
    "verifies with: --botwebhook-secret, the ini option botwebhook_secret, "
    "$BOTWEBHOOK_SECRET, or a botwebhook_secret fixture that returns it"
)


def note_default_secret(exchange: Any) -> None:
    """Add :data:`DEFAULT_SECRET_NOTE` to an exchange the handler refused as wrongly
    signed (``BW303``) when it was signed with the default test secret."""
    if any(f.code == "BW303" for f in exchange.findings) and DEFAULT_SECRET_NOTE not in (
        exchange.notes
    ):
        exchange.notes.append(DEFAULT_SECRET_NOTE)


#: (name, help) of every setting; the flag is --botwebhook-NAME, the ini key botwebhook_NAME.
OPTIONS = (
    ("target", "the webhook under test: a WSGI import string (pkg.module:app, app.py:app) or URL"),
    ("secret", "the webhook secret (default: $BOTWEBHOOK_SECRET, else a fixed test secret)"),
    ("seed", "seed for generated payloads (default: derived from each test's id)"),
    ("model", "bot model file: botwebhook.toml or pyproject.toml (default: found in rootdir)"),
    ("timeout", "connect and read timeout in seconds (default: 10, as the platform)"),
    ("path", "where an in-process app takes its webhook, e.g. /getWeather (default: / when it "
     "takes a POST, else the one route that does)"),
    ("intent", "the webhook's intents, comma- or space-separated: only these are checked, and "
     "one the handler does not serve is an error"),
    ("baseline", "a file of accepted findings (botwebhook check --update-baseline writes one): "
     "those do not fail; only new ones do"),
    ("docs_url", "the documentation site's address: each finding names its page there "
     "(default: $BOTWEBHOOK_DOCS_URL; without one, 'botwebhook explain CODE')"),
)  # fmt: skip
#: Settings an environment variable gives, after the flag and the ini key.
ENVIRONMENT = {"secret": "BOTWEBHOOK_SECRET", "docs_url": "BOTWEBHOOK_DOCS_URL"}


def flag(name: str) -> str:
    """A setting's command-line flag: ``--botwebhook-docs-url`` for ``docs_url``."""
    return "--botwebhook-" + name.replace("_", "-")


@dataclass(frozen=True, repr=False)
class Settings:
    """Resolved settings, each with where it came from (for the report header)."""

    target: str | None
    secret: str
    seed: int | None
    model: str | None
    timeout: float
    sources: dict[str, str]
    path: str | None = None
    intents: tuple[str, ...] = ()
    baseline: str | None = None
    docs_url: str | None = None

    @property
    def default_secret(self) -> bool:
        """No secret was configured: calls are signed with ``TEST_SECRET``."""
        return self.sources.get("secret") == "default"

    def __repr__(self) -> str:  # the secret never appears in full, even in tracebacks
        from harness.protocol import redact_secret

        return (
            f"Settings(target={self.target!r}, secret={redact_secret(self.secret)!r}, "
            f"seed={self.seed!r}, model={self.model!r}, timeout={self.timeout!r}, "
            f"path={self.path!r}, intents={self.intents!r})"
        )


def resolve(config: pytest.Config) -> Settings:
    """Settings for this session; bad values stop the session with one clear line."""
    from harness.model import tool_table

    table = tool_table(config.rootpath / "pyproject.toml")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, _ in OPTIONS:
        option = config.getoption(f"botwebhook_{name}")
        ini = config.getini(f"botwebhook_{name}")
        if option not in (None, ""):
            values[name], sources[name] = option, flag(name)
        elif ini not in (None, ""):
            values[name], sources[name] = ini, f"ini botwebhook_{name}"
        elif name in ENVIRONMENT and os.environ.get(ENVIRONMENT[name], "").strip():
            values[name], sources[name] = os.environ[ENVIRONMENT[name]], f"${ENVIRONMENT[name]}"
        elif name in table and name != "model":
            values[name], sources[name] = table[name], "[tool.botwebhook]"
        else:
            sources[name] = "default"
    from harness import BotWebhookError
    from harness.checks import require_path
    from harness.platform import DEFAULT_TIMEOUT

    path = _text(values.get("path"), "path", sources)
    docs_url = _text(values.get("docs_url"), "docs_url", sources)
    try:
        require_path(path)
    except BotWebhookError as exc:
        raise pytest.UsageError(f"botwebhook: path from {sources['path']}: {exc}") from None
    from harness.checks import set_docs_url

    try:  # the findings of this session's reports name their pages there...
        set_docs_url(docs_url)
    except BotWebhookError as exc:
        raise pytest.UsageError(f"botwebhook: docs_url from {sources['docs_url']}: {exc}") from None
    config.add_cleanup(lambda: set_docs_url(None))  # ...and only this session's

    return Settings(
        target=_text(values.get("target"), "target", sources),
        secret=_text(values.get("secret"), "secret", sources) or TEST_SECRET,
        seed=_number(values.get("seed"), "seed", sources, int),
        model=_text(values.get("model"), "model", sources),
        timeout=_number(values.get("timeout"), "timeout", sources, float) or DEFAULT_TIMEOUT,
        sources=sources,
        path=path,
        intents=_names(values.get("intent"), sources),
        baseline=_text(values.get("baseline"), "baseline", sources),
        docs_url=docs_url,
    )


def _names(value: Any, sources: dict[str, str]) -> tuple[str, ...]:
    """Intent names from a string (comma- or space-separated) or a TOML list."""
    if value is None:
        return ()
    if isinstance(value, str):
        names = value.replace(",", " ").split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        names = []
    if not names:
        raise pytest.UsageError(
            f"botwebhook: intent from {sources['intent']} must be intent names (a string, or "
            f"a list of strings in [tool.botwebhook]), got {value!r}"
        )
    return tuple(dict.fromkeys(names))


def _text(value: Any, name: str, sources: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        shown = f"a {type(value).__name__}" if name == "secret" else repr(value)  # never a secret
        raise pytest.UsageError(
            f"botwebhook: {name} from {sources[name]} must be a non-empty string, got {shown}"
        )
    return value


def _number(value: Any, name: str, sources: dict[str, str], kind: type) -> Any:
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(
            f"botwebhook: {name} from {sources[name]} must be a number, got {value!r}"
        ) from None
    if kind is float and number <= 0:
        raise pytest.UsageError(f"botwebhook: {name} from {sources[name]} must be positive")
    return number


def seed_for(nodeid: str) -> int:
    """The per-test seed: stable for a test id, different between tests."""
    return int.from_bytes(hashlib.sha256(nodeid.encode()).digest()[:4], "big")


def configured(config: pytest.Config) -> bool:
    """Whether the plugin is configured: a flag, an ini key, or a ``[tool.botwebhook]``
    table (read only when the file names it: nothing else is loaded for a project
    that does not use the plugin)."""
    if any(
        config.getoption(f"botwebhook_{name}") or config.getini(f"botwebhook_{name}")
        for name, _ in OPTIONS
        if name != "docs_url"  # where the pages are is no reason to show the header
    ):
        return True
    try:
        text = (config.rootpath / "pyproject.toml").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.botwebhook]" in text


_SETTINGS = pytest.StashKey["Settings"]()


def settings_of(config: pytest.Config) -> Settings:
    """The run's settings, resolved once and kept on ``config``."""
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        settings = config.stash[_SETTINGS] = resolve(config)
    return settings


#: The baseline the suite read (None: none is configured), once read.
BASELINE_KEY = pytest.StashKey[Any]()
#: The protocol coverage of the run (``--botwebhook-coverage``), once an item counted.
COVERAGE_KEY = pytest.StashKey[Any]()


def count_coverage(config: pytest.Config, model: Any, add: Any) -> None:
    """With ``--botwebhook-coverage``: ``add(coverage)`` counts into the run's coverage
    of ``model`` (None: the built-in catalogue), made on first use."""
    if not config.getoption("botwebhook_coverage", False):
        return
    covered = config.stash.get(COVERAGE_KEY, None)
    if covered is None:
        from harness.checks import ProtocolCoverage
        from harness.model import builtin_model

        covered = config.stash[COVERAGE_KEY] = ProtocolCoverage(model or builtin_model())
    add(covered)


def hidden_by_baseline(config: pytest.Config) -> str:
    """What the baseline hid in this run, in words; empty when nothing."""
    baseline = config.stash.get(BASELINE_KEY, None)
    if baseline is None or not baseline.hidden:
        return ""
    return (f"{baseline.hidden} finding(s) accepted in the baseline {baseline.path} were "
            "not reported")  # fmt: skip


def summary_lines(config: pytest.Config) -> list[str]:
    """What pytest's terminal summary says of the run: the findings the baseline hid,
    and the protocol coverage when it was counted."""
    lines = []
    said = hidden_by_baseline(config)
    if said:
        lines.append(f"botwebhook: {said}")
    covered = config.stash.get(COVERAGE_KEY, None)
    if covered is not None:
        lines += ["botwebhook coverage:", covered.render_text()]
    return lines
