"""A webhook for one intent, written the usual Flask way: it verifies first, and
answers 400 to any other intent (it is attached to ``order_pizza`` only)."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.post("/")
def webhook():
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json(silent=True) or {}
    if data.get("intentName") != "order_pizza":
        return jsonify(error="unsupported intent"), 400
    variables = data.get("variablesMap") or {}
    pizzas = (variables.get("pizzas") or {}).get("value", "one")
    size = (variables.get("size") or {}).get("value", "medium")
    return jsonify(
        text=f"{pizzas} {size} pizza(s) coming up.",
        context={"variables": {"last_order": {"value": f"{pizzas}x{size}"}}},
    )
