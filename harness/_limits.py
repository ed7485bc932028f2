"""The caps on what users give us, in one place (``docs/manual/limits.md`` lists them).

A file a user writes is read only up to its cap, so a 20 MB conversation file
is refused after 1 MiB has been read, not after it has filled memory; a request
body our servers take is read the same way (:func:`read_body`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "CONVERSATIONS_PER_FILE",
    "CONVERSATION_FILE_MAX",
    "MODEL_FILE_MAX",
    "TURNS_PER_CONVERSATION",
    "FileTooLarge",
    "read_body",
    "read_capped",
]

#: A conversation file (``test_*.conversation.yaml``): 1 MiB of YAML.
CONVERSATION_FILE_MAX = 1024 * 1024
#: Conversations (YAML documents) in one file.
CONVERSATIONS_PER_FILE = 1000
#: Turns in one conversation.
TURNS_PER_CONVERSATION = 1000
#: A bot model file (``botwebhook.toml``, ``pyproject.toml``): 4 MiB of TOML.
MODEL_FILE_MAX = 4 * 1024 * 1024


class FileTooLarge(ValueError):
    """A file past its cap; the caller names the file in its own error."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than {_size(limit)}, the most this reads")
        self.limit = limit


def read_capped(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``, reading at most ``limit`` bytes (and one more, to
    tell that there is more: :class:`FileTooLarge`).  ``OSError`` and
    ``UnicodeDecodeError`` are the caller's to word."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data.decode("utf-8")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


def read_body(request: Any, limit: int) -> tuple[bytes, Any]:
    """A werkzeug request's body (chunked too), or the answer that refuses it: 413
    when it is over ``limit`` bytes (not read beyond), 400 when it cannot be read (a
    broken chunk, a body shorter than its length, a client gone)."""
    from werkzeug.wrappers import Response

    declared = request.content_length  # None when absent, chunked or not a number
    body = b""
    if declared is None or declared <= limit:
        try:
            body = request.stream.read(limit + 1)
        except Exception:
            unread = '{"error": "the body could not be read"}'
            return b"", Response(unread, status=400, mimetype="application/json")
    if (declared is not None and declared > limit) or len(body) > limit:
        refused = f'{{"error": "body larger than {limit} bytes"}}'
        return b"", Response(refused, status=413, mimetype="application/json")
    return body, None
