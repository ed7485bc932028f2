"""Targets and delivery: a WSGI app in-process, or a URL over real HTTP(S).
(Loading a target from an import string or a URL is ``harness.delivery._loader``.)

Delivery follows redirects the way the platform's ``HttpURLConnection`` does
(301/302/303 as a GET without the body, 307 as a POST again, 308 and a change
of scheme not at all), with separate connect and read timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from harness._errors import TargetError, describe
from harness.delivery._capture import (
    WsgiErrors,
    describe_exception,
    install_routers,
    raised_in,
    under_pytest,
)
from harness.delivery._deadline import Caller, CallTimedOut, require_timeout
from harness.delivery._routes import split_url
from harness.delivery._tracing import labelled
from harness.platform._budget import DEFAULT_TIMEOUT, MAX_ANSWER
from harness.platform._headers import find_header, kept_headers, shared_headers

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER",
    "Delivery",
    "Received",
    "Sent",
    "Target",
    "TargetError",
    "WsgiTarget",
    "deliver_raw",
    "kept_sent",
    "require_timeout",
]

_CHUNK = 256 * 1024
_MAX_HOPS = 20
_IN_PROCESS_BASE = "https://localhost"


@dataclass(frozen=True, slots=True)
class Sent:
    """A request exactly as sent."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def kept_sent(sent: Sent) -> Sent:
    """``sent`` as a long run keeps it for a passing call: its headers those all calls
    share, kept once, with its own length and signature (``KeptHeaders``)."""
    kept = kept_headers(sent.headers)
    return sent if kept is sent.headers else replace(sent, headers=kept)  # type: ignore[arg-type]


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
    #: Every header as received, in order, a repeated one each time (empty: none was
    #: repeated, or unknown; ``all_headers`` gives them either way).
    header_list: tuple[tuple[str, str], ...] = ()
    #: For in-process targets: the file and line where the handler raised ``exception``.
    raised_in: tuple[str, int] | None = None

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.body))

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    @property
    def all_headers(self) -> list[tuple[str, str]]:
        """Every header, a repeated one each time it came."""
        return list(self.header_list) if self.header_list else list(self.headers.items())


@dataclass(slots=True)
class Delivery:
    """One delivery: the first request, the final response (or the transport
    ``failure`` in the platform's words), and every redirect hop taken or refused."""

    sent: Sent
    received: Received | None = None
    failure: str | None = None
    timed_out: bool = False
    hung: bool = False  # the answer never finished within the call's overall deadline
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

    def overdue_note(self) -> str | None:
        """A sentence for the report when calls kept running past their deadline
        (each holding one of the calling threads), or None."""
        caller = getattr(self, "_caller", None)
        note: str | None = caller.overdue_note() if caller is not None else None
        return note


class InProcessTarget(Target):
    """An app called in-process, with no socket: a WSGI or an ASGI app.  It stands for
    an https endpoint (so calls are signed), and ``capture`` keeps what the app
    prints and logs with each call (default: on, except inside a pytest test, where
    pytest captures output itself).

    Calls go to ``path``; when none is given, the app's own route table picks it
    (``harness.delivery._routes.choose_path``): ``/`` when it takes a POST, else the one
    route that does.  ``path_note`` says how a path was found, and ``routes`` lists
    the app's routes (None when its framework's table cannot be read)."""

    def __init__(
        self,
        app: Callable[..., Any],
        name: str | None,
        capture: bool | None,
        path: str | None = None,
    ) -> None:
        from harness.delivery._routes import choose_path, require_path

        self.app = app
        self.name = name or _describe_app(app)
        chosen, self.path_note, self.routes = choose_path(app, self.name, require_path(path))
        self.path = chosen
        self.url = _IN_PROCESS_BASE + chosen
        self._parts = split_url(self.url)
        self.in_process = True
        #: The file the app was imported from, when it was loaded from an import string.
        self.source_file: str | None = None
        self.capture = not under_pytest() if capture is None else capture
        install_routers(streams=self.capture)

    @staticmethod
    def require_headers(headers: dict[str, str]) -> None:
        """Refuse what no HTTP client could send: a line break in a header value."""
        if any("\n" in v or "\r" in v for v in headers.values()):
            raise _TransportFailure("a header value contains a line break: not sendable")


class WsgiTarget(InProcessTarget):
    """A WSGI application called in-process through werkzeug's test client.

    It counts as an ``https`` endpoint, so requests are signed as the platform
    signs them for https URLs.  Each call is abandoned when it passes the read
    timeout, as the platform gives up on it (``harness.delivery._deadline``).
    ``capture`` keeps what the handler prints and logs with each call (default:
    on, except inside a pytest test, where pytest captures output itself).
    """

    def __init__(
        self,
        app: Callable[..., Any],
        name: str | None = None,
        *,
        capture: bool | None = None,
        path: str | None = None,
    ) -> None:
        from harness.delivery._wsgi_call import WsgiCall

        _require_wsgi(app, name)
        super().__init__(app, name, capture, path)
        self._caller = Caller(capture=self.capture)
        self._call = WsgiCall(app, *self._parts, WsgiErrors())

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        self.require_headers(headers)
        where = self._parts if url == self.url else split_url(url)

        def call() -> tuple[int, list[tuple[str, str]], bytes]:
            return self._call(method, headers, body, where)

        started = time.perf_counter()
        try:
            with labelled(body):
                answer, error, captured = self._caller.run(call, timeout)
        except CallTimedOut as late:
            why = "Read timed out"
            if not late.started:
                why += (
                    f" (the call never started: all {late.busy} threads were still running "
                    "earlier calls past their deadline)"
                )
            raise _TransportFailure(why, timed_out=True, output=late.call.output) from None
        elapsed = time.perf_counter() - started
        if error is not None or answer is None:  # what a WSGI server turns into a 500
            return Received(
                500,
                {"Content-Type": "text/plain"},
                b"Internal Server Error",
                elapsed,
                describe_exception(error) if error is not None else None,
                captured.output,
                raised_in=raised_in(error) if error is not None else None,
            )
        status, pairs, data = answer
        logged = captured.exception if status >= 500 else None
        headers = shared_headers(pairs)
        return Received(
            status,
            headers,
            data[:MAX_ANSWER],
            elapsed,
            logged,
            captured.output,
            size=len(data),
            over_cap=len(data) > MAX_ANSWER,
            header_list=repeated(pairs, headers),
            raised_in=captured.raised_in if status >= 500 else None,
        )


class _TransportFailure(Exception):
    def __init__(
        self, message: str, *, timed_out: bool = False, hung: bool = False, output: str = ""
    ) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.hung = hung
        self.output = output


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
            "(hint: harness.load_target(app) or harness.checks.AsgiTarget(app) calls it)"
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


def send_once(target: Target, sent: Sent, timeout: float) -> Delivery:
    """Send ``sent`` as it is and keep the answer as it is: no redirect followed (a
    forwarding proxy returns a 3xx to its caller unchanged)."""
    delivery = Delivery(sent)
    started = time.perf_counter()
    try:
        delivery.received = target.request(sent.method, sent.url, sent.headers, sent.body, timeout)
        delivery.output = delivery.received.output
    except _TransportFailure as failure:
        delivery.failure = str(failure)
        delivery.timed_out = failure.timed_out
        delivery.hung = failure.hung
        delivery.output = failure.output
    delivery.elapsed = _waited(time.perf_counter() - started, delivery, timeout)
    return delivery


def deliver_raw(target: Target, sent: Sent, timeout: float) -> Delivery:
    """Send ``sent`` and follow redirects the way the platform's ``HttpURLConnection``
    does: 301/302/303 as a GET with Java's own headers only (the body, its type and
    length and the signature are gone), 307 as the same POST, at most 20 of them."""
    from harness.platform._headers import redirect_headers

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
        delivery.failure = str(failure)
        delivery.timed_out = failure.timed_out
        delivery.hung = failure.hung
        delivery.output += failure.output
    delivery.elapsed = _waited(time.perf_counter() - started, delivery, timeout)
    return delivery


def repeated(pairs: list[tuple[str, str]], headers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """``pairs`` when a header came more than once (``headers`` kept one of each), else
    nothing: the dict already says it all, and a long run keeps one less copy a call."""
    return tuple(pairs) if len(pairs) > len(headers) else ()


def _waited(elapsed: float, delivery: Delivery, timeout: float) -> float:
    """How long the platform waited: a timed-out call took its whole timeout, also when
    a worker that took over its abandoned item gives the timeout back at once."""
    return max(elapsed, timeout) if delivery.timed_out else elapsed
