"""Targets and delivery: a WSGI app in-process, or a URL over real HTTP(S).

Delivery follows redirects the way the platform's ``HttpURLConnection`` does
(301/302/303 as a GET without the body, 307 as a POST again, 308 and a change
of scheme not at all), with separate connect and read timeouts.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from harness._errors import BotWebhookValueError, describe

__all__ = [
    "DEFAULT_TIMEOUT",
    "Delivery",
    "Received",
    "Sent",
    "Target",
    "TargetError",
    "UrlTarget",
    "WsgiTarget",
    "deliver_raw",
    "load_target",
]

#: The platform's connect and read timeouts, in seconds.
DEFAULT_TIMEOUT = 10.0
_MAX_HOPS = 20
_IN_PROCESS_URL = "https://localhost/"


class TargetError(BotWebhookValueError):
    """A target that cannot be loaded: a bad import string, file or URL."""


@dataclass(frozen=True, slots=True)
class Sent:
    """A request exactly as sent."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Received:
    """A response exactly as received (``body`` undecoded)."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    #: For in-process targets: the exception the app raised (a server answers 500).
    exception: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Delivery:
    """One delivery: the first request, the final response (or the transport
    ``error`` in the platform's words), and every redirect hop taken or refused."""

    sent: Sent
    received: Received | None = None
    error: str | None = None
    timed_out: bool = False
    hops: list[str] = field(default_factory=list)
    refused_redirect: str | None = None
    elapsed: float = 0.0


class Target:
    """Where webhook calls go.  ``in_process`` targets are called without a socket."""

    name: str
    url: str
    in_process: bool

    @property
    def https(self) -> bool:
        return self.url[:8].lower() == "https://"

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (URL targets keep a session open)."""


class WsgiTarget(Target):
    """A WSGI application called in-process through werkzeug's test client.

    It counts as an ``https`` endpoint, so requests are signed as the platform
    signs them for https URLs.
    """

    def __init__(self, app: Callable[..., Any], name: str | None = None) -> None:
        from werkzeug.test import Client

        self.app = app
        self.name = name or _describe_app(app)
        self.url = _IN_PROCESS_URL
        self.in_process = True
        self._client = Client(app)
        self._error_log = _ErrorLog()

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        if any("\n" in v or "\r" in v for v in headers.values()):
            raise _TransportFailure("a header value contains a line break: not sendable")
        if url == _IN_PROCESS_URL:
            path, base, query = "/", _IN_PROCESS_URL, ""
        else:
            parts = urlsplit(url)
            path, base, query = parts.path or "/", f"{parts.scheme}://{parts.netloc}", parts.query
        started = time.perf_counter()
        catcher = self._error_log  # one per target: a Handler is costly to build
        catcher.exception = None
        root = logging.getLogger()
        root.addHandler(catcher)
        try:
            response = self._client.open(
                path,
                base_url=base,
                query_string=query,
                method=method,
                data=body,
                headers=headers,
            )
            data = response.get_data()
        except Exception as exc:  # what a WSGI server turns into a 500
            elapsed = time.perf_counter() - started
            where = _raised_at(exc)
            return Received(
                500,
                {"Content-Type": "text/plain"},
                b"Internal Server Error",
                elapsed,
                f"{type(exc).__name__}: {str(exc)[:200]}{where}",
            )
        finally:
            root.removeHandler(catcher)
        elapsed = time.perf_counter() - started
        response.close()
        logged = catcher.exception if response.status_code >= 500 else None
        return Received(response.status_code, dict(response.headers.items()), data, elapsed, logged)


class UrlTarget(Target):
    """An endpoint reached over real HTTP(S) with a keep-alive ``requests.Session``."""

    def __init__(
        self,
        url: str,
        *,
        verify: bool = True,
        ca_bundle: str | None = None,
        connect_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        import requests

        self.name = url
        self.url = url
        self.in_process = False
        self.connect_timeout = connect_timeout
        self.verify: bool | str = ca_bundle if ca_bundle else verify
        self._session = requests.Session()
        self._session.headers.clear()  # only the platform's headers, no Accept-Encoding
        self._requests = requests

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        exc = self._requests.exceptions
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # --insecure was asked for: urllib3's warning about it is noise.
                warnings.simplefilter("ignore", _insecure_warning())
                response = self._session.request(
                    method,
                    url,
                    data=body or None,
                    headers=headers,
                    timeout=(min(self.connect_timeout, timeout), timeout),
                    allow_redirects=False,
                    verify=self.verify,
                    stream=True,
                )
                data = response.raw.read(decode_content=False)
        except exc.ConnectTimeout as error:
            raise _TransportFailure("connect timed out") from error
        except (exc.ReadTimeout, TimeoutError) as error:
            raise _TransportFailure("Read timed out", timed_out=True) from error
        except exc.SSLError as error:
            raise _TransportFailure(f"TLS handshake failed: {_reason(error)}") from error
        except exc.ConnectionError as error:
            if "timed out" in str(error).lower():
                raise _TransportFailure("Read timed out", timed_out=True) from error
            raise _TransportFailure(f"Connection failed: {_reason(error)}") from error
        except exc.RequestException as error:
            raise _TransportFailure(f"{type(error).__name__}: {_reason(error)}") from error
        elapsed = time.perf_counter() - started
        return Received(response.status_code, dict(response.headers.items()), data, elapsed)

    def close(self) -> None:
        self._session.close()


def _insecure_warning() -> type[Warning]:
    from urllib3.exceptions import InsecureRequestWarning

    return InsecureRequestWarning


class _TransportFailure(Exception):
    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def _reason(error: BaseException) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "CERTIFICATE_VERIFY_FAILED"):
        if marker in text:
            return marker
    return text[:160]


class _ErrorLog(logging.Handler):
    """Catches the exception a framework (Flask, Django) logs while turning it into
    a 500, so the finding can name it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.exception: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.exception is None and record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.exception = f"{type(exc).__name__}: {str(exc)[:200]}{_raised_at(exc)}"


def _raised_at(exc: BaseException) -> str:
    """`` at file.py:12`` for the innermost frame outside the standard library."""
    tb = exc.__traceback__
    found = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "site-packages" not in filename and "/lib/python" not in filename:
            found = f" at {Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _describe_app(app: Any) -> str:
    module = getattr(app, "__module__", None) or type(app).__module__
    name = getattr(app, "__qualname__", None) or type(app).__qualname__
    return f"{module}:{name}"


def deliver_raw(target: Target, sent: Sent, timeout: float) -> Delivery:
    """Send ``sent`` and follow redirects the way the platform does."""
    delivery = Delivery(sent)
    method, url, body = sent.method, sent.url, sent.body
    started = time.perf_counter()
    try:
        for _ in range(_MAX_HOPS + 1):
            received = target.request(method, url, sent.headers, body, timeout)
            delivery.received = received
            location = received.header("Location")
            if received.status not in (301, 302, 303, 307, 308) or not location:
                break
            new_url = urljoin(url, location)
            if urlsplit(new_url).scheme != urlsplit(url).scheme:
                delivery.refused_redirect = (
                    f"{received.status} to {new_url}: the platform does not follow a change "
                    "between http and https"
                )
                break
            if received.status == 308:
                delivery.refused_redirect = f"308 to {new_url}: the platform does not follow 308"
                break
            if target.in_process and urlsplit(new_url).netloc != urlsplit(url).netloc:
                delivery.refused_redirect = (
                    f"{received.status} to {new_url}: another host, not followed in-process"
                )
                break
            if received.status == 307:
                delivery.hops.append(f"307 to {new_url}: POST again with the body")
            else:
                delivery.hops.append(
                    f"{received.status} to {new_url}: followed as a GET, the body is lost"
                )
                method, body = "GET", b""
            url = new_url
    except _TransportFailure as failure:
        delivery.error = str(failure)
        delivery.timed_out = failure.timed_out
    delivery.elapsed = time.perf_counter() - started
    if delivery.received is not None and delivery.elapsed > timeout and delivery.error is None:
        delivery.error = "Read timed out"
        delivery.timed_out = True
    return delivery


def load_target(
    spec: Any,
    *,
    insecure: bool = False,
    ca_bundle: str | None = None,
    connect_timeout: float = DEFAULT_TIMEOUT,
) -> Target:
    """A :class:`Target` from a WSGI callable, an ``http(s)://`` URL, or an import
    string ``package.module:attr`` / ``path/to/file.py:attr`` (``attr()`` calls
    a factory; the file's folder goes on ``sys.path``)."""
    if isinstance(spec, Target):
        return spec
    if callable(spec):
        return WsgiTarget(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError(
            f"expected a WSGI app, a URL or an import string for target, got {describe(spec)} "
            "(hint: 'myapp.wsgi:app', 'app.py:app' or 'https://host/webhook')"
        )
    scheme = urlsplit(spec).scheme.lower()
    if scheme in ("http", "https"):
        if not urlsplit(spec).netloc:
            raise TargetError(f"the URL {spec!r} for target has no host")
        return UrlTarget(
            spec, verify=not insecure, ca_bundle=ca_bundle, connect_timeout=connect_timeout
        )
    if "://" in spec:
        raise TargetError(f"unsupported scheme {scheme!r} in target {spec!r} (hint: http or https)")
    return WsgiTarget(_import_app(spec), spec)


def _import_app(spec: str) -> Any:
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
        try:
            module = importlib.import_module(module_part)
        except ImportError as exc:
            raise TargetError(
                f"cannot import {module_part!r} for target {spec!r}: {exc} (hint: run from your "
                "project folder, or give a file path such as 'app.py:app')"
            ) from exc
        except Exception as exc:
            raise TargetError(
                f"importing {module_part!r} for target {spec!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
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
        try:
            obj = obj()
        except Exception as exc:
            raise TargetError(
                f"calling the factory {attr}() for target {spec!r} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    if not callable(obj):
        raise TargetError(f"{spec!r} is {describe(obj)}, not a WSGI application")
    return obj


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise TargetError(f"no file {str(path)!r} for target {spec!r}")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise TargetError(f"cannot load {str(path)!r} for target {spec!r}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise TargetError(
            f"importing {str(path)!r} for target {spec!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module
