"""Tiny WSGI handlers for the checker's tests: one conforming, the rest each
committing exactly one mistake.  Imported by the tests as a module."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"

Answer = Callable[[dict[str, Any]], Response]


def reply(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def raw(body: bytes | str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


def signed_ok(body: bytes, header: str | None) -> bool:
    if header is None or not header.startswith("sha256="):
        return False
    mine = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mine, header[7:])


def conforming(
    answer: Answer = lambda payload: reply({"text": "ok"}),
    *,
    check_signature: Callable[[bytes, str | None], bool] = signed_ok,
    parse_errors: int = 400,
) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """A correct handler whose answer (or one step) a test replaces."""

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        if request.method != "POST":
            return reply({"error": "POST only"}, 405)
        body = request.get_data()
        if not check_signature(body, request.headers.get("X-Hub-Signature")):
            return reply({"error": "bad signature"}, 401)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: deeply nested input
            return reply({"error": "not JSON"}, parse_errors)
        if not isinstance(payload, dict):
            return reply({"error": "not an object"}, 400)
        return answer(payload)

    return app  # type: ignore[return-value]


GOOD = conforming()
CREATED = conforming(lambda p: reply({"text": "ok"}, 201))
EMPTY = conforming(lambda p: raw(b""))
NULL = conforming(lambda p: raw(b"null"))
ARRAY = conforming(lambda p: raw(b'[{"text": "ok"}]'))
TRAILING = conforming(lambda p: raw(b'{"text": "ok"} and more'))
TEXT_OBJECT = conforming(lambda p: reply({"text": {"value": "ok"}}))
MULTI_OBJECT = conforming(lambda p: reply({"facebook_multi": {"text": "ok"}}))
FLAT_CONTEXT = conforming(lambda p: reply({"text": "ok", "context": {"colour": "blue"}}))
LONG_TEXT = conforming(lambda p: reply({"text": "x" * 700}))
QUICK_REPLY = conforming(
    lambda p: reply({"facebook": {"text": "Pick", "quick_replies": [{"title": "Red"}]}})
)
BAD_ENUM = conforming(
    lambda p: reply({"facebook": {"attachment": {"type": "gif", "payload": {"url": "u"}}}})
)
SINGLE_QUOTES = conforming(lambda p: raw(b"{'text': 'ok'}"))
NUMBER_TEXT = conforming(lambda p: raw(b'{"text": 123}'))
TYPO = conforming(lambda p: reply({"txt": "ok"}))
TOKEN_ECHO = conforming(lambda p: reply({"text": "ok", "webhook_token": p["webhook_token"]}))
LIFESPAN = conforming(
    lambda p: reply({"context": {"variables": {"a": {"value": "b", "lifespan_turns": 3}}}})
)
ANY_SIGNATURE = conforming(check_signature=lambda body, header: header is not None)
NO_SIGNATURE_OK = conforming(
    check_signature=lambda body, header: header is None or signed_ok(body, header)
)


def _reserialized(body: bytes, header: str | None) -> bool:
    """The classic mistake: verify over json.dumps of the parsed body, not the raw bytes."""
    try:
        return signed_ok(json.dumps(json.loads(body)).encode(), header)
    except ValueError:
        return False


RESERIALIZES = conforming(check_signature=_reserialized)


def _unfilled_crash(payload: dict[str, Any]) -> Response:
    variables = payload.get("variablesMap")
    if not isinstance(variables, dict):
        return reply({"error": "no variables"}, 400)
    values = {label: v["value"] for label, v in variables.items()}
    return reply({"text": f"ok {len(values)}"})


CRASHES_ON_UNFILLED = conforming(_unfilled_crash)
# Verifies first, then crashes on a body it cannot parse: only a signed malformed
# body reaches the crash, and only the platform can sign (the robustness probe).
CRASHES_ON_GARBAGE = conforming(parse_errors=500)


@Request.application  # type: ignore[arg-type]
def PARSES_FIRST(request: Request) -> Response:
    """Parses before it verifies: anyone can crash it with a malformed body."""
    payload = json.loads(request.get_data())  # a 500 on anything that is not JSON
    if not signed_ok(request.get_data(), request.headers.get("X-Hub-Signature")):
        return reply({"error": "bad signature"}, 401)
    return reply({"text": f"ok {len(payload)}"})


def _slow(payload: dict[str, Any]) -> Response:
    time.sleep(0.3)
    return reply({"text": "late"})


SLOW = conforming(_slow)


@Request.application  # type: ignore[arg-type]
def REDIRECTS(request: Request) -> Response:
    if request.path == "/moved":
        return reply({"text": f"got a {request.method}"})
    return Response("", status=302, headers={"Location": "/moved"})


@Request.application  # type: ignore[arg-type]
def PERMANENT(request: Request) -> Response:
    if request.path == "/moved":
        return reply({"text": "ok"})
    return Response("", status=308, headers={"Location": "/moved"})


def emoji_apps(secret: str) -> str:
    """The source of an ``apps.py`` for pytester projects: ``good``, the reference
    handler; ``crashes_on_emoji``, which reads the body first and raises on any
    character beyond the BMP (an emoji the fuzzers' payloads carry), whoever sent it;
    and ``verifies_then_crashes_on_emoji``, which refuses a call with a wrong
    signature first, so that only the platform's own calls can crash it."""
    return f'''
import hashlib
import hmac
import io
from harness.reference import make_app

good = make_app(secret="{secret}")


def crashes_on_emoji(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if any(ord(c) > 0xFFFF for c in body.decode("utf-8", "replace")):
        raise RuntimeError("emoji")
    environ["wsgi.input"] = io.BytesIO(body)
    return good(environ, start_response)


def verifies_then_crashes_on_emoji(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    mine = "sha256=" + hmac.new(b"{secret}", body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mine, environ.get("HTTP_X_HUB_SIGNATURE", "")):
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b\'{{"error": "bad signature"}}\']
    return crashes_on_emoji(environ | {{"wsgi.input": io.BytesIO(body),
                                        "CONTENT_LENGTH": str(len(body))}}, start_response)
'''
