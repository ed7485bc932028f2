"""Issue 28: an in-process WSGI call is made as a server makes it, without werkzeug's
test client on the way: the app sees the environ ``EnvironBuilder`` would build, and
its answer is taken as it gave it (status, headers, ``write()`` and iterable, close)."""

from __future__ import annotations

from typing import Any

import pytest
from bw_handlers import SECRET
from werkzeug.test import EnvironBuilder

from harness import build_payload, deliver, load_target, sign

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


def test_a_long_run_keeps_one_copy_of_what_passing_calls_share() -> None:
    """A run keeps every exchange; what passing calls have in common is kept once:
    answer headers that are the same, and the empty findings, notes and hops."""
    from harness import run_check
    from harness.errors import BotWebhookTypeError
    from harness.reference import make_app

    report = run_check(load_target(make_app(secret=SECRET)), secret=SECRET, probes=False)
    passing = [e for e in report.exchanges if not e.findings and e.received is not None]
    assert len(passing) > 100
    first, *others = passing
    assert all(e.findings == [] and e.notes == [] and e.delivery.hops == [] for e in passing)
    assert all(e.findings is first.findings for e in others)
    same = [e for e in others if e.received.headers == first.received.headers]  # type: ignore[union-attr]
    assert same
    assert all(e.received.headers is first.received.headers for e in same)  # type: ignore[union-attr]
    # Shared, it cannot be changed for one call: the error says what to do instead.
    with pytest.raises(BotWebhookTypeError, match=r"compacted.*exchange\.notes = \[\*exchange"):
        first.notes.append("a note")
    first.notes = [*first.notes, "a note"]
    assert first.notes == ["a note"]
    assert others[0].notes == []


def test_a_passing_call_keeps_its_request_headers_as_sent_in_less_memory() -> None:
    """A passing call's request headers: those all calls share kept once, its length
    and signature its own, read as the dict that was sent, in its order."""
    from harness import run_check
    from harness.platform import platform_headers
    from harness.protocol import SIGNATURE_HEADER
    from harness.reference import make_app

    report = run_check(load_target(make_app(secret=SECRET)), secret=SECRET, probes=False)
    passing = [e for e in report.exchanges if not e.findings and e.expect == "contract"]
    assert len(passing) > 100
    for exchange in passing:
        sent = exchange.sent
        expected = platform_headers(sent.body, sign(sent.body, SECRET))
        assert dict(sent.headers) == expected
        assert list(sent.headers) == list(expected)  # the platform's order
        assert len(sent.headers) == len(expected)
        assert sent.headers[SIGNATURE_HEADER] == expected[SIGNATURE_HEADER]
        assert exchange.delivery.sent is sent
        assert "sha256=" in exchange.reproduce()  # what reports read still reads it
        assert not isinstance(sent.headers, dict)  # one dict no longer kept per call
    with pytest.raises(TypeError):
        passing[0].sent.headers["X-Extra"] = "1"  # type: ignore[index]
    # A call with findings keeps the dict it sent.
    failing = deliver(load_target(make_app(secret=SECRET)), BODY, secret="wrong")
    failing.compact()
    assert failing.findings
    assert isinstance(failing.sent.headers, dict)


def test_a_call_with_findings_keeps_lists_of_its_own() -> None:
    from harness import run_check

    def crashing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]

    report = run_check(load_target(crashing), secret=SECRET, probes=False, intents=["colour"])
    failing = [e for e in report.exchanges if e.findings]
    assert len(failing) > 1
    failing[0].notes.append("seen")  # as the plugin notes its default secret
    assert failing[1].notes == []


def test_an_odd_header_value_is_kept_as_a_server_writes_it() -> None:
    def odd(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json"), ("X-List", ["a"])])
        return [b'{"text": "ok"}']

    got = deliver(load_target(odd), BODY, secret=SECRET).received
    assert got is not None
    assert got.headers["X-List"] == "['a']"  # str() of it, as a WSGI server writes it
