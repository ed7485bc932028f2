"""Issue 28: an in-process WSGI call is made as a server makes it, without werkzeug's
test client on the way: the app sees the environ ``EnvironBuilder`` would build, and
its answer is taken as it gave it (status, headers, ``write()`` and iterable, close)."""

from __future__ import annotations

from typing import Any

import pytest
from bw_handlers import SECRET
from werkzeug.test import EnvironBuilder

from harness import build_payload, deliver, load_target

BODY = build_payload(shape="A", seed=4)


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")}


@pytest.mark.parametrize("path", ["/", "/hooks/bot", "/api/v1/webhook/"])
def test_the_app_sees_the_environ_werkzeug_would_build(path: str) -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(dict(environ, **{"wsgi.input": environ["wsgi.input"].read()}))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"text": "ok"}']

    exchange = deliver(load_target(app, path=path), BODY, secret=SECRET)
    assert exchange.findings == []
    sent = exchange.sent
    expected = EnvironBuilder(
        path, base_url="https://localhost/", method="POST", data=sent.body, headers=sent.headers
    ).get_environ()
    assert _comparable(seen[0]) == _comparable(expected)
    assert seen[0]["wsgi.input"] == BODY.body
    assert seen[0]["HTTP_X_HUB_SIGNATURE"].startswith("sha256=")


def test_a_redirect_elsewhere_is_built_in_full() -> None:
    seen: list[tuple[str, str, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]))
        if environ["PATH_INFO"] == "/":
            start_response("302 Found", [("Location", "/moved%20here?a=1")])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"text": "ok"}']

    exchange = deliver(load_target(app), BODY, secret=SECRET)
    assert seen == [("POST", "/", ""), ("GET", "/moved here", "a=1")]
    assert exchange.delivery.hops


def test_the_answer_is_taken_as_the_app_gave_it() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b'"ok"}'

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        write = start_response("200", [("X-Mine", "1")])  # no reason phrase, no Content-Type
        write(b'{"text": ')
        return Body()

    exchange = deliver(load_target(app), BODY, secret=SECRET)
    received = exchange.delivery.received
    assert received is not None
    assert received.status == 200
    assert received.body == b'{"text": "ok"}'
    assert received.headers == {"X-Mine": "1"}  # nothing added that the app did not send
    assert closed == [True]
    assert exchange.answer is not None
    assert exchange.answer.data == {"text": "ok"}


def test_a_status_line_without_a_code_reads_as_werkzeug_reads_it() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("OK", [("Content-Type", "application/json")])
        return [b'{"text": "ok"}']

    exchange = deliver(load_target(app), BODY, secret=SECRET)
    assert exchange.delivery.received is not None
    assert exchange.delivery.received.status == 0
    assert [f.code for f in exchange.findings] == ["BW101"]


def test_the_errors_stream_is_the_calls() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.errors"].write("logged by the app\n")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"text": "ok"}']

    exchange = deliver(load_target(app, capture=True), BODY, secret=SECRET)
    assert "logged by the app" in exchange.delivery.output
