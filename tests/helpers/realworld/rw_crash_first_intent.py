"""Verifies nothing, and crashes on every ``colour`` call (it reads a key that
intent does not have); the other intents are served.  A probe built on a
``colour`` payload would see the crash and miss that nothing is verified."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/")
def webhook():
    data = request.get_json(force=True)
    if data["intentName"] == "colour":
        return jsonify(text=data["variablesMap"]["shade"]["value"])
    return jsonify(text="done")
