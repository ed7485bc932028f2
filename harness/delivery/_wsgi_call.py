"""One in-process WSGI call, as a server makes it: the environ, the app, its answer.

werkzeug's test ``Client`` builds each environ through ``EnvironBuilder`` (URL
parsing, IRI quoting, a ``Headers`` structure) and wraps the answer in a
``TestResponse``; that is most of the cost of a call to a fast handler, and the
``TestResponse`` adds a ``Content-Type`` the app never sent.  A call to a
target's own URL therefore starts from an environ that ``EnvironBuilder`` built
once for that URL and only sets what differs per call (the method, the headers,
the body), then runs the app through werkzeug's own ``run_wsgi_app`` and takes
the status, the headers and the body exactly as the app gave them.  Any other URL
(a redirect's) goes through ``EnvironBuilder`` in full.  A test holds the environ
equal to ``EnvironBuilder``'s for the calls we make.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

__all__ = ["WsgiCall", "read_all", "status_code"]

#: Headers that go into the environ without the ``HTTP_`` prefix (PEP 3333).
_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


class WsgiCall:
    """Calls ``app`` at ``path`` (under ``base``, with ``query``), ``errors`` being the
    ``wsgi.errors`` stream."""

    def __init__(
        self, app: Callable[..., Any], path: str, base: str, query: str, errors: Any
    ) -> None:
        self.app = app
        self.errors = errors
        self.where = (path, base, query)
        template = EnvironBuilder(
            path, base_url=base, query_string=query, errors_stream=errors
        ).get_environ()
        for key in ("wsgi.input", "CONTENT_LENGTH", "CONTENT_TYPE", "REQUEST_METHOD"):
            template.pop(key, None)
        self._template = template

    def environ(
        self, method: str, headers: Mapping[str, str], body: bytes, where: tuple[str, str, str]
    ) -> dict[str, Any]:
        """The environ of one call (``where``: its path, base URL and query)."""
        if where != self.where:
            path, base, query = where
            return EnvironBuilder(
                path,
                base_url=base,
                query_string=query,
                method=method,
                data=body,
                headers=list(headers.items()),
                errors_stream=self.errors,
            ).get_environ()
        environ = self._template.copy()
        environ["REQUEST_METHOD"] = method
        environ["wsgi.input"] = io.BytesIO(body)
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in _UNPREFIXED else "HTTP_" + key] = value
        if body or method in ("POST", "PUT", "PATCH"):
            environ.setdefault("CONTENT_LENGTH", str(len(body)))
        return environ

    def __call__(
        self, method: str, headers: Mapping[str, str], body: bytes, where: tuple[str, str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The status, the headers and the whole body the app answers with."""
        app_iter, status, answer_headers = run_wsgi_app(
            self.app, self.environ(method, headers, body, where)
        )
        return status_code(status), list(answer_headers.items()), read_all(app_iter)


def read_all(app_iter: Any) -> bytes:
    """The whole body of a WSGI answer, its iterable closed after (PEP 3333)."""
    try:
        return b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()


def status_code(status: str) -> int:
    """The code of a WSGI status line, read as werkzeug reads it (0 when it has none)."""
    first = status.split(None, 1)
    try:
        return int(first[0]) if first else 0
    except ValueError:
        return 0
