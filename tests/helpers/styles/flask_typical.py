"""A webhook written the usual Flask way: verify first, then read defensively
with ``get_json(silent=True)`` and ``.get(...) or {}``.  It conforms: it crashes
only on bodies the platform never sends, which need the secret to get in."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.post("/")
def hook():  # type: ignore[no-untyped-def]
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json(silent=True) or {}
    variables = data.get("variablesMap") or {}
    colour = (variables.get("colour") or {}).get("value")
    print(f"webhook: {data.get('intentName')} colour={colour}")
    return jsonify(text=f"You said {colour}." if colour else "")
