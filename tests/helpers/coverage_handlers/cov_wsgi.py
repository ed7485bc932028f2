# A handler for tests/harness/test_code_coverage.py, which counts its lines by hand.
from __future__ import annotations

import hashlib
import hmac
import json

SECRET = b"code-coverage-secret"


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    good = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(environ.get("HTTP_X_HUB_SIGNATURE", ""), good):
        return answer(start_response, "401 Unauthorized", {})
    data = json.loads(body)
    if environ.get("HTTP_X_ADMIN") == "yes":  # no platform call sends this header
        return admin(start_response)
    if data["intentName"] == "weather":
        if data.get("languageCode") == "tlh":  # no bot speaks Klingon
            return answer(start_response, "200 OK", {"text": "nuqneH"})
        return answer(start_response, "200 OK", {"text": "sunny"})
    return answer(start_response, "200 OK", {"text": "ok"})


def admin(start_response):
    return answer(start_response, "200 OK", {"text": "admin"})


def answer(start_response, status, data):
    out = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json")])
    return [out]
