"""The password generator written defensively: the number is parsed with care
and bounded; anything else gets a question back."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

from flask import Flask, abort, jsonify, request

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
app = Flask(__name__)
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12}


def length_of(text):
    text = (text or "").strip().lower()
    if text in WORDS:
        return WORDS[text]
    match = re.fullmatch(r"\d{1,3}", text)
    return int(match.group()) if match else None


@app.post("/password")
def password():
    expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), expected):
        abort(401)
    data = request.get_json(silent=True) or {}
    value = ((data.get("variablesMap") or {}).get("length") or {}).get("value")
    length = length_of(value)
    if length is None or not 8 <= length <= 64:
        return jsonify(text="Pick a length from 8 to 64, please.")
    alphabet = string.ascii_letters + string.digits
    return jsonify(
        text="Your password: " + "".join(secrets.choice(alphabet) for _ in range(length))
    )
