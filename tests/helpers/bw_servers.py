"""Real HTTP(S) servers on 127.0.0.1 and an ephemeral port, for URL-target tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import LiveWebhookServer


@contextmanager
def serving(app: Any, *, tls: bool = False) -> Iterator[tuple[str, Path | None]]:
    """Serve ``app`` on a real socket; yields (base URL, CA bundle path or None)."""
    with LiveWebhookServer(handler=app, tls=tls) as server:
        yield server.url, server.ca_bundle


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
