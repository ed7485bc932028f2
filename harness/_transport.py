"""Targets and delivery: a WSGI app in-process, or a URL over real HTTP(S).

Delivery follows redirects the way the platform's ``HttpURLConnection`` does
(301/302/303 as a GET without the body, 307 as a POST again, 308 and a change
of scheme not at all), with separate connect and read timeouts.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from harness._capture import Caller, CallTimedOut, WsgiErrors, install_routers, under_pytest
from harness._capture import describe_exception as _describe_exception
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
#: An answer is read up to this many bytes (the platform has no limit; a report
#: needs no more, and memory stays bounded).
MAX_ANSWER = 10 * 1024 * 1024
#: A call over a URL ends after this many read timeouts, however it trickles.
DEADLINE_FACTOR = 2.0
_CHUNK = 256 * 1024
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
    #: For in-process targets: what the handler printed and logged during the call.
    output: str = ""
    #: The answer's size in bytes (more than ``len(body)`` when not all of it is kept).
    size: int = -1
    #: The answer was larger than the target's ``max_answer``: the rest was not read.
    over_cap: bool = False

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.body))

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
    #: The answer never finished within the call's overall deadline.
    hung: bool = False
    hops: list[str] = field(default_factory=list)
    refused_redirect: str | None = None
    elapsed: float = 0.0
    #: What an in-process handler printed and logged during the call (every hop).
    output: str = ""


class Target:
    """Where webhook calls go.  ``in_process`` targets are called without a socket."""

    name: str
    url: str
    in_process: bool

    @property
    def https(self) -> bool:
        return self.url[:8].lower() == "https://"

    @property
    def platform_signs(self) -> bool:
        """Whether the platform would sign calls here: https URLs, and in-process
        apps, which stand for an https endpoint."""
        return self.https or self.in_process

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (URL targets keep a session open)."""


class WsgiTarget(Target):
    """A WSGI application called in-process through werkzeug's test client.

    It counts as an ``https`` endpoint, so requests are signed as the platform
    signs them for https URLs.  Each call runs on a helper thread and is
    abandoned when it passes the read timeout, as the platform gives up on it.
    ``capture`` keeps what the handler prints and logs with each call (default:
    on, except inside a pytest test, where pytest captures output itself).
    """

    def __init__(
        self, app: Callable[..., Any], name: str | None = None, *, capture: bool | None = None
    ) -> None:
        from werkzeug.test import Client

        _require_wsgi(app, name)
        self.app = app
        self.name = name or _describe_app(app)
        self.url = _IN_PROCESS_URL
        self.in_process = True
        self.capture = not under_pytest() if capture is None else capture
        install_routers(streams=self.capture)
        self._client = Client(app, use_cookies=False)
        self._caller = Caller(capture=self.capture)
        self._errors = WsgiErrors()

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

        def call() -> tuple[int, dict[str, str], bytes]:
            response = self._client.open(
                path,
                base_url=base,
                query_string=query,
                method=method,
                data=body,
                headers=headers,
                errors_stream=self._errors,
            )
            try:
                return response.status_code, dict(response.headers.items()), response.get_data()
            finally:
                response.close()

        started = time.perf_counter()
        try:
            answer, error, captured = self._caller.run(call, timeout)
        except CallTimedOut as late:
            raise _TransportFailure(
                "Read timed out", timed_out=True, output=late.call.output
            ) from None
        elapsed = time.perf_counter() - started
        if error is not None or answer is None:  # what a WSGI server turns into a 500
            return Received(
                500,
                {"Content-Type": "text/plain"},
                b"Internal Server Error",
                elapsed,
                _describe_exception(error) if error is not None else None,
                captured.output,
            )
        status, response_headers, data = answer
        logged = captured.exception if status >= 500 else None
        return Received(
            status,
            response_headers,
            data[:MAX_ANSWER],
            elapsed,
            logged,
            captured.output,
            size=len(data),
            over_cap=len(data) > MAX_ANSWER,
        )


class UrlTarget(Target):
    """An endpoint reached over real HTTP(S) with keep-alive ``requests`` sessions.

    The answer is streamed and kept up to ``max_answer`` bytes; each call also
    has an overall deadline (twice the read timeout), since the platform's read
    timeout is per read and an answer that trickles in never trips it.
    """

    def __init__(
        self,
        url: str,
        *,
        verify: bool = True,
        ca_bundle: str | None = None,
        connect_timeout: float = DEFAULT_TIMEOUT,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        import requests

        self.name = url
        self.url = url
        self.in_process = False
        self.connect_timeout = connect_timeout
        self.max_answer = max_answer
        self.verify: bool | str = ca_bundle if ca_bundle else verify
        self._requests = requests
        self._local = threading.local()  # a session per thread: calls run concurrently
        self._sessions: list[Any] = []
        self._lock = threading.Lock()
        self._caller = Caller(capture=False)

    @property
    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._requests.Session()
            session.headers.clear()  # only the platform's headers, no Accept-Encoding
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        if self.verify is False:
            # --insecure was asked for: urllib3's warning about it is noise.  (Not
            # catch_warnings(), which is not thread-safe: calls run concurrently.)
            warnings.filterwarnings("ignore", category=_insecure_warning())
        session = self._session  # this thread's: the call runs on a helper thread
        opened: list[Any] = []
        deadline = DEADLINE_FACTOR * timeout
        started = time.perf_counter()
        try:
            answer, error, _ = self._caller.run(
                lambda: self._call(session, opened, method, url, headers, body, timeout),
                deadline,
            )
        except CallTimedOut:
            for response in opened:  # unblocks the helper thread: its read fails
                response.close()
            raise _TransportFailure(
                f"the answer was still arriving after {deadline:g} s (twice the read timeout): "
                "it trickles or never ends, and the platform's per-read timeout never trips, "
                "so the chat request hangs",
                hung=True,
            ) from None
        if error is not None:
            raise error
        assert answer is not None
        status, response_headers, data, size = answer
        return Received(
            status,
            response_headers,
            data,
            time.perf_counter() - started,
            size=size,
            over_cap=size > self.max_answer,
        )

    def _call(
        self,
        session: Any,
        opened: list[Any],
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
    ) -> tuple[int, dict[str, str], bytes, int]:
        from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

        exc = self._requests.exceptions
        try:
            response = session.request(
                method,
                url,
                data=body or None,
                headers=headers,
                timeout=(min(self.connect_timeout, timeout), timeout),
                allow_redirects=False,
                verify=self.verify,
                stream=True,
            )
            opened.append(response)
            try:
                data, size = self._read(response.raw)
            finally:
                response.close()
        except exc.ConnectTimeout as error:
            raise _TransportFailure("connect timed out") from error
        except (exc.ReadTimeout, ReadTimeoutError, TimeoutError) as error:
            raise _TransportFailure("Read timed out", timed_out=True) from error
        except exc.SSLError as error:
            raise _TransportFailure(f"TLS handshake failed: {_reason(error)}") from error
        except exc.ConnectionError as error:
            if "timed out" in str(error).lower():
                raise _TransportFailure("Read timed out", timed_out=True) from error
            raise _TransportFailure(f"Connection failed: {_reason(error)}") from error
        except exc.RequestException as error:
            raise _TransportFailure(f"{type(error).__name__}: {_reason(error)}") from error
        except ProtocolError as error:  # reset mid-answer, body shorter than its length
            raise _TransportFailure(f"the answer broke off: {_reason(error)}") from error
        except (HTTPError, OSError) as error:
            raise _TransportFailure(f"{type(error).__name__}: {_reason(error)}") from error
        return response.status_code, dict(response.headers.items()), data, size

    def _read(self, raw: Any) -> tuple[bytes, int]:
        """The body as sent (undecoded), at most ``max_answer`` bytes of it, and its
        whole size.  Past the cap the rest is read and dropped, so that an answer
        that never ends meets the call's deadline (the platform would read it all)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = raw.read1(_CHUNK, decode_content=False)
            if not chunk:
                break
            if size < self.max_answer:
                chunks.append(chunk[: self.max_answer - size])
            size += len(chunk)
        return b"".join(chunks), size

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def check_timeout(timeout: object, name: str = "timeout") -> float:
    """``timeout`` as seconds: a finite number more than 0 (the platform's is 10)."""
    import math

    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise BotWebhookValueError(
            f"expected a finite number of seconds more than 0 for {name}, got {timeout!r} "
            f"(hint: the platform's is {DEFAULT_TIMEOUT:g})"
        )
    return float(timeout)


def _insecure_warning() -> type[Warning]:
    from urllib3.exceptions import InsecureRequestWarning

    return InsecureRequestWarning


class _TransportFailure(Exception):
    def __init__(
        self, message: str, *, timed_out: bool = False, hung: bool = False, output: str = ""
    ) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.hung = hung
        self.output = output


def _reason(error: BaseException) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "CERTIFICATE_VERIFY_FAILED"):
        if marker in text:
            return marker
    return text[:160]


def _require_wsgi(app: Any, spec: str | None) -> None:
    """Refuse, in one line, an object that cannot be a WSGI application: an ASGI app
    (FastAPI, Starlette, an ``async def``), or a callable that cannot be called as
    ``app(environ, start_response)``."""
    import inspect

    name = repr(spec) if spec else _describe_app(app)
    if not callable(app):
        raise TargetError(f"{name} is {describe(app)}, not a WSGI application")
    call = app if inspect.isroutine(app) else type(app).__call__
    if inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app):
        raise TargetError(
            f"{name} is an ASGI application (it is called with async def), not a WSGI one "
            "(hint: serve it, e.g. uvicorn main:app --port 8000, and pass the URL "
            "http://127.0.0.1:8000/)"
        )
    try:
        signature = inspect.signature(app, follow_wrapped=False)
    except (TypeError, ValueError):  # some built-in callables have none: let them try
        return
    try:
        signature.bind(object(), object())
    except TypeError:
        raise TargetError(
            f"{name} is not a WSGI application: it cannot be called as "
            f"app(environ, start_response); its signature is {signature} (hint: pass the "
            "app object, e.g. 'app.py:app', or its factory with (): 'app.py:create_app()')"
        ) from None


def _describe_app(app: Any) -> str:
    module = getattr(app, "__module__", None) or type(app).__module__
    name = getattr(app, "__qualname__", None) or type(app).__qualname__
    return f"{module}:{name}"


def deliver_raw(target: Target, sent: Sent, timeout: float) -> Delivery:
    """Send ``sent`` and follow redirects the way the platform's ``HttpURLConnection``
    does: 301/302/303 as a GET with Java's own headers only (the body, its type and
    length and the signature are gone), 307 as the same POST, at most 20 of them."""
    from harness._platform import redirect_headers

    delivery = Delivery(sent)
    method, url, body, headers = sent.method, sent.url, sent.body, sent.headers
    started = time.perf_counter()
    try:
        for _ in range(_MAX_HOPS + 1):
            received = target.request(method, url, headers, body, timeout)
            delivery.received = received
            delivery.output += received.output
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
            if len(delivery.hops) == _MAX_HOPS:
                delivery.refused_redirect = (
                    f"more than {_MAX_HOPS} redirects (the last: {received.status} to "
                    f"{new_url}): the platform gives up, 'Server redirected too many times'"
                )
                break
            if received.status == 307:
                delivery.hops.append(f"307 to {new_url}: POST again with the body")
            else:
                delivery.hops.append(
                    f"{received.status} to {new_url}: followed as a GET, the body is lost"
                )
                method, body, headers = "GET", b"", redirect_headers()
            url = new_url
    except _TransportFailure as failure:
        delivery.error = str(failure)
        delivery.timed_out = failure.timed_out
        delivery.hung = failure.hung
        delivery.output += failure.output
    delivery.elapsed = time.perf_counter() - started
    return delivery


def load_target(
    spec: Any,
    *,
    insecure: bool = False,
    ca_bundle: str | None = None,
    connect_timeout: float = DEFAULT_TIMEOUT,
    capture: bool | None = None,
    max_answer: int = MAX_ANSWER,
) -> Target:
    """A :class:`Target` from a WSGI callable, an ``http(s)://`` URL, or an import
    string ``package.module:attr`` / ``path/to/file.py:attr`` (``attr()`` calls
    a factory; the file's folder goes on ``sys.path``).  ``capture`` is
    :class:`WsgiTarget`'s (keep an in-process handler's output with each call);
    ``max_answer`` is :class:`UrlTarget`'s (bytes of an answer read at most)."""
    if isinstance(spec, Target):
        return spec
    if callable(spec):
        return WsgiTarget(spec, capture=capture)
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError(
            f"expected a WSGI app, a URL or an import string for target, got {describe(spec)} "
            "(hint: 'myapp.wsgi:app', 'app.py:app' or 'https://host/webhook')"
        )
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else ""
    if scheme in ("http", "https"):
        _check_url(spec)
        return UrlTarget(
            spec,
            verify=not insecure,
            ca_bundle=ca_bundle,
            connect_timeout=check_timeout(connect_timeout, "connect_timeout"),
            max_answer=max_answer,
        )
    if "://" in spec:
        raise TargetError(f"unsupported scheme {scheme!r} in target {spec!r} (hint: http or https)")
    return WsgiTarget(_import_app(spec), spec, capture=capture)


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
    return obj


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
