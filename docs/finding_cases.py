"""One case per finding code: a minimal handler that commits the mistake, and the
same handler fixed.

The site's page for each code (``docs/finding_pages.py``) is written from this file,
from ``harness.checks.CODES`` (severity, title, fix) and from
``harness.checks.EXPLAINED`` (why, and when it is only a warning);
``tests/test_docs_site.py`` checks every mistake against the harness (its code is
found) and every fix (it is not).  Each handler
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

    #: The lines after :data:`PREAMBLE` that define ``app`` with the mistake...
    mistake: str
    #: ...and fixed.
    fix: str
    #: ``run_check`` options that show it.
    options: dict[str, Any] = field(default_factory=dict)
    #: Served over HTTP on 127.0.0.1 and checked at its URL, not called in-process.
    served: bool = False
    #: False: the mistake is a URL where nothing listens, whatever the handler.
    listens: bool = True
    #: The command shown on the page, with the handler saved as ``handler.py``.
    command: str = "botwebhook check handler.py:app --secret $SECRET"


CASES: dict[str, Case] = {
    "BW100": Case(
        mistake=GOOD + "\n# served on port 8081, while the bot calls port 8080\n",
        fix=GOOD,
        served=True,
        listens=False,
        command="botwebhook check http://127.0.0.1:8080/ --secret $SECRET",
    ),
    "BW101": Case(
        mistake=_good('answer({"text": "Created your booking."}, 201)'),
        fix=_good('answer({"text": "Created your booking."})'),
    ),
    "BW102": Case(
        mistake=_good('Response(b"", mimetype="application/json")'),
        fix=_good("answer({})"),
    ),
    "BW103": Case(
        mistake=_good('answer([{"text": "ok"}])'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW104": Case(
        mistake=_good('answer({"text": {"value": "ok"}})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW105": Case(
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
        command="botwebhook check handler.py:app --secret $SECRET "
        "--intent colour --intent book_table",
    ),
    "BW201": Case(
        mistake=_good('answer({"text": "Noted.", "context": {"colour": "blue"}})'),
        fix=_good(
            'answer({"text": "Noted.", "context": {"variables": {"colour": {"value": "blue"}}}})'
        ),
    ),
    "BW202": Case(
        mistake=_good('answer({"text": "Here is everything: " + "la " * 250})'),
        fix=_good('answer({"text": "Here is a summary; ask me for more."})'),
    ),
    "BW203": Case(
        mistake=_good(
            'answer({"facebook": {"text": "Pick one", "quick_replies": [{"title": "Red"}]}})'
        ),
        fix=_good(
            'answer({"facebook": {"text": "Pick one", "quick_replies": '
            '[{"content_type": "text", "title": "Red", "payload": "RED"}]}})'
        ),
    ),
    "BW204": Case(
        mistake=_good(
            'answer({"facebook": {"attachment": {"type": "gif", "payload": {"url": "u"}}}})'
        ),
        fix=_good(
            'answer({"facebook": {"attachment": {"type": "image", "payload": {"url": "u"}}}})'
        ),
    ),
    "BW205": Case(
        mistake=_good("Response(b\"{'text': 'ok'}\", mimetype=\"application/json\")"),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW206": Case(
        mistake=_good('answer({"txt": "ok"})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW207": Case(
        mistake=_good('answer({"text": "ok", "webhook_token": payload["webhook_token"]})'),
        fix=_good('answer({"text": "ok"})'),
    ),
    "BW208": Case(
        mistake=_good('answer({"text": "x" * (11 * 1024 * 1024)})'),
        fix=_good('answer({"text": "ok"})'),
        options={"intents": ["colour"], "probes": False},
    ),
    "BW301": Case(
        mistake=GOOD.replace(
            "if not signed(request):", 'if "X-Hub-Signature" not in request.headers:'
        ),
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW302": Case(
        mistake=GOOD.replace(
            "if not signed(request):",
            'if "X-Hub-Signature" in request.headers and not signed(request):',
        ),
        fix=GOOD,
        options={"intents": ["colour"]},
    ),
    "BW303": Case(
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
    ),
    "BW403": Case(
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
