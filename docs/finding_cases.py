"""One case per finding code: why the platform fails, a minimal handler that commits
the mistake, and the same handler fixed.

The site's page for each code (``docs/hooks.py``) is written from this file and
from ``harness.checks.CODES``; ``tests/test_docs_site.py`` checks every mistake
against the harness (its code is found) and every fix (it is not).  Each handler
is the code of :data:`PREAMBLE` followed by the case's own lines, which define
``app``.  ``options`` are the keyword arguments of ``harness.run_check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: What every example starts with: the imports, the secret, signature checking.
PREAMBLE = '''\
import hashlib
import hmac
import json
import time

from werkzeug.wrappers import Request, Response

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"  # the bot's webhook secret


def signed(request):
    """X-Hub-Signature is HMAC-SHA256 of the raw body, keyed with the secret's text."""
    mine = hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + mine, request.headers.get("X-Hub-Signature", ""))


def answer(data, status=200):
    return Response(json.dumps(data), status=status, mimetype="application/json")

'''

#: A handler that does everything right: the fix of most cases.
GOOD = """
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    try:
        payload = json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: deeply nested JSON
        return answer({"error": "not JSON"}, 400)
    if not isinstance(payload, dict):
        return answer({"error": "not an object"}, 400)
    return answer({"text": "Got " + str(payload.get("intentName"))})
"""


def _good(reply: str) -> str:
    """The good handler answering with ``reply`` (a Python expression)."""
    return GOOD.replace('answer({"text": "Got " + str(payload.get("intentName"))})', reply)


@dataclass(frozen=True)
class Case:
    """How a code's mistake looks, and its fix."""

    #: What happens on the platform, and so why it is a finding.
    why: str
    #: The lines after :data:`PREAMBLE` that define ``app`` with the mistake...
    mistake: str
    #: ...and fixed.
    fix: str
    #: ``run_check`` options that show it.
    options: dict[str, Any] = field(default_factory=dict)
    #: When the finding is only a warning (None: it always has its code's severity).
    warning: str | None = None
    #: Served over HTTP on 127.0.0.1 and checked at its URL, not called in-process.
    served: bool = False
    #: False: the mistake is a URL where nothing listens, whatever the handler.
    listens: bool = True
    #: The command shown on the page, with the handler saved as ``handler.py``.
    command: str = "botwebhook check handler.py:app --secret $SECRET"


CASES: dict[str, Case] = {
    "BW100": Case(
        why="The platform could not make the call at all: nothing listened at the "
        "URL, the connection was refused or reset, or the TLS handshake failed (for "
        "https, a certificate the platform does not trust). The intent's own "
        "response is shown, and the context does not change.",
        mistake=GOOD + "\n# served on port 8081, while the bot calls port 8080\n",
        fix=GOOD,
        served=True,
        listens=False,
        command="botwebhook check http://127.0.0.1:8080/ --secret $SECRET",
    ),
    "BW101": Case(
        why="The platform accepts exactly 200. Any other status, 201 and 204 "
        "included, fails the call: the body is ignored and the intent's own "
        "response is shown.",
        mistake=_good('answer({"text": "Created your booking."}, 201)'),
        fix=_good('answer({"text": "Created your booking."})'),
        warning="A 404 or 405 for every valid payload is reported once as BW108, and a "
        "4xx for the payloads of one intent as BW110, instead of a BW101 per call.",
    ),
    "BW102": Case(
        why="An empty body, or the JSON literal null, is no answer the platform can "
        "read: the call fails. An empty object keeps the intent's own response.",
        mistake=_good('Response(b"", mimetype="application/json")'),
        fix=_good("answer({})"),
    ),
    "BW103": Case(
        why="The platform reads the body as one JSON object, as Gson reads it: an "
        "array, an HTML page or anything after the object fails the call.",
        mistake=_good('answer([{"text": "ok"}])'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW104": Case(
        why="A known field with a type the platform cannot bind (an object where a "
        "string belongs, say) fails the whole call: Gson stops at the first one.",
        mistake=_good('answer({"text": {"value": "ok"}})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW105": Case(
        why="The platform waits 10 seconds for the answer, then gives up: the chat "
        "user gets the intent's own response, whatever the handler does later. "
        "Slow work belongs after the answer, delivered through the callback API.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    time.sleep(12)  # a slow report, made before answering
    return answer({"text": "Your report is ready."})
""",
        fix=_good('answer({"text": "I am on it: your report comes in a minute."})'),
        options={"timeout": 0.5, "intents": ["colour"], "probes": False},
        command="botwebhook check handler.py:app --secret $SECRET --timeout 0.5",
    ),
    "BW106": Case(
        why="The platform's HTTP client follows 301, 302 and 303 as a GET without "
        "the body and the signature, follows no 308 and no change between http and "
        "https: the handler at the new URL never sees the call as it was sent.",
        mistake="""
@Request.application
def app(request):
    if request.path != "/v2/hook":
        return Response(status=302, headers={"Location": "/v2/hook"})
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    return answer({"text": "ok"})
""",
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW107": Case(
        why="The platform's read timeout is per read: an answer that trickles, or "
        "never ends, holds the chat request for as long as bytes keep coming.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)

    def stream():
        yield b'{"text": "still thinking'
        while True:  # a byte every few tenths of a second, forever
            time.sleep(0.3)
            yield b"."

    return Response(stream(), mimetype="application/json")
""",
        fix=GOOD,
        options={"timeout": 0.5, "intents": ["colour"], "probes": False},
        served=True,
        command="botwebhook check https://bot.example.com/hook --secret $SECRET --timeout 0.5",
    ),
    "BW108": Case(
        why="Every valid payload got 404 or 405: the webhook is not at this path. "
        "The platform calls the URL in the bot's settings, so either that URL or "
        "the path the check calls is wrong.",
        mistake="""
@Request.application
def app(request):
    if request.path != "/hook":
        return answer({"error": "not found"}, 404)
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    return answer({"text": "ok"})
""",
        fix="""
@Request.application
def app(request):
    if request.path != "/":  # the path the bot's webhook URL ends with
        return answer({"error": "not found"}, 404)
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    return answer({"text": "ok"})
""",
        options={"intents": ["colour"]},
        command="botwebhook check handler.py:app --secret $SECRET --path /",
    ),
    "BW109": Case(
        why="A hosting layer (AWS Lambda behind API Gateway, a catch-all wrapper, "
        "Express's error page) answered a crash with 200. The platform reads it as "
        "an answer with no text, so the chat user gets nothing at all.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    try:
        payload = json.loads(request.get_data())
        when = payload["variablesMap"]["date"]["value"]  # not every call has a date
        return answer({"text": "Booked for " + when})
    except Exception as exc:  # what a Lambda wrapper does
        return answer({"errorMessage": str(exc), "errorType": type(exc).__name__})
""",
        fix="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())
    when = payload.get("variablesMap", {}).get("date", {}).get("value")
    return answer({"text": "Booked for " + when} if when else {})
""",
    ),
    "BW110": Case(
        why="The handler refused every payload of an intent it was checked with. "
        "When that intent is declared (--intent, a bot model), the platform calls "
        "the webhook for it, and every such call fails.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())
    if payload.get("intentName") != "colour":
        return answer({"error": "unknown intent"}, 400)
    return answer({"text": "Blue is the colour of the sky."})
""",
        fix="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())
    if payload.get("intentName") == "colour":
        return answer({"text": "Blue is the colour of the sky."})
    return answer({})  # any other intent: keep its own response
""",
        options={"intents": ["colour", "book_table"]},
        warning="A warning when the intent is not declared: with the built-in catalogue "
        "and no --intent, a webhook that serves one intent is normal.",
        command="botwebhook check handler.py:app --secret $SECRET "
        "--intent colour --intent book_table",
    ),
    "BW201": Case(
        why="A flat map under context is not the platform's format: the update is "
        "silently ignored, and the variable keeps its old value.",
        mistake=_good('answer({"text": "Noted.", "context": {"colour": "blue"}})'),
        fix=_good(
            'answer({"text": "Noted.", "context": {"variables": {"colour": {"value": "blue"}}}})'
        ),
        warning="A warning on a passthrough call, which ignores every context update.",
    ),
    "BW202": Case(
        why="Facebook Messenger cuts a text over 640 characters.",
        mistake=_good('answer({"text": "Here is everything: " + "la " * 250})'),
        fix=_good('answer({"text": "Here is a summary; ask me for more."})'),
    ),
    "BW203": Case(
        why="A quick reply without a content_type the platform knows is dropped.",
        mistake=_good(
            'answer({"facebook": {"text": "Pick one", "quick_replies": [{"title": "Red"}]}})'
        ),
        fix=_good(
            'answer({"facebook": {"text": "Pick one", "quick_replies": '
            '[{"content_type": "text", "title": "Red", "payload": "RED"}]}})'
        ),
    ),
    "BW204": Case(
        why="A Facebook node with a value the platform does not know for an "
        "enumerated field is dropped.",
        mistake=_good(
            'answer({"facebook": {"attachment": {"type": "gif", "payload": {"url": "u"}}}})'
        ),
        fix=_good(
            'answer({"facebook": {"attachment": {"type": "image", "payload": {"url": "u"}}}})'
        ),
    ),
    "BW205": Case(
        why="The platform reads the answer leniently (as Gson does): single quotes, "
        "a number where a string belongs. It works, but only by accident of the "
        "parser.",
        mistake=_good("Response(b\"{'text': 'ok'}\", mimetype=\"application/json\")"),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW206": Case(
        why="A key the platform does not know is ignored: usually a typo of one it does.",
        mistake=_good('answer({"txt": "ok"})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW207": Case(
        why="A field the platform ignores where it stands: webhook_token is read only "
        "by the callback API, lifespan_turns only on a context variable.",
        mistake=_good('answer({"text": "ok", "webhook_token": payload["webhook_token"]})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW208": Case(
        why="The platform reads the whole answer into memory, with no limit, while "
        "the chat user waits. The harness stops reading at its cap and checks no "
        "further.",
        mistake=_good('answer({"text": "x" * (11 * 1024 * 1024)})'),
        fix=_good('answer({"text": "ok"})'),
        options={"intents": ["colour"], "probes": False},
    ),
    "BW301": Case(
        why="Only the platform holds the secret. A handler that accepts a wrong "
        "signature accepts calls from anyone who finds its URL.",
        mistake=GOOD.replace(
            "if not signed(request):", 'if "X-Hub-Signature" not in request.headers:'
        ),
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW302": Case(
        why="A handler that accepts a call without a signature accepts calls from "
        "anyone who finds its URL.",
        mistake=GOOD.replace(
            "if not signed(request):",
            'if "X-Hub-Signature" in request.headers and not signed(request):',
        ),
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW303": Case(
        why="The platform signs the exact bytes it sends. A signature computed over "
        "re-serialized JSON (or with the secret hex-decoded) never matches, so every "
        "real call is refused.",
        mistake="""
@Request.application
def app(request):
    payload = json.loads(request.get_data())
    again = json.dumps(payload).encode()  # not the bytes that were signed
    mine = hmac.new(SECRET.encode(), again, hashlib.sha256).hexdigest()
    if request.headers.get("X-Hub-Signature") != "sha256=" + mine:
        return answer({"error": "bad signature"}, 401)
    return answer({"text": "ok"})
""",
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW401": Case(
        why="A 5xx fails the call. The platform sends variants a handler must take: "
        "an unfilled variable has no value key, a Facebook chat has no "
        "clientVariables, a first-sentence turn has no chatId.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())
    values = {k: v["value"] for k, v in payload.get("variablesMap", {}).items()}
    return answer({"text": "Got %d values" % len(values)})
""",
        fix="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())
    values = {k: v.get("value") for k, v in payload.get("variablesMap", {}).items()}
    return answer({"text": "Got %d values" % len(values)})
""",
    ),
    "BW402": Case(
        why="Anyone who finds the URL can send a malformed body, unsigned. A handler "
        "that parses before it verifies answers them with a 5xx: a crash anyone can "
        "cause, and noise in its error reports.",
        mistake="""
@Request.application
def app(request):
    payload = json.loads(request.get_data())  # parsed before the signature is checked
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    return answer({"text": "Got " + str(payload.get("intentName"))})
""",
        fix=GOOD,
        options={"intents": ["colour"]},
        warning="A warning on a target the platform does not sign (plain http, or no "
        "secret): nothing then tells its calls from junk.",
    ),
    "BW403": Case(
        why="Only the platform can sign, and it never sends a malformed body: a "
        "handler that verifies first cannot crash this way in production. The "
        "robustness probe sends such bodies signed anyway, for the careful.",
        mistake="""
@Request.application
def app(request):
    if not signed(request):
        return answer({"error": "bad signature"}, 401)
    payload = json.loads(request.get_data())  # trusts what is signed
    return answer({"text": "Got " + str(payload.get("intentName"))})
""",
        fix=GOOD,
        options={"intents": ["colour"], "robustness": True},
        command="botwebhook check handler.py:app --secret $SECRET --probe robustness",
    ),
}
