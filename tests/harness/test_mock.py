"""The mock side: endpoint mock, live server, platform callback API."""

from __future__ import annotations

import json
import re
import ssl
import urllib.request

import bw_handlers as H
import pytest
import requests

from harness import CallbackMock, LiveWebhookServer, WebhookMock, build_payload, sign
from harness.errors import BotWebhookValueError, UnmatchedCallError
from harness.protocol import WebhookResponse, load_fixture

SECRET = H.SECRET
HOOK = "https://bot.example.com/hook"


def post(url: str, body: bytes, signature: str | None = "auto", **kw: object) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = sign(body, SECRET)
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    return requests.post(url, data=body, headers=headers, timeout=10, **kw)  # type: ignore[arg-type]


# -- WebhookMock --------------------------------------------------------------------------


def test_records_exact_bytes_verdicts_and_outcomes() -> None:
    body = load_fixture("colour_shape_a")
    with WebhookMock(secret=SECRET) as mock:
        mock.add(HOOK)
        answer = post(HOOK, body)
        post(HOOK, body, "sha256=" + "0" * 64)
        post(HOOK, body, None)
    assert answer.json()["text"] == "Blue is the colour of the sky."
    first, wrong, missing = mock.calls
    assert first.body == body
    assert first.headers["X-Hub-Signature"] == sign(body, SECRET)
    assert first.verdict == "valid"
    assert wrong.verdict == "invalid: digest does not match the body and secret"
    assert missing.verdict == "missing"
    assert first.status == 200
    assert wrong.status == 401
    assert first.outcome is not None
    assert first.outcome.user_text == "Blue is the colour of the sky."
    assert first.outcome.context["favourite_colour"] == "blue"
    assert first.intent == "colour"


def test_canned_responses_user_handlers_and_patterns() -> None:
    with WebhookMock(secret=SECRET) as mock:
        mock.add("https://a.example.com/x", response=WebhookResponse(text="canned"))
        mock.add("https://b.example.com/x", response={"text": "late"}, status=202)
        mock.add(re.compile(r"https://[a-z]+\.example\.net/.*"), handler=H.TYPO)
        assert post("https://a.example.com/x", b"{}").json() == {"text": "canned"}
        assert post("https://b.example.com/x", b"{}").status_code == 202
        assert post("https://zz.example.net/any/path", load_fixture("colour_shape_a")).json() == {
            "txt": "ok"
        }
    calls = mock.calls
    assert calls[1].outcome is None  # not a webhook payload: no platform outcome
    outcome = calls[2].outcome
    assert outcome is not None
    assert outcome.user_text == "So your favourite colour is blue!"  # txt is ignored


def test_assertion_helpers_and_their_messages() -> None:
    payload = build_payload(intent="book_table", shape="A", seed=1)
    with WebhookMock(secret=SECRET) as mock:
        mock.add(HOOK)
        with pytest.raises(AssertionError, match=r"expected at least 1 webhook call\(s\), got 0"):
            mock.assert_called()
        post(HOOK, payload.body)
        mock.assert_called(times=1)
        mock.assert_last_intent("book_table")
        mock.assert_all_signed()
        post(HOOK, payload.body, None)
        with pytest.raises(AssertionError) as info:
            mock.assert_called(times=1)
        assert "expected 1 webhook call(s), got 2:" in str(info.value)
        assert "1. POST https://bot.example.com/hook [valid] -> 200" in str(info.value)
        with pytest.raises(AssertionError, match="1 of 2 call\\(s\\) not signed correctly"):
            mock.assert_all_signed()
        with pytest.raises(AssertionError, match="intent is 'book_table', not 'colour'"):
            mock.assert_last_intent("colour")
        mock.reset()
        mock.assert_not_called()


def test_signatures_cannot_be_checked_without_a_secret() -> None:
    with WebhookMock() as mock:
        mock.add(HOOK)
        post(HOOK, load_fixture("colour_shape_a"), None)
    assert mock.last.verdict == "unchecked"
    with pytest.raises(AssertionError, match="no secret is configured"):
        mock.assert_all_signed()


def _send_unmatched() -> None:
    with WebhookMock(secret=SECRET) as mock:
        mock.add(HOOK)
        mock.add(re.compile(r"https://.*\.example\.org/hook"), response={})
        with pytest.raises(requests.ConnectionError, match="matches no mocked URL"):
            post("https://bot.example.com/other", b'{"a":1}')
        with pytest.raises(requests.ConnectionError):
            requests.get(HOOK, timeout=10)


def test_unmatched_calls_fail_loudly_with_candidates() -> None:
    with pytest.raises(UnmatchedCallError) as info:
        _send_unmatched()
    text = str(info.value)
    assert "POST https://bot.example.com/other matches no mocked URL" in text
    assert 'body: {"a":1}' in text
    assert (
        "POST https://bot.example.com/hook (harness.reference:ReferenceHandler): URL is not" in text
    )
    assert "/https://.*\\.example\\.org/hook/ (canned response): URL does not match" in text
    assert "GET https://bot.example.com/hook matches no mocked URL" in text
    assert "method is GET, not POST" in text


def test_bad_arguments() -> None:
    with WebhookMock() as mock:
        with pytest.raises(BotWebhookValueError, match="not both"):
            mock.add(HOOK, handler=H.GOOD, response={})
        with pytest.raises(BotWebhookValueError, match="for url, got 3"):
            mock.add(3)  # type: ignore[arg-type]
        with pytest.raises(BotWebhookValueError, match="for response, got 3"):
            mock.add(HOOK, response=3)


# -- LiveWebhookServer --------------------------------------------------------------------


def test_live_server_over_http_with_any_client() -> None:
    body = load_fixture("colour_shape_a")
    with LiveWebhookServer(secret=SECRET) as server:
        assert server.url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            server.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body, SECRET)},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["text"] == "Blue is the colour of the sky."
        assert post(server.url + "path?x=1", body, None).status_code == 401
    first, second = server.calls
    assert first.body == body
    assert first.verdict == "valid"
    assert second.verdict == "missing"
    assert second.url.endswith("/path?x=1")
    server.reset()
    server.assert_not_called()


def test_live_server_over_https_with_its_ca_bundle() -> None:
    with LiveWebhookServer(secret=SECRET, tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_bundle is not None
        response = post(server.url, load_fixture("passthrough"), verify=str(server.ca_bundle))
        assert response.status_code == 200
        context = ssl.create_default_context(cafile=str(server.ca_bundle))
        body = load_fixture("colour_shape_a")
        request = urllib.request.Request(
            server.url,
            data=body,
            method="POST",
            headers={"X-Hub-Signature": sign(body, SECRET)},
        )
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            assert answer.status == 200
    server.assert_called(times=2)
    server.assert_all_signed()


def test_live_server_needs_start() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = LiveWebhookServer().url


# -- CallbackMock --------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def callback(
    platform: CallbackMock, session: str, data: dict[str, object] | bytes
) -> requests.Response:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return requests.post(platform.callback_url(session), data=body, timeout=10)


def webhook(
    platform: CallbackMock, *, facebook: bool = True, app: object = None
) -> tuple[str, str]:
    from harness.reference import make_app

    exchange = platform.deliver(
        app or make_app(secret=SECRET), intent="colour", values={"colour": "red"}, facebook=facebook
    )
    request = json.loads(exchange.sent.body)
    return request["chatSession"], request["webhook_token"]


def info(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["status"]["info"]


def test_callback_happy_path_single_use_and_context() -> None:
    with CallbackMock(secret=SECRET) as platform:
        session, token = webhook(platform)
        answer = {
            "text": "Your pizza is ready",
            "webhook_token": token,
            "context": {
                "variables": {"order": {"value": "ready"}, "favourite_colour": {"value": None}}
            },
        }
        assert info(callback(platform, session, answer)) == (200, "OK")
        assert info(callback(platform, session, answer)) == (400, "Invalid webhook session token")
    state = platform.sessions[session]
    assert state.context["order"] == "ready"
    assert "favourite_colour" not in state.context
    assert state.messages[0]["text"] == "Your pizza is ready"
    platform.assert_called_back(session)


def test_callback_unknown_session_and_token_before_any_webhook() -> None:
    with CallbackMock() as platform:
        assert info(callback(platform, "f" * 64, {"webhook_token": "x"})) == (
            400,
            "Invalid chat session token",
        )


def test_callback_wrong_token_keeps_the_right_one() -> None:
    with CallbackMock(secret=SECRET) as platform:
        session, token = webhook(platform)
        assert info(callback(platform, session, {"webhook_token": token[:-1] + "0"}))[1] == (
            "Invalid webhook session token"
        )
        assert (
            info(callback(platform, session, {"text": "x"}))[1] == "Invalid webhook session token"
        )
        assert info(callback(platform, session, {"webhook_token": token})) == (200, "OK")


def test_callback_token_expires_after_an_hour() -> None:
    clock = FakeClock()
    with CallbackMock(secret=SECRET, clock=clock) as platform:
        session, token = webhook(platform)
        clock.now += 3599
        fresh_session, fresh_token = webhook(platform)
        clock.now += 2
        assert info(callback(platform, session, {"webhook_token": token}))[1] == (
            "Invalid webhook session token"
        )
        assert info(callback(platform, fresh_session, {"webhook_token": fresh_token})) == (
            200,
            "OK",
        )


def test_callback_feature_disabled_keeps_the_token() -> None:
    with CallbackMock(secret=SECRET, callback_enabled=False) as platform:
        session, token = webhook(platform)
        assert info(callback(platform, session, {"webhook_token": token})) == (
            403,
            "Bot not authorized for callback",
        )
        platform.callback_enabled = True
        assert info(callback(platform, session, {"webhook_token": token})) == (200, "OK")


def test_callback_non_facebook_session_uses_up_the_token() -> None:
    with CallbackMock(secret=SECRET) as platform:
        session, token = webhook(platform, facebook=False)
        assert info(callback(platform, session, {"webhook_token": token})) == (
            400,
            "Session not supported for callback",
        )
        assert info(callback(platform, session, {"webhook_token": token}))[1] == (
            "Invalid webhook session token"
        )


def test_callback_needs_a_body() -> None:
    with CallbackMock(secret=SECRET) as platform:
        session, _ = webhook(platform)
        assert info(callback(platform, session, b"")) == (400, "Request body is required")
        assert info(callback(platform, session, b"[]"))[0] == 400


def test_failed_webhooks_store_no_token() -> None:
    with CallbackMock(secret=SECRET) as platform:
        session, token = webhook(platform, app=H.CREATED)  # answers 201: the call failed
        assert info(callback(platform, session, {"webhook_token": token}))[1] == (
            "Invalid webhook session token"
        )


def test_passthrough_tokens_are_never_stored() -> None:
    from harness.reference import make_app

    with CallbackMock(secret=SECRET) as platform:
        exchange = platform.deliver(make_app(secret=SECRET), load_fixture("passthrough"))
        request = json.loads(exchange.sent.body)
        assert info(
            callback(platform, request["chatSession"], {"webhook_token": request["webhook_token"]})
        )[1] == ("Invalid webhook session token")


def test_configurable_base_url_and_shared_network() -> None:
    from harness.mocks import MockNetwork

    network = MockNetwork()
    platform = CallbackMock(base_url="https://platform.test/", secret=SECRET, network=network)
    mock = WebhookMock(secret=SECRET, network=network)
    mock.add(HOOK)
    network.start()
    try:
        session, token = webhook(platform)
        assert platform.callback_url(session).startswith("https://platform.test/v1/ai/chat/")
        assert info(callback(platform, session, {"webhook_token": token})) == (200, "OK")
        assert post(HOOK, load_fixture("colour_shape_a")).status_code == 200
    finally:
        network.stop()
    network.check_unmatched()


def test_deliver_to_a_url_target_passes_through_the_mock() -> None:
    with LiveWebhookServer(secret=SECRET) as server, CallbackMock(secret=SECRET) as platform:
        exchange = platform.deliver(server.url, load_fixture("colour_shape_a"))
        assert exchange.received is not None
        assert exchange.received.status == 401  # http URLs are not signed, like the platform
    server.assert_called(times=1)


def test_open_session_registers_a_token_directly() -> None:
    clock = FakeClock()
    with CallbackMock(clock=clock) as platform:
        platform.open_session("a" * 64, "t" * 64, facebook=True)
        assert info(callback(platform, "a" * 64, {"webhook_token": "t" * 64})) == (200, "OK")
        platform.open_session("b" * 64, "u" * 64, facebook=False)
        assert info(callback(platform, "b" * 64, {"webhook_token": "u" * 64}))[1] == (
            "Session not supported for callback"
        )
