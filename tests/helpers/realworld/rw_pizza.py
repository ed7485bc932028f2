"""A stateful pizza bot, written the usual Flask way: it verifies first, makes an
order id for each order, keeps it in the conversation's context, and greets the
customer by the name and e-mail the client sends.  ``PIZZA_REGRESSION=1`` plants a
regression: the context update is dropped."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.post("/")
def webhook():
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json(silent=True) or {}
    variables = data.get("variablesMap") or {}
    client = data.get("clientVariables") or {}
    name = client.get("name", "there")
    if data.get("intentName") == "track_order":
        order = (data.get("chatResult") or {}).get("context", {}).get("order_id", "none")
        return jsonify(text=f"Order {order} is in the oven, {name}.")
    size = (variables.get("size") or {}).get("value", "medium")
    pizzas = (variables.get("pizzas") or {}).get("value", "one")
    order = "P" + secrets.token_hex(3).upper()
    answer = {
        "text": f"Ordered {pizzas} {size} pizza(s): order {order}. Thanks {name.upper()}! "
        f"A receipt goes to {client.get('email', 'nobody')}; we will call {client.get('phone')} "
        "when it leaves."
    }
    if os.environ.get("PIZZA_REGRESSION") != "1":
        answer["context"] = {"variables": {"order_id": {"value": order}}}
    response = jsonify(answer)
    response.headers.add("Set-Cookie", "session=abc; HttpOnly")
    response.headers.add("Set-Cookie", "theme=dark")
    return response
