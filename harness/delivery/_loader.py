"""Loading a target from what a user types or passes: a WSGI app, a URL, or an
import string (``package.module:app``, ``path/to/app.py:app``, ``:factory()``).

Everything that can go wrong while loading is one :class:`TargetError` line:
a malformed URL, a module that cannot be imported or calls ``sys.exit()``, a
file named like a module it would hide, an object that is not a WSGI app.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness._errors import describe
from harness.delivery._asgi_target import AsgiTarget, is_asgi
from harness.delivery._transport import (
    DEFAULT_TIMEOUT,
    MAX_ANSWER,
    Target,
    TargetError,
    WsgiTarget,
    require_timeout,
)
from harness.delivery._url_target import UrlTarget

__all__ = ["app_target", "load_target"]


def load_target(
    spec: Any,
    *,
    insecure: bool = False,
    ca_bundle: str | None = None,
    connect_timeout: float = DEFAULT_TIMEOUT,
    capture: bool | None = None,
    max_answer: int = MAX_ANSWER,
    path: str | None = None,
) -> Target:
    """A :class:`Target` from a WSGI or ASGI app, an ``http(s)://`` URL, or an import
    string ``package.module:attr`` / ``path/to/file.py:attr`` (``attr()`` calls
    a factory; the file's folder goes on ``sys.path``).  ``capture`` is
    :class:`WsgiTarget`'s (keep an in-process handler's output with each call);
    ``max_answer`` is :class:`UrlTarget`'s (bytes of an answer read at most).

    ``path`` is where an app takes its webhook (``/getWeather``); without it the
    app's route table decides (``/``, or the one route that takes a POST).  A URL
    carries its own path, so ``path`` with a URL is refused."""
    if isinstance(spec, Target):
        if path is not None and getattr(spec, "path", None) != path:
            raise TargetError(
                f"path={path!r} for a target that is already loaded (at "
                f"{getattr(spec, 'path', spec.url)!r}): pass path= when loading it"
            )
        return spec
    if callable(spec):
        return app_target(spec, capture=capture, path=path)
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError(
            f"expected a WSGI app, a URL or an import string for target, got {describe(spec)} "
            "(hint: 'myapp.wsgi:app', 'app.py:app' or 'https://host/webhook')"
        )
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else ""
    if scheme in ("http", "https"):
        if path is not None:
            raise TargetError(
                f"path {path!r} with the URL {spec!r}: a URL carries its own path (hint: "
                f"give the whole URL the bot calls, e.g. {spec.rstrip('/')}{path})"
            )
        _check_url(spec)
        return UrlTarget(
            spec,
            verify=not insecure,
            ca_bundle=ca_bundle,
            connect_timeout=require_timeout(connect_timeout, "connect_timeout"),
            max_answer=max_answer,
        )
    if "://" in spec:
        raise TargetError(f"unsupported scheme {scheme!r} in target {spec!r} (hint: http or https)")
    app, source = _import_app(spec)
    target = app_target(app, spec, capture=capture, path=path)
    target.source_file = source  # type: ignore[attr-defined]
    return target


def app_target(
    app: Any, name: str | None = None, *, capture: bool | None = None, path: str | None = None
) -> Target:
    """An in-process target for ``app``: an :class:`AsgiTarget` for an ASGI app (one
    called with ``async def``), else a :class:`WsgiTarget` (which refuses anything
    that cannot be called as ``app(environ, start_response)``); ``path`` as in
    :func:`load_target`."""
    if is_asgi(app):
        return AsgiTarget(app, name, capture=capture, path=path)
    return WsgiTarget(app, name, capture=capture, path=path)


def _check_url(spec: str) -> None:
    """One clear line for a URL that cannot be called, instead of a traceback later."""
    try:
        parts = urlsplit(spec)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise TargetError(
            f"the URL {spec!r} for target is not valid: {exc} (hint: "
            "'https://host/webhook' or 'http://[::1]:8000/')"
        ) from None
    if not parts.hostname:
        raise TargetError(f"the URL {spec!r} for target has no host")
    if "[" in parts.netloc:  # an IPv6 literal (Python 3.10's urlsplit does not check it)
        import ipaddress

        try:
            ipaddress.IPv6Address(parts.hostname.split("%", 1)[0])
        except ValueError:
            raise TargetError(
                f"the URL {spec!r} for target is not valid: {parts.hostname!r} does not appear "
                "to be an IPv4 or IPv6 address (hint: 'http://[::1]:8000/')"
            ) from None


def _loading(what: str, spec: str, call: Callable[[], Any], module: str = "") -> Any:
    """``call()``, with what it raises, or a ``sys.exit()`` in it, as a TargetError
    (``module``: the name an ImportError is about)."""
    try:
        return call()
    except TargetError:
        raise
    except SystemExit as exc:
        raise TargetError(
            f"{what} for target {spec!r} called sys.exit({exc.code!r}): the target failed to "
            "load (hint: keep command-line handling under if __name__ == '__main__')"
        ) from None
    except ImportError as exc:
        raise TargetError(
            f"cannot import {module or what!r} for target {spec!r}: {exc} (hint: run from "
            "your project folder, or give a file path such as 'app.py:app')"
        ) from exc
    except Exception as exc:
        raise TargetError(
            f"{what} for target {spec!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _import_app(spec: str) -> tuple[Any, str | None]:
    """The object an import string names, and the file of its module."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(
            f"{spec!r} is not an import string (hint: 'package.module:app' or 'path/app.py:app')"
        )
    call = attr.endswith("()")
    attr = attr.removesuffix("()")
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        module = _import_file(Path(module_part), spec)
    else:
        if os.getcwd() not in sys.path:  # as gunicorn does: the current folder is importable
            sys.path.insert(0, os.getcwd())
        module = _loading(
            f"importing {module_part!r}",
            spec,
            lambda: importlib.import_module(module_part),
            module=module_part,
        )
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(module) if not n.startswith("_")][:12]
            raise TargetError(
                f"{module_part!r} has no attribute {attr!r} for target {spec!r} "
                f"(it has: {', '.join(names) or 'nothing public'})"
            )
        obj = getattr(obj, part)
    if call:
        obj = _loading(f"calling the factory {attr}()", spec, obj)
    return obj, getattr(module, "__file__", None)


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise TargetError(f"no file {str(path)!r} for target {spec!r}")
    name = path.stem
    _refuse_shadowing(path, name)
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise TargetError(f"cannot load {str(path)!r} for target {spec!r}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    _TARGET_FILES.add(name)
    loader = loader_spec.loader
    try:
        _loading(f"importing {str(path)!r}", spec, lambda: loader.exec_module(module))
    except TargetError:
        sys.modules.pop(name, None)
        raise
    return module


#: Module names of target files loaded so far: loading another file of the same name
#: (a new version, or another test's app.py) replaces our own module, nobody else's.
_TARGET_FILES: set[str] = set()


def _refuse_shadowing(path: Path, name: str) -> None:
    """A target file named like a module (``json.py``, ``hypothesis.py``) would replace
    that module for the whole process: refuse it in one line."""
    taken = name in sys.stdlib_module_names
    if not taken and name.isidentifier() and name not in _TARGET_FILES:
        loaded = sys.modules.get(name)
        origin = getattr(loaded, "__file__", None) if loaded is not None else None
        if origin is None and loaded is None:
            try:
                found = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                found = None
            origin = found.origin if found is not None else None
        taken = origin is not None and Path(origin).resolve() != path.resolve()
    if taken:
        raise TargetError(
            f"the target file {path.name!r} has the name of the module {name!r}, which it "
            f"would hide from everything else in this process (hint: rename it, e.g. "
            f"{name}_app.py)"
        )
