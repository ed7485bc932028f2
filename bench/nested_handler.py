"""The handler of ``bench/guided_fuzz.py``: it crashes only when five conditions
hold, each in a branch nested in the last: the intent is ``order_pizza``, its
``size`` is ``family``, the chat is in Italian, the optional ``topping`` is
filled, and the chat comes from Facebook (no ``clientVariables``).  It verifies
the signature first and parses defensively, as a handler should, so nothing but
that chain fails.  ``MODEL`` is its bot."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SECRET = "guided-bench-secret"

MODEL: dict[str, Any] = {
    "languages": ["EN", "ES", "PT", "FR", "NL", "IT"],
    "intents": [
        {"name": "order_pizza", "responses": ["One $size pizza coming."],
         "variables": [
             {"label": "size", "entity": "pizza_size",
              "values": ["small", "medium", "large", "family", "slice", "party"],
              "prompts": ["Which size?"]},
             {"label": "topping", "entity": "topping", "mandatory": False,
              "values": ["ham", "olives", "mushrooms", "pineapple", "basil", "onion"]},
         ]},
        *({"name": name, "responses": ["Done."],
           "variables": [{"label": "what", "entity": "thing",
                          "values": ["one", "two", "three", "four"],
                          "prompts": ["What?"]}]}
          for name in ("weather", "book_table", "track_order", "set_alarm", "add_tip")),
    ],
}  # fmt: skip


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(environ.get("HTTP_X_HUB_SIGNATURE", ""), good):
        return _answer(start_response, "401 Unauthorized", {"error": "bad signature"})
    try:
        data = json.loads(body)
    except ValueError:
        return _answer(start_response, "400 Bad Request", {"error": "not JSON"})
    if not isinstance(data, dict):
        return _answer(start_response, "400 Bad Request", {"error": "not an object"})
    variables = data.get("memoryVariables")
    values = {
        v.get("label"): v.get("value")
        for v in (variables if isinstance(variables, list) else [])
        if isinstance(v, dict)
    }
    text = "Done."
    if data.get("intentName") == "order_pizza":
        text = "One pizza coming."
        if values.get("size") == "family":
            text = "A family pizza coming."
            if data.get("language") == "IT":
                text = "Una pizza famiglia in arrivo."
                if values.get("topping"):
                    text = f"Una pizza famiglia con {values['topping']}."
                    if "clientVariables" not in data:  # a Facebook chat
                        raise RuntimeError("the Facebook menu has no family pizzas")
    return _answer(start_response, "200 OK", {"text": text})


def _answer(start_response: Any, status: str, data: dict[str, Any]) -> list[bytes]:
    out = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json")])
    return [out]
