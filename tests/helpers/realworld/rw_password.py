"""A password generator: the length comes from a number the user typed.  It
verifies first; then it trusts the number: ``int()`` of what the user typed, and
no upper bound."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)


@app.post("/password")
def password():
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json()
    length = int(data["variablesMap"]["length"]["value"])
    alphabet = string.ascii_letters + string.digits
    word = "".join(secrets.choice(alphabet) for _ in range(length))
    return jsonify(text=f"Your password: {word[:64]}")
