"""A handler behind a proxy that answers a crash with 200 and Express's default
error page (as some function hosts do); it serves ``colour`` and reads the
client's plan from ``clientVariables``, which Facebook chats do not have."""

from __future__ import annotations

import html
import json
import traceback

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Error</title>
</head>
<body>
<pre>{}</pre>
</body>
</html>
"""


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        data = json.loads(environ["wsgi.input"].read(length))
        if data.get("intentName") != "colour":
            body = b"{}"
        else:
            plan = data["clientVariables"].get("plan", "free")
            colour = data["variablesMap"]["colour"]["value"]
            body = json.dumps({"text": f"Nice: {colour} ({plan})"}).encode()
        kind = "application/json"
    except Exception as exc:
        trace = "".join(traceback.format_exception(exc)).replace("\n", "<br>")
        body = PAGE.format(html.escape(f"{type(exc).__name__}: {exc}") + "<br>" + trace).encode()
        kind = "text/html; charset=utf-8"
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
