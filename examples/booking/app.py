"""A stateful booking bot's webhook: the example the conversation tests run against.

It verifies the signature first, parses defensively, and keeps its state where the
platform keeps it: in the chat context.  ``book_table`` stores a ``booking_id``,
``track_booking`` reads it back (through the platform's ``$booking_id``
substitution), ``cancel_booking`` deletes it with a null.  On Facebook chats it
also sends "Your table is ready" later, through the platform's callback API.

``BOOKING_DEFECT`` plants one multi-turn bug (each makes a named conversation of
``test_booking.conversation.yaml`` fail):

- ``flat_context``: the booking id is sent as a flat ``context`` (ignored by the platform);
- ``no_delete``: cancelling sets the id to ``""`` instead of deleting it with null;
- ``assumes_chat_id``: reads ``chatResult.chatId``, absent when no prompt came first;
- ``wrong_token``: the later callback carries a made-up token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading

import requests
from werkzeug.wrappers import Request, Response

SECRET = os.environ.get("BOOKING_SECRET", "booking-example-secret-0000000000000000")
CALLBACK_BASE = os.environ.get("BOOKING_CALLBACK_BASE", "https://api.hutoma.ai")


def _defect(name: str) -> bool:
    return os.environ.get("BOOKING_DEFECT") == name


def _signed(request: Request, body: bytes) -> bool:
    header = request.headers.get("X-Hub-Signature", "")
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header, expected)


def _value(payload: dict, label: str) -> str | None:
    variable = (payload.get("variablesMap") or {}).get(label) or {}
    value = variable.get("value")
    return value if isinstance(value, str) else None


def _book(payload: dict) -> dict:
    chat = payload.get("chatResult") or {}
    session = str(payload.get("chatSession", ""))
    booking_id = "B" + hashlib.sha256(session.encode()).hexdigest()[:6].upper()
    guests, cuisine = _value(payload, "guests"), _value(payload, "cuisine")
    waited = chat["chatId"] if _defect("assumes_chat_id") else chat.get("chatId")
    text = f"Booked a table for {guests} ({cuisine}), booking $booking_id."
    if waited:
        text = "Thanks for your patience! " + text
    if (payload.get("clientVariables") or {}).get("plan") == "premium":
        text += " A window table is yours."
    if _defect("flat_context"):
        context: dict = {"booking_id": booking_id}
    else:
        context = {"variables": {"booking_id": {"value": booking_id}}}
    if "clientVariables" not in payload:  # a Facebook chat: we can call back later
        token = "0" * 64 if _defect("wrong_token") else payload.get("webhook_token", "")
        threading.Thread(target=_call_back, args=(session, token), daemon=True).start()
    return {"text": text, "context": context}


def _call_back(session: str, token: str) -> None:
    url = f"{CALLBACK_BASE}/v1/ai/chat/webhook/callback/{session}"
    body = {"text": "Your table is ready.", "webhook_token": token}
    try:
        requests.post(url, json=body, timeout=5)
    except requests.RequestException as exc:  # a thread must not die of a network error
        logging.getLogger("booking").warning("callback failed: %s", exc)


def _track(payload: dict) -> dict:
    context = (payload.get("chatResult") or {}).get("context") or {}
    if "booking_id" in context:
        return {"text": "Your booking $booking_id is confirmed."}
    return {"text": "I can't find a booking."}


def _cancel(payload: dict) -> dict:
    context = (payload.get("chatResult") or {}).get("context") or {}
    booking_id = context.get("booking_id")
    if not booking_id:
        return {"text": "There is nothing to cancel."}
    value = "" if _defect("no_delete") else None
    return {
        "text": f"Booking {booking_id} cancelled.",
        "context": {"variables": {"booking_id": {"value": value}}},
    }


HANDLERS = {"book_table": _book, "track_booking": _track, "cancel_booking": _cancel}


@Request.application
def app(request: Request) -> Response:
    body = request.get_data()
    if request.method != "POST":
        return Response("POST only", status=405)
    if not _signed(request, body):
        return Response("invalid signature", status=401)
    try:
        payload = json.loads(body)
    except ValueError:
        return Response("bad JSON", status=400)
    if not isinstance(payload, dict):
        return Response("bad JSON", status=400)
    handler = HANDLERS.get(str(payload.get("intentName")))
    answer = handler(payload) if handler else {}
    return Response(json.dumps(answer), mimetype="application/json")
