"""A bare WSGI function, no framework: read the body, verify, then look at
every value's type before using it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any

SECRET = b"2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def _answer(start: Callable[..., Any], status: str, data: Any) -> Iterable[bytes]:
    body = json.dumps(data).encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] != "POST":
        return _answer(start_response, "405 Method Not Allowed", {"error": "POST only"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    header = environ.get("HTTP_X_HUB_SIGNATURE", "")
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header, expected):
        return _answer(start_response, "401 Unauthorized", {"error": "signature"})
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _answer(start_response, "400 Bad Request", {"error": "json"})
    chat = payload.get("chatResult") if isinstance(payload, dict) else None
    query = chat.get("query") if isinstance(chat, dict) else None
    return _answer(start_response, "200 OK", {"text": f"echo: {query[:600]}" if query else ""})
