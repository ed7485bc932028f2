"""ASGI webhook handlers: FastAPI, Starlette, a bare callable and a class, each
conforming (verify first, parse defensively) or with one planted defect."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def _verified(body: bytes, header: str | None) -> bool:
    mine = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mine, header or "")


def _payload(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# -- FastAPI, with a lifespan that opens what the handler needs -------------------------

pool: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> Any:
    pool["connection"] = "open"  # a database pool, an HTTP client...
    yield
    pool.clear()


def _fastapi(planted: bool) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.post("/")
    async def hook(request: Request) -> dict[str, Any]:
        body = await request.body()
        if not _verified(body, request.headers.get("x-hub-signature")):
            raise HTTPException(401, "bad signature")
        data = _payload(body)
        if data is None:
            raise HTTPException(400, "not a JSON object")
        assert pool["connection"] == "open", "called before the lifespan startup"
        variables = data.get("variablesMap") or {}
        if planted:  # the classic bug: unfilled variables have no "value"
            return {"text": ", ".join(v["value"] for v in variables.values())}
        return {"text": "ok"}

    return app


fastapi_ok = _fastapi(planted=False)
fastapi_crash = _fastapi(planted=True)


# -- Starlette --------------------------------------------------------------------------


def _starlette(planted: bool) -> Starlette:
    async def hook(request: StarletteRequest) -> JSONResponse:
        body = await request.body()
        if not _verified(body, request.headers.get("x-hub-signature")):
            return JSONResponse({"error": "signature"}, status_code=401)
        data = _payload(body)
        if data is None:
            return JSONResponse({"error": "json"}, status_code=400)
        if planted:  # Facebook chats have no clientVariables
            return JSONResponse({"text": data["clientVariables"].get("plan", "none")})
        return JSONResponse({"text": "ok"})

    return Starlette(routes=[Route("/", hook, methods=["POST"])])


starlette_ok = _starlette(planted=False)
starlette_crash = _starlette(planted=True)


# -- a bare ASGI callable, and a class with an async __call__ ----------------------------


async def _read(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _answer(send: Any, status: int, data: Any) -> None:
    payload = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _verified_payload(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """The payload of a verified call, or None once the call has been answered (a
    4xx, or nothing for a scope that is not HTTP)."""
    if scope["type"] != "http":
        return None
    body = await _read(receive)
    header = dict(scope["headers"]).get(b"x-hub-signature", b"").decode()
    if not _verified(body, header):
        await _answer(send, 401, {"error": "signature"})
        return None
    data = _payload(body)
    if data is None:
        await _answer(send, 400, {"error": "json"})
    return data


async def bare_ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if await _verified_payload(scope, receive, send) is None:
        return
    print("bare handler: one call")  # captured, per call
    await _answer(send, 200, {"text": "ok"})


class ClassApp:
    """An ASGI app as a class instance; ``planted`` crashes on first-sentence
    (shape A) payloads, which have no chatId."""

    def __init__(self, planted: bool = False) -> None:
        self.planted = planted

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        data = await _verified_payload(scope, receive, send)
        if data is None:
            return
        if self.planted:
            data["chatResult"]["chatId"].upper()  # AttributeError on shape A: no chatId
        await _answer(send, 200, {"text": "ok"})
        return


class_ok = ClassApp()
class_crash = ClassApp(planted=True)


# -- slow, and failing to start ----------------------------------------------------------

cancelled: list[str] = []


async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await _read(receive)
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        cancelled.append("cancelled")
        raise
    await _answer(send, 200, {"text": "late"})


async def failing_startup(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        raise RuntimeError("cannot reach the database")
