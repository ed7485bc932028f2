"""Real HTTP(S) servers on 127.0.0.1 and an ephemeral port, for URL-target tests."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in test output


@contextmanager
def serving(app: Any, *, tls_folder: Path | None = None) -> Iterator[tuple[str, Path | None]]:
    """Serve ``app`` in a thread; yields (base URL, CA bundle path or None)."""
    ssl_context = None
    ca = None
    if tls_folder is not None:
        from harness._tls import make_certificate

        cert = make_certificate(tls_folder)
        ssl_context = (str(cert.cert), str(cert.key))
        ca = cert.cert
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.port}/", ca
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
