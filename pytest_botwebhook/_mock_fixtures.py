"""The mock side's fixtures: a private requests mock, the webhook and callback mocks,
and live local servers.  (Imported by the plugin module, which registers them.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def botwebhook_network() -> Iterator[Any]:
    """The test's private ``responses.RequestsMock`` (as a ``harness.mocks.MockNetwork``),
    shared by ``botwebhook_mock`` and ``botwebhook_callback``; a call that matched
    nothing fails the test at teardown, listing it and every candidate."""
    from harness.mocks import MockNetwork

    network = MockNetwork()
    network.start()
    yield network
    network.stop()
    network.check_unmatched()


@pytest.fixture
def botwebhook_mock(botwebhook_network: Any, botwebhook_secret: Any) -> Any:
    """A ``harness.WebhookMock`` for code that sends webhooks with ``requests``:
    ``botwebhook_mock.add(url)`` answers with the reference handler (or
    ``handler=``/``response=``); calls are recorded with their signature verdict
    and outcome (``assert_called``, ``assert_last_intent``, ``assert_all_signed``)."""
    from harness import WebhookMock

    return WebhookMock(secret=botwebhook_secret, network=botwebhook_network)


@pytest.fixture
def botwebhook_callback(botwebhook_network: Any, botwebhook_secret: Any) -> Any:
    """A ``harness.CallbackMock`` of the platform's callback API
    (``https://api.hutoma.ai/v1/ai/chat/webhook/callback/{chatSession}``):
    ``botwebhook_callback.deliver(app, intent=...)`` makes the webhook call that
    stores a token; set ``.clock`` to a fake clock to test expiry."""
    from harness import CallbackMock

    return CallbackMock(secret=botwebhook_secret, network=botwebhook_network)


@pytest.fixture(scope="session")
def _botwebhook_live_servers() -> Iterator[dict[tuple[str, bool], Any]]:
    """Live servers started in this session, one per secret and scheme."""
    servers: dict[tuple[str, bool], Any] = {}
    yield servers
    for server in servers.values():
        server.stop()


def _live(servers: dict[tuple[str, bool], Any], secret: Any, tls: bool) -> Any:
    import hashlib

    from harness import LiveWebhookServer, Secret

    raw = Secret(secret).reveal()
    raw = raw.encode() if isinstance(raw, str) else raw
    key = (hashlib.sha256(raw).hexdigest(), tls)  # never the secret itself
    server = servers.get(key)
    if server is None:
        server = servers[key] = LiveWebhookServer(secret=secret, tls=tls).start()
    server.reset()
    return server


@pytest.fixture
def botwebhook_server(_botwebhook_live_servers: dict[Any, Any], botwebhook_secret: Any) -> Any:
    """A ``harness.LiveWebhookServer``: the reference handler on 127.0.0.1 and a free
    port (``.url``), verifying with ``botwebhook_secret`` (override that fixture to
    change it); started once per session and secret, its recorded calls reset per test."""
    return _live(_botwebhook_live_servers, botwebhook_secret, tls=False)


@pytest.fixture
def botwebhook_tls_server(_botwebhook_live_servers: dict[Any, Any], botwebhook_secret: Any) -> Any:
    """Like ``botwebhook_server`` over https, with a generated self-signed certificate
    whose path is ``.ca_bundle`` (pass it as ``verify=`` / ``--cacert``)."""
    return _live(_botwebhook_live_servers, botwebhook_secret, tls=True)
