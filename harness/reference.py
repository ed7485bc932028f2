"""The reference webhook handler: a small WSGI app that does everything right.

Read it as the model answer for your own endpoint:

1. Only ``POST``; anything else is ``405``.
2. Refuse a body over the size limit (``413``) before reading all of it.
3. Verify ``X-Hub-Signature`` over the **raw body bytes**, with a constant-time
   comparison, **before** parsing anything (``401`` when wrong or missing).
4. Parse leniently: the platform leaves out unfilled values, ``clientVariables``
   on Facebook chats, ``chatId`` on first-sentence turns, and may add fields.
5. Answer ``200`` with ``{"text": ...}``, a *nested* ``context`` update and,
   when the user has a choice to make, Facebook quick replies.
6. Never a ``5xx`` and never a traceback: an unexpected condition is a JSON
   ``4xx``.

It fails closed: without a secret it does not start unless told that the
endpoint is plain http (which the platform never signs), and it never accepts
a signature it cannot check.

Use it in-process (``make_app(secret=...)`` is a WSGI callable), over HTTP with
``botwebhook serve``, or under any WSGI server::

    BOTWEBHOOK_SECRET=... gunicorn -w 2 -b 0.0.0.0:8000 'harness.reference:from_env()'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from harness._errors import BotWebhookValueError, InvalidSecretError
from harness.protocol._signing import SIGNATURE_HEADER, Secret, SecretLike, verify

__all__ = ["DEFAULT_MAX_BODY", "PLAIN_HTTP_ENV", "ReferenceHandler", "from_env", "make_app"]

#: The default body size limit: 1 MiB.
DEFAULT_MAX_BODY = 1024 * 1024
#: Facebook cuts text segments at 640 characters; stay under it.
_MAX_TEXT = 640

_COLOUR_SENTENCES = {
    "red": "Red is the colour of fire.",
    "green": "Green is the colour of grass.",
    "blue": "Blue is the colour of the sky.",
    "yellow": "Yellow is the colour of the sun.",
}
# The catalogue's colour names in the other platform languages.
_COLOUR_NAMES = {
    "rojo": "red", "verde": "green", "azul": "blue", "amarillo": "yellow",
    "vermelho": "red", "amarelo": "yellow",
    "rouge": "red", "vert": "green", "bleu": "blue", "jaune": "yellow",
    "rood": "red", "groen": "green", "blauw": "blue", "geel": "yellow",
    "rosso": "red", "blu": "blue", "giallo": "yellow",
}  # fmt: skip
_DAY_CHOICES = ("Today", "Tomorrow", "This weekend")


def _json(status: int, data: Mapping[str, Any], **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _error(status: int, message: str, **headers: str) -> Response:
    return _json(status, {"error": message}, **headers)


def _captured(payload: Mapping[str, Any]) -> dict[str, str]:
    """Filled variables by label.  ``variablesMap`` first, ``memoryVariables`` as a
    fallback; unfilled variables (no ``value`` key) are simply not there."""
    variables: Iterable[Any] = ()
    by_label = payload.get("variablesMap")
    if isinstance(by_label, dict):
        variables = by_label.values()
    elif isinstance(payload.get("memoryVariables"), list):
        variables = payload["memoryVariables"]
    out: dict[str, str] = {}
    for variable in variables:
        if not isinstance(variable, dict):
            continue
        label, value = variable.get("label"), variable.get("value")
        if isinstance(label, str) and isinstance(value, str):
            out[label] = value
    return out


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


class ReferenceHandler:
    """The WSGI application; build it with :func:`make_app`."""

    def __init__(
        self,
        *,
        secret: SecretLike | None,
        require_signature: bool = True,
        max_body: int = DEFAULT_MAX_BODY,
        passthrough: bool = False,
        accept_unverified: bool = False,
    ) -> None:
        secret = Secret.of(secret)  # from here on, no traceback can show it
        if require_signature and not secret:
            raise InvalidSecretError(
                "the reference handler needs the bot's webhook secret to verify calls, and "
                f"secret is {'None' if secret is None else 'empty'} (hint: pass secret=..., or "
                "require_signature=False for a plain-http endpoint, which the platform never signs)"
            )
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise BotWebhookValueError(
                f"expected a positive int for max_body, got {max_body!r} (hint: bytes, "
                f"default {DEFAULT_MAX_BODY})"
            )
        self.secret = secret
        self.require_signature = require_signature
        self.max_body = max_body
        self.passthrough = passthrough
        self.accept_unverified = accept_unverified

    def __repr__(self) -> str:  # never the secret, even in a traceback's locals
        return (
            f"<ReferenceHandler secret={'set' if self.secret else 'none'}, "
            f"require_signature={self.require_signature}, max_body={self.max_body}>"
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            response = self.handle(Request(environ))
        except Exception:  # the contract: never a 5xx, never a traceback
            response = _error(400, "the request could not be handled")
        return response(environ, start_response)

    # -- the steps, in order ------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "only POST is accepted", Allow="POST")
        body = self._read_body(request)
        if body is None:
            return _error(413, f"body larger than {self.max_body} bytes")
        problem = self._signature_problem(body, request.headers.get(SIGNATURE_HEADER))
        if problem:
            return _error(401, problem)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return _error(400, "body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, "body is not a JSON object")
        if self.passthrough or "intentName" not in payload:
            return _json(200, self.answer_passthrough(payload))
        return _json(200, self.answer_intent(payload))

    def _read_body(self, request: Request) -> bytes | None:
        """The raw body, or None when it is over the limit (checked before reading
        it all: first the declared length, then at most ``max_body + 1`` bytes)."""
        declared = request.content_length
        if declared is not None and declared > self.max_body:
            return None
        body: bytes = request.stream.read(self.max_body + 1)
        return None if len(body) > self.max_body else body

    def _signature_problem(self, body: bytes, header: str | None) -> str | None:
        if not self.secret:
            if header is None or self.accept_unverified:
                return None
            # Fail closed: a signature that cannot be checked is not accepted.
            return "a signature cannot be checked here: this endpoint has no secret"
        if header is None:
            return "missing signature" if self.require_signature else None
        # A signature that is present is always checked, even where it is optional.
        return None if verify(body, header, self.secret) else "invalid signature"

    # -- the answers ----------------------------------------------------------------

    def answer_intent(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to an intent webhook (see the module docstring)."""
        intent = payload.get("intentName")
        values = _captured(payload)
        if intent == "colour" and "colour" in values:
            return self._colour(values["colour"])
        if intent == "book_table" and "guests" in values:
            return self._book_table(values)
        # Anything else: {} is a valid answer, and the platform shows the intent's
        # own response with its $label placeholders filled in.
        return {}

    def _colour(self, said: str) -> dict[str, Any]:
        colour = _COLOUR_NAMES.get(said.lower(), said.lower())
        text = _COLOUR_SENTENCES.get(colour, "I don't recognise that colour.")
        answer: dict[str, Any] = {"text": text}
        if colour in _COLOUR_SENTENCES:
            # A nested context update: remembered for later turns as $favourite_colour.
            # (A flat {"favourite_colour": "blue"} would be ignored by the platform.)
            answer["context"] = {"variables": {"favourite_colour": {"value": colour}}}
        return answer

    def _book_table(self, values: Mapping[str, str]) -> dict[str, Any]:
        guests = values["guests"]
        food = values.get("cuisine", "any")
        if "date" in values:  # the optional variable was filled
            return {"text": _shorten(f"Booked: a table for {guests} ({food}) {values['date']}.")}
        question = f"A table for {guests} ({food}). Which day?"
        return {
            "text": _shorten(question),
            "facebook": {
                "text": _shorten(question),
                "quick_replies": [
                    {"content_type": "text", "title": day, "payload": f"DAY_{i}"}
                    for i, day in enumerate(_DAY_CHOICES)
                ],
            },
        }

    def answer_passthrough(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to a passthrough call: the whole chat turn is ours to answer.
        (A context update would be ignored here, so there is none.)"""
        chat = payload.get("chatResult")
        query = chat.get("query") if isinstance(chat, dict) else None
        if not isinstance(query, str) or not query.strip():
            return {"text": "Sorry, I didn't catch that."}
        return {"text": _shorten(f"You said: {query}")}


def make_app(
    *,
    secret: SecretLike | None,
    require_signature: bool = True,
    max_body: int = DEFAULT_MAX_BODY,
    passthrough: bool = False,
    accept_unverified: bool = False,
) -> ReferenceHandler:
    """The reference handler as a WSGI application.

    ``secret`` is the bot's webhook secret; with ``require_signature=False``
    (plain-http endpoints, which the platform does not sign) a missing signature
    is accepted but a wrong one is still refused, and with no secret at all any
    signature is refused, since it cannot be checked.  ``passthrough=True``
    answers every call as the bot's passthrough endpoint.  ``accept_unverified``
    (for mocks that only record calls, never for an endpoint) lets signatures
    through when there is no secret to check them with.
    """
    secret = Secret.of(secret)  # from here on, no traceback can show it
    return ReferenceHandler(
        secret=secret,
        require_signature=require_signature,
        max_body=max_body,
        passthrough=passthrough,
        accept_unverified=accept_unverified,
    )


#: Set to 1 to serve :func:`from_env` without a secret, as a plain-http endpoint.
PLAIN_HTTP_ENV = "BOTWEBHOOK_PLAIN_HTTP"


def from_env() -> ReferenceHandler:
    """``make_app`` configured from ``$BOTWEBHOOK_SECRET`` (for gunicorn and friends).

    Without a secret it refuses to start, unless ``$BOTWEBHOOK_PLAIN_HTTP=1``
    says the endpoint is plain http (which the platform never signs); then any
    request with a signature is refused, since it cannot be checked.
    """
    secret = os.environ.get("BOTWEBHOOK_SECRET") or None
    if secret is None:
        if os.environ.get(PLAIN_HTTP_ENV) != "1":
            raise InvalidSecretError(
                "the reference handler needs the bot's webhook secret in $BOTWEBHOOK_SECRET "
                f"(hint: set it; or set {PLAIN_HTTP_ENV}=1 for a plain-http endpoint, which "
                "the platform never signs)"
            )
        return make_app(secret=None, require_signature=False)
    return make_app(secret=secret)
