"""Crash reports behind a 200: bodies that hosting layers send when the handler
crashed, with a status that tells the platform all went well.

An AWS Lambda behind API Gateway (a non-proxy integration, or a wrapper that
catches everything) answers ``200 {"errorMessage": …, "errorType": …,
"stackTrace": […]}``; Express's default error handler writes an HTML page with
the error in a ``<pre>``; Google Cloud Functions answers "Error: could not
handle the request"; many apps catch everything into ``{"error": …, "trace":
…}``.  The platform reads such a body as an answer with no text, so the chat
user gets nothing; :func:`crash_report` names the envelope and quotes the
message, for ``BW109``.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["crash_report"]

_TRACE_KEYS = ("trace", "stack", "stackTrace", "stack_trace", "traceback")
_PRE = re.compile(rb"<pre>(.*?)</pre>", re.DOTALL | re.IGNORECASE)
_TAGS = re.compile(r"<br\s*/?>|<[^>]+>", re.IGNORECASE)
_SHOWN = 200


def crash_report(body: bytes) -> str | None:
    """``AWS Lambda's error envelope: KeyError: 'date'`` when ``body`` is a known crash
    report, else None."""
    head = body[:256].lstrip()
    if head.startswith(b"{"):
        return _json_envelope(body)
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return _error_page(body)
    text = body[:200].decode("utf-8", "replace").strip()
    if text.startswith("Error: could not handle the request"):
        return "Google Cloud Functions' error answer: " + text.splitlines()[0]
    return None


def _json_envelope(body: bytes) -> str | None:
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "text" in data or "facebook" in data:
        return None
    message = data.get("errorMessage")
    if isinstance(message, str) and ("errorType" in data or "stackTrace" in data or len(data) == 1):
        kind = data.get("errorType")
        said = f"{kind}: {message}" if isinstance(kind, str) and kind else message
        return f"AWS Lambda's error envelope: {_clip(said)}"
    error = data.get("error")
    if error is not None and any(key in data for key in _TRACE_KEYS):
        if isinstance(error, dict):
            error = error.get("message") or json.dumps(error, ensure_ascii=False)
        return f"an error with its stack trace: {_clip(str(error))}"
    return None


def _error_page(body: bytes) -> str | None:
    page = body[: 256 * 1024]
    lowered = page.lower()
    if b"werkzeug debugger" in lowered:
        return "the Werkzeug debugger's page (the app runs with debug on)"
    found = _PRE.search(page)
    if b"<title>error</title>" in lowered and found is not None:
        text = html.unescape(_TAGS.sub("\n", found.group(1).decode("utf-8", "replace")))
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        return f"Express's default error page: {_clip(first)}"
    return None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
