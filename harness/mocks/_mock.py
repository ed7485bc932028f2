"""A webhook endpoint mock for code that *sends* webhooks with ``requests``.

Built on a private ``responses.RequestsMock`` (never the global one)::

    with WebhookMock(secret=SECRET) as mock:
        mock.add("https://bot.example.com/hook")            # the reference handler
        mock.add(re.compile(r"https://.*\\.example\\.org/.*"), response={"text": "hi"})
        my_dispatcher.send(...)                              # uses requests
        mock.assert_called(times=1)
        mock.assert_last_intent("colour")
        mock.assert_all_signed()

A call that matches no registered URL raises ``requests.ConnectionError`` in the
code under test *and* fails the ``with`` block, listing the request and every
candidate with why it did not match.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness._errors import BotWebhookValueError, UnmatchedCallError, describe
from harness.delivery._loader import app_target
from harness.mocks._recorder import CallLog, call_in_process, record
from harness.protocol._response import WebhookResponse
from harness.protocol._signing import Secret, SecretLike
from harness.replay._cassette import CassetteWriter, record_call, recorder

__all__ = ["MockNetwork", "UnmatchedCallError", "WebhookMock"]

Pattern = str | re.Pattern[str]


@dataclass(frozen=True)
class _Route:
    method: str
    url: Pattern
    name: str

    def matches(self, method: str, url: str) -> str | None:
        """None when it matches, else why not."""
        if isinstance(self.url, re.Pattern):
            if not self.url.fullmatch(url) and not self.url.match(url):
                return f"URL does not match /{self.url.pattern}/"
        elif url.split("?", 1)[0].rstrip("/") != self.url.split("?", 1)[0].rstrip("/"):
            return f"URL is not {self.url}"
        if method != self.method:
            return f"method is {method}, not {self.method}"
        return None


class MockNetwork:
    """One ``responses.RequestsMock`` shared by the mocks of a test.  It sends every
    request to one dispatcher, which tries the routes in the order they were added
    and records what none of them matches."""

    def __init__(self) -> None:
        import responses

        self.requests_mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.routes: list[tuple[_Route, Callable[[Any], Any]]] = []
        self.unmatched: list[str] = []
        self._active = False
        self._passthrough: list[str] = []
        self._dispatchers: list[Any] = []
        self._targets: list[Any] = []  # in-process handlers' targets, closed at stop()
        self._only: str | None = None
        self._install_dispatchers()

    def _install_dispatchers(self) -> None:
        for dispatcher in self._dispatchers:
            self.requests_mock.remove(dispatcher)
        skip = "".join(f"(?!{re.escape(prefix)})" for prefix in self._passthrough)
        pattern = re.compile(skip + (re.escape(self._only) if self._only else "") + ".*")
        self._dispatchers = [
            self.requests_mock.add_callback(verb, pattern, callback=self._dispatch)
            for verb in ("POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
        ]

    def passthrough(self, prefix: str) -> None:
        """Let real requests to URLs starting with ``prefix`` through (a live server)."""
        if prefix not in self._passthrough:
            self._passthrough.append(prefix)
            self.requests_mock.add_passthru(prefix)
            self._install_dispatchers()

    def pass_all_but(self, prefix: str) -> None:
        """Mock only URLs starting with ``prefix``: every other request goes out as
        without this mock (a conversation catches the callback API, not the handler's
        other calls).  Call it before :meth:`start`."""
        import responses
        from requests.adapters import HTTPAdapter

        self._only = prefix
        # What goes through is sent by whatever is installed now: the real transport, or
        # the test's own responses mock, which keeps working around this one.
        self.requests_mock = responses.RequestsMock(
            assert_all_requests_are_fired=False,
            real_adapter_send=HTTPAdapter.send,  # type: ignore[arg-type]
        )
        self._dispatchers = []
        self.requests_mock.add_passthru(re.compile(f"(?!{re.escape(prefix)}).*"))
        self._install_dispatchers()

    def route(self, method: str, url: Pattern, callback: Callable[[Any], Any], name: str) -> None:
        """Answer ``method`` calls to ``url`` with ``callback``; ``name`` describes it
        in the report of unmatched calls."""
        self.routes.append((_Route(method, url, name), callback))

    def _dispatch(self, request: Any) -> Any:
        for candidate, callback in self.routes:
            if candidate.matches(request.method, request.url) is None:
                return callback(request)
        return self._unmatched(request)

    def _unmatched(self, request: Any) -> Any:
        import requests

        url = request.url
        lines = [f"{request.method} {url} matches no mocked URL"]
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if body:
            lines.append(f"  body: {body[:200].decode('utf-8', 'replace')}")
        lines.append("  candidates:")
        for candidate, _ in self.routes:
            reason = candidate.matches(request.method, url) or "matches"
            lines.append(
                f"    {candidate.method} {_shown(candidate.url)} ({candidate.name}): {reason}"
            )
        if not self.routes:
            lines.append("    (none registered)")
        message = "\n".join(lines)
        self.unmatched.append(message)
        return requests.ConnectionError(message)

    def start(self) -> None:
        if not self._active:
            self.requests_mock.start()
            self._active = True

    def stop(self) -> None:
        if self._active:
            self.requests_mock.stop()
            self.requests_mock.reset()
            self._active = False
        targets, self._targets = self._targets, []
        for target in targets:  # an ASGI handler's lifespan shutdown and event loop
            target.close()

    def keep(self, target: Any) -> Any:
        """Close ``target`` when the network stops; returns it."""
        self._targets.append(target)
        return target

    def check_unmatched(self) -> None:
        __tracebackhide__ = True
        if self.unmatched:
            found = "\n\n".join(self.unmatched)
            self.unmatched = []
            raise UnmatchedCallError(f"unmatched webhook call(s):\n{found}")


_M = TypeVar("_M", bound="OnNetwork")


class OnNetwork:
    """A mock living on a :class:`MockNetwork`: its own one unless given a shared
    one.  As a context manager it starts the network and, on a clean exit, fails
    if any call matched nothing."""

    def __init__(self, network: MockNetwork | None) -> None:
        self.network = network or MockNetwork()
        self._owns_network = network is None

    def __enter__(self: _M) -> _M:
        self.network.start()
        return self

    def __exit__(self, *exc: object) -> None:
        __tracebackhide__ = True
        if self._owns_network:
            self.network.stop()
        if exc[0] is None:
            self.network.check_unmatched()


def _shown(url: Pattern) -> str:
    return f"/{url.pattern}/" if isinstance(url, re.Pattern) else url


def _canned(response: Any) -> tuple[bytes, str]:
    if isinstance(response, WebhookResponse):
        return response.to_bytes(), "application/json"
    if isinstance(response, bytes):
        return response, "application/json"
    if isinstance(response, str):
        return response.encode(), "application/json"
    if isinstance(response, dict):
        return json.dumps(response, ensure_ascii=False).encode(), "application/json"
    raise BotWebhookValueError(
        f"expected a WebhookResponse, dict, str or bytes for response, got {describe(response)}"
    )


class WebhookMock(CallLog, OnNetwork):
    """Webhook endpoints answered in-process, for code that posts with ``requests``."""

    def __exit__(self, *exc: object) -> None:
        __tracebackhide__ = True
        if self._owns_recorder and self.recorder is not None:
            self.recorder.close()
        super().__exit__(*exc)

    def __init__(
        self,
        *,
        secret: SecretLike | None = None,
        network: MockNetwork | None = None,
        record: str | Path | CassetteWriter | None = None,
    ) -> None:
        """``record``: append every call answered to this cassette (a path or a
        ``CassetteWriter``), in the format of ``botwebhook listen --record``."""
        self.secret = Secret.of(secret)  # never shown, even in a traceback
        del secret
        self.recorder = recorder(record)
        self._owns_recorder = self.recorder is not None and self.recorder is not record
        CallLog.__init__(self)
        OnNetwork.__init__(self, network)

    def add(
        self,
        url: Pattern,
        *,
        handler: Callable[..., Any] | None = None,
        response: Any = None,
        status: int = 200,
        method: str = "POST",
    ) -> None:
        """Answer ``method`` calls to ``url`` (a string, or a compiled regex) with
        ``handler`` (a WSGI app; default: the reference handler with this mock's
        secret) or with a canned ``response`` (WebhookResponse, dict, str or bytes)
        and ``status``."""
        if handler is not None and response is not None:
            raise BotWebhookValueError("give handler=... or response=..., not both")
        if not isinstance(url, str | re.Pattern):
            raise BotWebhookValueError(
                f"expected a URL string or re.Pattern for url, got {describe(url)}"
            )
        if response is None and handler is None:
            from harness.reference import make_app

            handler = make_app(
                secret=self.secret,
                require_signature=self.secret is not None,
                accept_unverified=True,  # no secret: calls are recorded as unchecked
            )
        canned = _canned(response) if response is not None else None
        target = None
        if handler is not None:
            target = self.network.keep(app_target(handler, capture=False))

        def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
            started = time.perf_counter()
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode("utf-8")
            headers = dict(request.headers)
            if canned is not None:
                answer: tuple[int, dict[str, str], bytes] = (
                    status,
                    {"Content-Type": canned[1]},
                    canned[0],
                )
            else:
                assert target is not None
                answer = call_in_process(target, request.method, request.url, headers, body)[:3]
            self._append(record(request.method, request.url, headers, body, self.secret, *answer))
            record_call(self.recorder, (request.method, request.url, headers, body), answer,
                        time.perf_counter() - started)  # fmt: skip
            return answer

        name = "canned response" if canned is not None else _describe_handler(handler)
        self.network.route(method.upper(), url, callback, name)


def _describe_handler(handler: Any) -> str:
    module = getattr(handler, "__module__", None) or type(handler).__module__
    name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{module}:{name}"
