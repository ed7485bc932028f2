"""Parses before it verifies: anyone on the network can crash it (a real BW402)."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.post("/")
def hook():  # type: ignore[no-untyped-def]
    data = request.get_json(force=True)  # a 400 for bad JSON, but a list crashes below
    intent = data.get("intentName")
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        return jsonify(error="signature"), 401
    return jsonify(text=f"{intent} done")
