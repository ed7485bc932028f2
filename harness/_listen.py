"""``botwebhook listen --forward-to TARGET``: a local endpoint the real platform can
call (through whatever tunnel you have), which forwards every call unchanged to
your handler, returns the handler's answer unchanged, judges the exchange as
``check`` would, and records it in a cassette.

What the platform gets is never changed by the check: the status, headers and
body the handler gave are passed back as they are (only the hop-by-hop headers
of each connection are its own).  With a secret, a call whose signature is not
the platform's is refused with 401 and not forwarded: it did not come from the
platform.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from harness._cassette import CassetteEntry, CassetteWriter, intent_of
from harness._exchange import Exchange, clip_lines, is_passthrough, judge
from harness._httpd import HOP_BY_HOP, read_body
from harness._signing import SIGNATURE_HEADER, Secret, SecretLike, verify
from harness._transport import DEFAULT_TIMEOUT, Sent, Target, send_once

__all__ = ["Forwarder", "describe_exchange"]

#: The largest body accepted (the platform has no limit; a local tool needs one).
MAX_BODY = 10 * 1024 * 1024


def describe_exchange(exchange: Exchange, elapsed: float) -> str:
    """The live line for one forwarded call: intent, status, latency, what the chat
    user sees, and the findings."""
    got = exchange.received
    status = str(got.status) if got is not None else "failed"
    seen = exchange.outcome.describe()
    codes = ", ".join(f"{f.code} {f.severity}" for f in exchange.findings) or "no findings"
    line = f"{intent_of(exchange.sent.body)}: {status} in {elapsed * 1000:.0f} ms; {seen}; {codes}"
    if exchange.findings and exchange.output:  # the handler's own output, beside its finding
        line += "\n" + "\n".join(f"  | {row}" for row in clip_lines(exchange.output, lines=12))
    return line


@cache
def _unchanged() -> type:
    from werkzeug.wrappers import Response

    class Unchanged(Response):
        default_mimetype = None  # the handler's headers only: no Content-Type added

    return Unchanged


class Forwarder:
    """The WSGI app behind ``listen``: forward, answer unchanged, judge, record."""

    def __init__(
        self,
        target: Target,
        *,
        secret: SecretLike | None = None,
        record: CassetteWriter | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_exchange: Callable[[Exchange, float], None] | None = None,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.secret = Secret.of(secret)
        self.record = record
        self.timeout = timeout
        self.on_exchange = on_exchange
        self.on_refused = on_refused

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wrappers import Request, Response

        _Unchanged = _unchanged()
        request = Request(environ)
        body, refused_body = read_body(request, MAX_BODY)
        if refused_body is not None:
            answer: Iterable[bytes] = refused_body(environ, start_response)
            return answer
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        signature = headers.get(SIGNATURE_HEADER)
        if self.secret is not None and not verify(body, signature, self.secret):
            if self.on_refused is not None:
                why = "no signature" if signature is None else "a wrong signature"
                self.on_refused(f"refused a call with {why}: not from the platform (401)")
            refused = Response('{"error": "invalid signature"}', status=401,
                               mimetype="application/json")  # fmt: skip
            return refused(environ, start_response)
        url = self.target.url
        if not self.target.in_process:
            path = request.full_path.rstrip("?")
            url = url.rstrip("/") + path if path not in ("", "/") else url
        forwarded = {k: v for k, v in headers.items() if k.lower() != "host"}
        sent = Sent(request.method, url, forwarded, body)
        started = time.perf_counter()
        delivery = send_once(self.target, sent, self.timeout)
        elapsed = time.perf_counter() - started
        exchange = judge(
            delivery,
            passthrough=is_passthrough(body),
            secret_known=self.secret is not None,
            in_process=self.target.in_process,
        )
        got = delivery.received
        if self.record is not None:
            self.record.write(
                CassetteEntry(
                    method=request.method,
                    url=url,
                    request_headers=list(headers.items()),
                    request_body=body,
                    status=got.status if got else None,
                    response_headers=list(got.headers.items()) if got else [],
                    response_body=got.body if got else b"",
                    elapsed_ms=elapsed * 1000,
                    failure=delivery.failure,
                )
            )
        if self.on_exchange is not None:
            self.on_exchange(exchange, elapsed)
        if got is None:  # timed out or refused: what the platform would see is a failure
            failed = Response(f"forwarding failed: {delivery.failure}", status=504)
            return failed(environ, start_response)
        passed = [(k, v) for k, v in got.headers.items() if k.lower() not in HOP_BY_HOP]
        unchanged: Iterable[bytes] = _Unchanged(got.body, status=got.status, headers=passed)(
            environ, start_response
        )
        return unchanged
