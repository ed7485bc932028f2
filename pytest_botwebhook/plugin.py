"""pytest entry point ``botwebhook`` (disable with ``-p no:botwebhook``).

pytest imports this module on every run of every project where the package
is installed, so it imports nothing but pytest at top level: the harness,
werkzeug, requests and Faker load inside the fixtures and hooks that need
them, and a test suite that never uses the plugin does not change at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_botwebhook._code_coverage import add_options, code_coverage_lines, start_code_coverage
from pytest_botwebhook._fuzz_items import register_fuzz_items
from pytest_botwebhook._settings import OPTIONS, configured, flag, settings_of, summary_lines

if TYPE_CHECKING:
    from faker import Faker

    from harness import BotModel, Secret
    from pytest_botwebhook._client import BotWebhookClient, PayloadBuilder
    from pytest_botwebhook._settings import Settings

_MARKER_KEYS = ("target", "secret", "model", "path")
_MODELS = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("botwebhook", "webhook testing with pytest-botwebhook")
    for name, help_text in OPTIONS:
        group.addoption(flag(name), dest=f"botwebhook_{name}", help=help_text)
        parser.addini(f"botwebhook_{name}", help_text, type="string", default="")
    group.addoption(
        "--botwebhook-suite",
        action="store_true",
        dest="botwebhook_suite",
        help="collect the contract suite: one test per scenario of 'botwebhook check'",
    )
    group.addoption(
        "--botwebhook-strict",
        action="store_true",
        dest="botwebhook_strict",
        help="with --botwebhook-suite, and for conversation files: warnings fail too",
    )
    group.addoption(
        "--botwebhook-coverage",
        action="store_true",
        dest="botwebhook_coverage",
        help="in the summary: which cells of the bot model the suite and the conversation "
        "items exercised, and which they never did",
    )
    add_options(group)
    group.addoption(
        "--botwebhook-replay",
        action="append",
        dest="botwebhook_replay",
        metavar="FILE",
        help="collect one test per recorded call of this cassette (a glob; repeatable)",
    )
    group.addoption(
        "--botwebhook-replay-ignore",
        action="append",
        dest="botwebhook_replay_ignore",
        metavar="RULE",
        help="for replayed calls: a field whose changes are noise (context.order_id, text) or a "
        "pattern inside one (text~/P[0-9A-F]{6}/); repeatable",
    )
    parser.addini(
        "botwebhook_replay_ignore",
        "for replayed calls: ignore rules, one a line (as --botwebhook-replay-ignore)",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--botwebhook-passthrough",
        action="store_true",
        dest="botwebhook_passthrough",
        help="with --botwebhook-suite: the target is a passthrough endpoint",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "botwebhook(target=None, secret=None, model=None, path=None): override the webhook "
        "target, secret, bot model (a path or harness.BotModel) or the app's webhook path for "
        "a test or module",
    )
    config.addinivalue_line(
        "markers",
        "botwebhook_suite(passthrough=False, strict=False): a contract suite test "
        "(made by pytest_botwebhook.contract_suite())",
    )
    config.addinivalue_line(
        "markers",
        "botwebhook_replay(patterns, verbatim=False, strict=False): a replay test "
        "(made by pytest_botwebhook.replay_suite())",
    )
    start_code_coverage(config)
    register_fuzz_items(config, _load_model)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """Target, seed and model, so any failure can be reproduced (only when configured)."""
    if not (config.getoption("botwebhook_suite") or configured(config)):
        return None
    settings = settings_of(config)
    from harness.model import describe_model, model_notes
    from harness.protocol import redact_secret

    seed = settings.seed if settings.seed is not None else "per test (from the test id)"
    source = settings.sources["secret"]
    if settings.default_secret:
        source = "default: the test secret, as none was configured"
    model = _load_model(config, settings.model, fail=False)
    lines = [
        f"botwebhook: target={settings.target or '(botwebhook_target fixture)'}"
        + (f", path={settings.path}" if settings.path else "")
        + f", secret={redact_secret(settings.secret)} ({source}), seed={seed}",
        f"botwebhook: model={describe_model(model)}",
    ]
    lines.extend(f"botwebhook: note: {note}" for note in model_notes(model))
    return lines


# -- markers -------------------------------------------------------------------------


def _overrides(node: pytest.Item | pytest.Function | Any) -> dict[str, Any]:
    """``@pytest.mark.botwebhook(...)`` values, closest marker first; unknown
    arguments fail the test with a clear message."""
    out: dict[str, Any] = {}
    for marker in node.iter_markers("botwebhook"):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.botwebhook takes keyword arguments only "
                f"({', '.join(_MARKER_KEYS)}), got positional {marker.args!r}",
                pytrace=False,
            )
        for key, value in marker.kwargs.items():
            if key not in _MARKER_KEYS:
                pytest.fail(
                    f"@pytest.mark.botwebhook got an unknown argument {key!r}; "
                    f"it takes {', '.join(_MARKER_KEYS)}",
                    pytrace=False,
                )
            out.setdefault(key, value)
    return out


def _load_model(config: pytest.Config, spec: Any, *, fail: bool = True) -> BotModel | None:
    """A model from a marker value, the settings, or the rootdir, limited to the
    configured intents (``botwebhook_intent``); cached per session.  None: the
    built-in catalogue, with no intent named."""
    from harness import BotModel, BotWebhookError, load_model
    from harness.model import find_model, scope_model

    intents = settings_of(config).intents
    cache = config.stash.setdefault(_MODELS, {})
    key = f"{id(spec) if isinstance(spec, BotModel) else spec}|{intents}"
    if key not in cache:
        try:
            if isinstance(spec, BotModel):
                found: BotModel | None = spec
            elif spec is None:
                found = find_model(config.rootpath)
            else:
                path = config.rootpath / str(spec)
                found = load_model(path if path.exists() else str(spec))
            cache[key] = scope_model(found, intents)
        except BotWebhookError as exc:
            if not fail:
                return None
            pytest.fail(f"botwebhook: {exc}", pytrace=False)
    model: BotModel | None = cache[key]
    return model


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def botwebhook_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved pytest-botwebhook settings (command line > ini > environment >
    ``[tool.botwebhook]`` > defaults), with where each came from."""
    return settings_of(pytestconfig)


@pytest.fixture
def botwebhook_target(botwebhook_settings: Settings) -> Any:
    """The webhook under test: a WSGI app, an import string or a URL.

    Defaults to ``--botwebhook-target`` / ini ``botwebhook_target``; override
    this fixture to return your app (``return create_app()``) or a URL.
    """
    return botwebhook_settings.target


@pytest.fixture
def botwebhook_secret(botwebhook_settings: Settings) -> Secret:
    """The webhook secret requests are signed with (default: a fixed test secret,
    ``pytest_botwebhook.TEST_SECRET``); override to return your handler's.

    A :class:`harness.Secret`: it never prints in full (``pytest -l``,
    ``--showlocals``, assertion messages), every fixture and harness function
    takes it as it is, it equals the plain text, and ``.reveal()`` gives the text
    to code of your own (``create_app(secret=botwebhook_secret.reveal())``)."""
    from harness import Secret

    return Secret(botwebhook_settings.secret)


@pytest.fixture
def botwebhook_seed(request: pytest.FixtureRequest, botwebhook_settings: Settings) -> int:
    """The seed for this test's payloads: ``--botwebhook-seed``, else derived from
    the test id (stable between runs, different between tests)."""
    if botwebhook_settings.seed is not None:
        return botwebhook_settings.seed
    from pytest_botwebhook._settings import seed_for

    return seed_for(request.node.nodeid)


@pytest.fixture
def botwebhook_model(request: pytest.FixtureRequest, botwebhook_settings: Settings) -> BotModel:
    """The bot model: the marker's, ``--botwebhook-model``, the one declared in the
    rootdir (``botwebhook.toml`` / ``[tool.botwebhook]``), or the built-in catalogue."""
    spec = _overrides(request.node).get("model", botwebhook_settings.model)
    model = _load_model(request.config, spec)
    if model is None:
        from harness.model import builtin_model

        return builtin_model()
    return model


@pytest.fixture
def botwebhook_faker(botwebhook_model: BotModel, botwebhook_seed: int) -> Faker:
    """A Faker seeded for this test, in the bot's first language, with
    ``harness.model.BotWebhookProvider`` added."""
    from harness.model import make_faker

    return make_faker(botwebhook_model.languages[0], seed=botwebhook_seed)


@pytest.fixture
def botwebhook_payload(botwebhook_model: BotModel, botwebhook_seed: int) -> PayloadBuilder:
    """Build realistic payloads: ``botwebhook_payload(intent="colour", colour="blue",
    shape="A")`` returns a ``harness.Payload`` (exact bytes, variant, parsed request)."""
    from harness.model import builtin_model
    from pytest_botwebhook._client import PayloadBuilder

    declared = None if botwebhook_model is builtin_model() else botwebhook_model
    return PayloadBuilder(declared, botwebhook_seed)


@pytest.fixture
def botwebhook(
    request: pytest.FixtureRequest,
    botwebhook_target: Any,
    botwebhook_secret: Secret | str,
    botwebhook_payload: PayloadBuilder,
    botwebhook_settings: Settings,
) -> Iterator[BotWebhookClient]:
    """The client: ``botwebhook.send(payload=None, **payload_options)`` returns the
    exchange (``exchange.assert_ok()``, ``exchange.outcome``); ``botwebhook.check()``
    runs the whole scenario matrix (``report.assert_ok()``)."""
    from harness import BotWebhookError
    from pytest_botwebhook._client import BotWebhookClient

    overrides = _overrides(request.node)
    target = overrides.get("target", botwebhook_target)
    if target is None:
        pytest.fail(
            "botwebhook: no target: pass --botwebhook-target, set botwebhook_target in the "
            "ini file, define a botwebhook_target fixture, or use "
            "@pytest.mark.botwebhook(target=...)",
            pytrace=False,
        )
    client = BotWebhookClient(
        target,
        secret=overrides.get("secret", botwebhook_secret),
        payloads=botwebhook_payload,
        timeout=botwebhook_settings.timeout,
        seed=botwebhook_payload.seed,
        path=overrides.get("path", botwebhook_settings.path),
    )
    try:
        client.target  # noqa: B018 - load now, so a bad target fails setup readably
    except BotWebhookError as exc:
        pytest.fail(f"botwebhook: {exc}", pytrace=False)
    yield client
    client.close()


# -- the contract suite ------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "botwebhook_replay_call" in metafunc.fixturenames:
        from pytest_botwebhook._replay_items import replay_calls

        marker = metafunc.definition.get_closest_marker("botwebhook_replay")
        patterns = tuple(marker.kwargs.get("patterns", ())) if marker else ()
        calls = replay_calls(metafunc.config.rootpath, patterns)
        metafunc.parametrize("botwebhook_replay_call", calls, ids=[c.id for c in calls])
    if "botwebhook_scenario" not in metafunc.fixturenames:
        return
    from pytest_botwebhook._suite_items import scenarios_for

    suite = metafunc.definition.get_closest_marker("botwebhook_suite")
    passthrough = bool(suite.kwargs.get("passthrough")) if suite else False
    overrides = _overrides(metafunc.definition)
    settings = settings_of(metafunc.config)
    model = _load_model(metafunc.config, overrides.get("model", settings.model))
    scenarios = scenarios_for(model, settings.seed or 0, passthrough)
    metafunc.parametrize(
        "botwebhook_scenario",
        scenarios,
        ids=[s.id.replace("[", "-").rstrip("]").removeprefix("contract-") for s in scenarios],
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    replays = config.getoption("botwebhook_replay")
    if replays:
        from pytest_botwebhook._replay_items import replay_items

        settings = settings_of(config)
        if settings.target is None:
            raise pytest.UsageError(
                "botwebhook: --botwebhook-replay needs a target: --botwebhook-target or the ini "
                "option botwebhook_target"
            )
        items.extend(replay_items(session, settings, replays))
    if not config.getoption("botwebhook_suite"):
        return
    from pytest_botwebhook._suite_items import suite_items

    settings = settings_of(config)
    if settings.target is None:
        raise pytest.UsageError(
            "botwebhook: --botwebhook-suite needs a target: --botwebhook-target or the ini "
            "option botwebhook_target"
        )
    model = _load_model(config, settings.model)
    items.extend(suite_items(session, settings, model))


# -- conversation files ------------------------------------------------------------------


def pytest_collect_file(file_path: Any, parent: pytest.Collector) -> pytest.Collector | None:
    """``test_*.conversation.yaml``: one item per conversation (YAML document)."""
    name = file_path.name
    if not (
        name.startswith("test_") and name.endswith((".conversation.yaml", ".conversation.yml"))
    ):
        return None
    from pytest_botwebhook._conversation_items import ConversationFile

    model = _load_model(parent.config, settings_of(parent.config).model)
    file: pytest.Collector = ConversationFile.from_parent(parent, path=file_path, model=model)
    return file


# -- the mock side: fixtures in _mock_fixtures, registered here ----------------------------

from pytest_botwebhook._mock_fixtures import (  # noqa: E402 - after the hooks they sit beside
    _botwebhook_live_servers,
    botwebhook_callback,
    botwebhook_mock,
    botwebhook_network,
    botwebhook_server,
    botwebhook_tls_server,
)

__all__ = [
    "_botwebhook_live_servers",
    "botwebhook_callback",
    "botwebhook_mock",
    "botwebhook_network",
    "botwebhook_server",
    "botwebhook_tls_server",
]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """What the baseline hid, and the protocol coverage (``--botwebhook-coverage``)."""
    for line in [*summary_lines(config), *code_coverage_lines(config)]:
        terminalreporter.write_line(line)
