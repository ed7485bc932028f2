"""Where an in-process app takes its webhook: its routes, read from the framework's
own route table, and the path a check calls when the user named none.

Real handlers rarely sit at ``/``: a Flask app serves ``POST /getWeather``, a
FastAPI app ``POST /webhook``.  The route tables of Flask (``url_map``, which
Flask-RESTful and blueprints fill too), Starlette and FastAPI (``routes``, with
``Mount`` followed) and Django (its URL resolver) say which paths take a POST.
Paths with parameters (``/hook/<token>``) are listed but never chosen: the
value is the user's to give.  Any other app (a bare WSGI or ASGI callable) has
no table to read, and is called at ``/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness._errors import TargetError

__all__ = ["Route", "choose_path", "describe_routes", "require_path", "routes_of", "split_url"]

_ANY = frozenset({"*"})
_HIDDEN_METHODS = frozenset({"HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Route:
    """One route of an app: its path, the methods it takes (``*``: any), and whether
    the path is fixed (no parameter in it)."""

    path: str
    methods: frozenset[str]
    fixed: bool = True

    @property
    def takes_post(self) -> bool:
        return "POST" in self.methods or self.methods == _ANY

    def __str__(self) -> str:
        shown = sorted(self.methods - _HIDDEN_METHODS) if self.methods != _ANY else ["ANY"]
        return f"{'/'.join(shown) or 'HEAD'} {self.path}"


def routes_of(app: Any) -> list[Route] | None:
    """The routes of ``app``'s framework, in its order; None for an app whose routes
    cannot be read (a bare callable, an unknown framework)."""
    for reader in (_flask, _starlette, _django):
        found = reader(app)
        if found is not None:
            return _unique(found)
    return None


def choose_path(
    app: Any, name: str, path: str | None
) -> tuple[str, str | None, list[Route] | None]:
    """The path to call ``app`` at, how it was chosen (None: the user's or the
    default ``/``) and the app's routes (None when they cannot be read).

    A given ``path`` is used as it is.  Otherwise ``/`` when it takes a POST, or when
    the routes cannot be read; else the one fixed route that takes a POST.  Several
    such routes and none at ``/`` is a :class:`TargetError` that lists them.
    """
    routes = routes_of(app)
    if path is not None:
        return path, None, routes
    if routes is None or any(r.path == "/" and r.takes_post for r in routes):
        return "/", None, routes
    posting = [r for r in routes if r.takes_post and r.fixed]
    if len(posting) == 1:
        return posting[0].path, "the only route that takes a POST; / takes none", routes
    if len(posting) > 1:
        listed = ", ".join(r.path for r in posting[:8]) + (", ..." if len(posting) > 8 else "")
        raise TargetError(
            f"{name} takes a POST at {len(posting)} paths ({listed}) and none at /: say which "
            f"is the webhook with --path {posting[0].path} (ini botwebhook_path, "
            "[tool.botwebhook] path, or path= in Python)"
        )
    return "/", None, routes


def require_path(path: object) -> str | None:
    """``path`` for an in-process target: None, or text that starts with ``/``."""
    if path is None:
        return None
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or any(c.isspace() for c in path)
    ):
        raise TargetError(
            f"expected a path that starts with / for path, got {path!r} (hint: the path your "
            "app serves the webhook at, e.g. --path /getWeather)"
        )
    return path


def split_url(url: str) -> tuple[str, str, str]:
    """(path, scheme://host, query) of ``url``, as werkzeug's test client takes them."""
    parts = urlsplit(url)
    return parts.path or "/", f"{parts.scheme}://{parts.netloc}", parts.query


def describe_routes(routes: Iterable[Route] | None, limit: int = 8) -> str:
    """``GET /, POST /getWeather`` (at most ``limit``), or a sentence when none is known."""
    if routes is None:
        return "its routes cannot be read (not a Flask, Starlette, FastAPI or Django app)"
    listed = [str(r) for r in routes]
    if not listed:
        return "it has no routes"
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


def _unique(routes: Iterable[Route]) -> list[Route]:
    out: dict[str, Route] = {}
    for route in routes:
        seen = out.get(route.path)
        if seen is None:
            out[route.path] = route
        elif seen.methods != _ANY:
            methods = _ANY if route.methods == _ANY else seen.methods | route.methods
            out[route.path] = Route(route.path, methods, seen.fixed)
    return list(out.values())


# -- Flask (and Flask-RESTful, blueprints) ---------------------------------------------


def _flask(app: Any) -> list[Route] | None:
    url_map = getattr(app, "url_map", None)
    rules = getattr(url_map, "iter_rules", None)
    if rules is None or not callable(rules):
        return None
    out = []
    for rule in rules():
        if getattr(rule, "endpoint", "") == "static":
            continue
        methods = frozenset(rule.methods or ()) or _ANY
        out.append(Route(str(rule.rule), methods, not rule.arguments))
    return out


# -- Starlette and FastAPI ---------------------------------------------------------------


def _starlette(app: Any) -> list[Route] | None:
    if not _is_starlette(app):
        return None
    return list(_starlette_routes(getattr(app, "routes", None) or (), ""))


def _is_starlette(app: Any) -> bool:
    return any(c.__module__.startswith(("starlette.", "fastapi.")) for c in type(app).__mro__)


def _starlette_routes(routes: Iterable[Any], prefix: str) -> Iterator[Route]:
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        kind = type(route).__name__
        if kind == "Mount":
            yield from _starlette_routes(getattr(route, "routes", None) or (), prefix + path)
        elif kind in ("Route", "APIRoute") or hasattr(route, "methods"):
            methods = getattr(route, "methods", None)
            fixed = not getattr(route, "param_convertors", None)
            yield Route(prefix + path or "/", frozenset(methods) if methods else _ANY, fixed)


# -- Django ------------------------------------------------------------------------------


def _django(app: Any) -> list[Route] | None:
    kind = type(app)
    if not kind.__module__.startswith("django.core.handlers"):
        return None
    try:
        from django.urls import get_resolver  # type: ignore[import-untyped]

        patterns = get_resolver().url_patterns
    except Exception:  # settings not configured, a broken urls.py: not ours to report
        return None
    return list(_django_routes(patterns, ""))


def _django_routes(patterns: Iterable[Any], prefix: str) -> Iterator[Route]:
    for pattern in patterns:
        text, fixed = _django_text(pattern.pattern)
        if hasattr(pattern, "url_patterns"):  # an include()
            if (
                getattr(pattern, "namespace", None) == "admin"
                or getattr(pattern, "app_name", None) == "admin"
            ):
                continue
            yield from _django_routes(pattern.url_patterns, prefix + text)
            continue
        view = getattr(pattern.callback, "view_class", None)
        if view is not None:
            names = getattr(view, "http_method_names", ())
            methods = frozenset(m.upper() for m in names if hasattr(view, m)) or _ANY
        else:
            methods = _ANY  # a function view takes any method unless it checks itself
        yield Route("/" + prefix + text, methods, fixed)


def _django_text(pattern: Any) -> tuple[str, bool]:
    text = str(pattern)
    if type(pattern).__name__ == "RegexPattern":
        bare = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
        return bare, not re.search(r"[\\()\[\]{}*+?.|^$]", bare)
    return text, not getattr(pattern, "converters", None)
