"""An AWS Lambda handler for the ``book_table`` intent, and the glue that serves
it the way API Gateway does with a non-proxy integration: a crash comes back as
``200`` with Lambda's error envelope.  It verifies the signature first; it reads
the optional ``date`` variable as if it were always filled."""

from __future__ import annotations

import hashlib
import hmac
import json
import traceback

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def lambda_handler(event, context):
    body = event["body"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(event["headers"].get("x-hub-signature", ""), expected):
        return {"statusCode": 401, "body": json.dumps({"message": "Unauthorized"})}
    try:
        payload = json.loads(body)
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"message": "Bad Request"})}
    if payload.get("intentName") != "book_table":
        return {"statusCode": 200, "body": "{}"}
    variables = payload["variablesMap"]
    guests = variables["guests"]["value"]
    when = variables["date"]["value"]
    return {"statusCode": 200, "body": json.dumps({"text": f"Table for {guests} on {when}."})}


def app(environ, start_response):
    """API Gateway in front of the Lambda: the event in, the result out."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    headers = {
        k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
    }
    event = {"body": raw, "headers": headers, "httpMethod": environ["REQUEST_METHOD"]}
    try:
        result = lambda_handler(event, None)
        status, body = result["statusCode"], result["body"]
    except Exception as exc:
        status = 200
        body = json.dumps(
            {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
        )
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized"}.get(status, "Error")
    data = body.encode()
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
