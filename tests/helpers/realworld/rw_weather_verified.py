"""The same Flask sub-route, written right: it verifies the signature first, reads
defensively, and serves only the weather intent (others get a polite 200)."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.get("/")
def index():
    return "weather bot"


@app.post("/hooks/weather")
def weather():
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json(silent=True) or {}
    if data.get("intentName") != "weather":
        return jsonify({})
    city = ((data.get("variablesMap") or {}).get("city") or {}).get("value")
    return jsonify(text=f"It will be sunny in {city}." if city else "Which city?")
