"""An app that catches everything into ``200 {"error": ..., "trace": ...}``."""

from __future__ import annotations

import traceback

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/")
def webhook():
    try:
        data = request.get_json(force=True)
        return jsonify(text="Booked for " + data["variablesMap"]["date"]["value"])
    except Exception as exc:
        return jsonify(error=str(exc), trace=traceback.format_exc())
