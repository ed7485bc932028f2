"""The platform's public example handler, as its notes describe it, ported to
Python 3 the way a user porting it would (the key encoded): Flask-RESTful serving
``POST /``; it parses the JSON before any signature check, verifies only when it
has a key, accepts a missing header, strips every ``sha256=``, compares with
``==``, answers ``"invalid signature", 400``, and serves only the ``colour``
intent (an unfilled variable raises KeyError)."""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import Flask, request
from flask_restful import Api, Resource

HMAC_KEY = os.environ.get("EXAMPLE_HMAC_KEY", "2fb71ab6057e6f3d652c7e1131db962af27fda4f")

COLOURS = {
    "red": "Red is the colour of passion.",
    "green": "Green is the colour of nature.",
    "blue": "Blue is the colour of the sky.",
    "yellow": "Yellow is the colour of the sun.",
}


class Webhook(Resource):
    def post(self):
        req = request.get_json(force=True)
        if HMAC_KEY:
            received = request.headers.get("X-Hub-Signature")
            if received is not None:
                received = received.replace("sha256=", "")
                digest = hmac.new(HMAC_KEY.encode(), request.get_data(), hashlib.sha256)
                if digest.hexdigest() != received:
                    return "invalid signature", 400
        colour = req["variablesMap"]["colour"]["value"]
        text = COLOURS.get(colour.lower(), "I don't recognise that colour.")
        return {"text": text}


app = Flask(__name__)
api = Api(app)
api.add_resource(Webhook, "/")
