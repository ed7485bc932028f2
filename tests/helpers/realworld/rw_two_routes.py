"""A Flask app with two webhooks and nothing at ``/``: the path must be chosen."""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/hooks/orders")
def orders():
    return jsonify(text="order noted")


@app.post("/hooks/weather")
def weather():
    return jsonify(text="sunny")
