"""The reference handler: every status path, and the answers it demonstrates."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import Client, EnvironBuilder

from harness import BotWebhookError, sign
from harness.errors import InvalidSecretError
from harness.protocol import load_fixture
from harness.reference import DEFAULT_MAX_BODY, ReferenceHandler, from_env, make_app

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


@pytest.fixture
def client() -> Client:
    return Client(make_app(secret=SECRET))


def post(client: Client, body: bytes, signature: str | None = "auto", **kw: Any) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = sign(body, SECRET)
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    return client.post("/", data=body, headers=headers, **kw)


def test_colour_example(client: Client) -> None:
    response = post(client, load_fixture("colour_shape_a"))
    assert response.status_code == 200
    assert response.json == {
        "text": "Blue is the colour of the sky.",
        "context": {"variables": {"favourite_colour": {"value": "blue"}}},
    }
    assert response.mimetype == "application/json"


def test_unknown_colour_gets_no_context(client: Client) -> None:
    body = load_fixture("colour_shape_a").replace(b'"blue"', b'"mauve"')
    assert post(client, body).json == {"text": "I don't recognise that colour."}


def test_quick_replies_when_the_user_has_a_choice(client: Client) -> None:
    answer = post(client, load_fixture("book_table_shape_b")).json
    assert answer["text"] == "A table for 4 (italian). Which day?"
    replies = answer["facebook"]["quick_replies"]
    assert [r["title"] for r in replies] == ["Today", "Tomorrow", "This weekend"]
    assert all(r["content_type"] == "text" for r in replies)


def test_other_intents_keep_their_own_response(client: Client) -> None:
    assert post(client, load_fixture("no_variables")).json == {}
    assert post(client, load_fixture("facebook_chat")).json == {}


def test_passthrough(client: Client) -> None:
    answer = post(client, load_fixture("passthrough")).json
    assert answer == {"text": "You said: what's on at the cinema tonight?"}
    forced = Client(make_app(secret=SECRET, passthrough=True))
    assert post(forced, load_fixture("colour_shape_a")).json == {
        "text": "You said: my favourite colour is blue"
    }


def test_signature_over_raw_bytes_not_reserialized_json(client: Client) -> None:
    body = load_fixture("escaped_text")
    assert json.dumps(json.loads(body)).encode() != body
    assert post(client, body).status_code == 200


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing signature"),
        ("sha256=" + "0" * 64, "invalid signature"),
        ("garbage", "invalid signature"),
    ],
)
def test_bad_signatures_are_401(client: Client, signature: str | None, error: str) -> None:
    response = post(client, load_fixture("colour_shape_a"), signature)
    assert response.status_code == 401
    assert response.json == {"error": error}


def test_signature_is_checked_before_parsing(client: Client) -> None:
    assert post(client, b"{not json", None).status_code == 401


def test_optional_signature_mode() -> None:
    client = Client(make_app(secret=SECRET, require_signature=False))
    body = load_fixture("colour_shape_a")
    assert post(client, body, None).status_code == 200
    assert post(client, body, "sha256=" + "0" * 64).status_code == 401
    unsigned = Client(make_app(secret=None, require_signature=False))
    assert post(unsigned, body, None).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"", "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"text"', "body is not a JSON object"),
    ],
)
def test_unreadable_bodies_are_400(client: Client, body: bytes, error: str) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.json == {"error": error}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_only_post(client: Client, method: str) -> None:
    response = client.open("/", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_large_body_refused_before_reading_it() -> None:
    class Unreadable(io.RawIOBase):
        def readinto(self, buffer: Any) -> int:
            raise AssertionError("the body was read")

    app = make_app(secret=SECRET, max_body=100)
    builder = EnvironBuilder(method="POST", data=b"")
    environ = builder.get_environ()
    environ["CONTENT_LENGTH"] = str(DEFAULT_MAX_BODY * 5)
    environ["wsgi.input"] = Unreadable()
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, *a: status.append(s)))  # type: ignore[arg-type]
    assert status == ["413 REQUEST ENTITY TOO LARGE"]
    assert json.loads(body) == {"error": "body larger than 100 bytes"}


def test_chunked_body_over_the_limit_is_413() -> None:
    app = make_app(secret=SECRET, max_body=100)
    builder = EnvironBuilder(method="POST", input_stream=io.BytesIO(b"x" * 500))
    environ = builder.get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    status: list[str] = []
    b"".join(app(environ, lambda s, h, *a: status.append(s)))  # type: ignore[arg-type]
    assert status[0].startswith("413")


def test_unexpected_conditions_are_a_json_4xx(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ReferenceHandler, payload: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(ReferenceHandler, "answer_intent", broken)
    response = post(Client(make_app(secret=SECRET)), load_fixture("colour_shape_a"))
    assert response.status_code == 400
    assert response.json == {"error": "the request could not be handled"}
    assert b"bug" not in response.data


def test_tolerates_odd_but_valid_json(client: Client) -> None:
    odd = {
        "intentName": "colour",
        "variablesMap": {"colour": {"label": "colour"}},
        "memoryVariables": "not a list",
        "future_field": [1, 2],
    }
    assert post(client, json.dumps(odd).encode()).json == {}
    via_list = {
        "intentName": "colour",
        "memoryVariables": [{"label": "colour", "value": "red"}, None, 3],
    }
    assert post(client, json.dumps(via_list).encode()).json["text"].startswith("Red")


def test_long_queries_stay_under_the_facebook_limit(client: Client) -> None:
    data = json.loads(load_fixture("passthrough"))
    data["chatResult"]["query"] = "q" * 1024
    text = post(client, json.dumps(data).encode()).json["text"]
    assert len(text) == 640


def test_factory_arguments_are_checked() -> None:
    with pytest.raises(InvalidSecretError, match=r"needs the bot's webhook secret.*secret is None"):
        make_app(secret=None)
    with pytest.raises(BotWebhookError, match="for max_body"):
        make_app(secret=SECRET, max_body=0)


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    body = load_fixture("colour_shape_a")
    monkeypatch.setenv("BOTWEBHOOK_SECRET", SECRET)
    assert post(Client(from_env()), body, None).status_code == 401
    assert post(Client(from_env()), body, sign(body, SECRET)).status_code == 200


def test_from_env_fails_closed_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOTWEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("BOTWEBHOOK_PLAIN_HTTP", raising=False)
    with pytest.raises(InvalidSecretError, match=r"\$BOTWEBHOOK_SECRET.*BOTWEBHOOK_PLAIN_HTTP=1"):
        from_env()
    monkeypatch.setenv("BOTWEBHOOK_PLAIN_HTTP", "1")  # told: a plain-http endpoint
    body = load_fixture("colour_shape_a")
    assert post(Client(from_env()), body, None).status_code == 200
    # ... which never accepts a signature it cannot check
    assert post(Client(from_env()), body, sign(body, SECRET)).status_code == 401
    assert post(Client(from_env()), body, "garbage").status_code == 401


def test_without_a_secret_no_signature_is_accepted() -> None:
    app = make_app(secret=None, require_signature=False)
    body = load_fixture("colour_shape_a")
    assert post(Client(app), body, None).status_code == 200
    for header in (sign(body, SECRET), "sha256=" + "0" * 64, "garbage", ""):
        answer = post(Client(app), body, header)
        assert answer.status_code == 401, header
        assert b"cannot be checked" in answer.get_data()


def test_the_handler_repr_never_shows_the_secret() -> None:
    assert SECRET not in repr(make_app(secret=SECRET))
    assert "secret=set" in repr(make_app(secret=SECRET))
