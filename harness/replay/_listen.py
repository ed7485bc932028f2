"""``botwebhook listen --forward-to TARGET``: a local endpoint the real platform can
call (through whatever tunnel you have), which forwards every call unchanged to
your handler, returns the handler's answer unchanged, judges the exchange as
``check`` would, and records it in a cassette.

What the platform gets is never changed by the check, the recording or the
printing:

- the status, headers and body the handler gave are passed back as they are,
  repeated headers each time (two ``Set-Cookie`` stay two); only the headers of
  each connection are its own (RFC 9110 §7.6.1: the hop-by-hop ones, and those
  the ``Connection`` header names, are never passed on, either way), and nothing
  is added;
- only a ``POST`` is forwarded (the platform sends nothing else); anything else
  gets ``405``;
- a recording that fails (a full disk, a body the redaction cannot read) or a
  line that cannot be printed is said on standard error, once per call, and the
  call is answered as usual;
- a handler that has not answered in full within the timeout gets the platform
  a ``504``; an answer over the cap (10 MiB) a ``502``, never a truncated body.

With a secret, a call whose signature is not the platform's is refused with 401
and not forwarded: it did not come from the platform.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from harness._limits import read_body
from harness.delivery._exchange import Exchange, clip_lines, is_passthrough, judge
from harness.delivery._findings import printable
from harness.delivery._transport import Sent, Target, send_once
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.platform._headers import end_to_end
from harness.protocol._signing import SIGNATURE_HEADER, Secret, SecretLike, verify
from harness.replay._cassette import CassetteEntry, CassetteWriter, intent_of

__all__ = ["IN_FLIGHT", "MAX_BODY", "Forwarder", "bound_malloc", "describe_exchange"]

#: The largest request body accepted (the platform's are a few KB; a local tool that
#: holds each in memory while it forwards it needs a bound).
MAX_BODY = 1024 * 1024
#: Bytes of request bodies forwarded at once: a large call waits for others to end, a
#: platform-sized one never does (memory stays bounded under bursts of large bodies).
IN_FLIGHT = 8 * 1024 * 1024
_LARGE = 256 * 1024


def bound_malloc() -> None:
    """Keep glibc's allocator from holding freed memory per thread: a server thread per
    connection each growing its own arena kept hundreds of MB after bursts of large
    bodies.  Two arenas, set before the threads start.  (Nothing elsewhere.)"""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def _trim() -> None:
    """Give the pages a large call freed back to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@cache
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt  # noqa: B018 - a libc without them (musl) is left alone
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


class _Budget:
    """Bytes in flight, at most :data:`IN_FLIGHT`: a call takes its size, or waits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._free = threading.Condition()

    def take(self, size: int) -> int:
        size = min(size, self.limit)
        with self._free:
            self._free.wait_for(lambda: self.used + size <= self.limit)
            self.used += size
        return size

    def give(self, size: int) -> None:
        with self._free:
            self.used -= size
            self._free.notify_all()


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
    return printable(line)


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
        record: CassetteWriter | Any | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_exchange: Callable[[Exchange, float], None] | None = None,
        on_refused: Callable[[str], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.secret = Secret.of(secret)
        self.record = record
        self.timeout = timeout
        self.on_exchange = on_exchange
        self.on_refused = on_refused
        self.on_problem = on_problem or _to_stderr
        self._budget = _Budget(IN_FLIGHT)
        if hasattr(target, "deadline_factor"):
            # The platform gets an answer within its timeout, or a 504 at it.
            target.deadline_factor = 1.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        if request.method != "POST":
            self._said(f"refused a {request.method} (405): the platform sends only POST")
            refused = Response('{"error": "POST only"}', status=405, headers=[("Allow", "POST")],
                               mimetype="application/json")  # fmt: skip
            return refused(environ, start_response)
        body, refused_body = read_body(request, MAX_BODY)
        if refused_body is not None:
            answer: Iterable[bytes] = refused_body(environ, start_response)
            return answer
        pairs = end_to_end(request.headers.items())
        headers = dict(pairs)
        signature = headers.get(SIGNATURE_HEADER)
        if self.secret is not None and not verify(body, signature, self.secret):
            why = "no signature" if signature is None else "a wrong signature"
            self._said(f"refused a call with {why}: not from the platform (401)")
            refused = Response('{"error": "invalid signature"}', status=401,
                               mimetype="application/json")  # fmt: skip
            return refused(environ, start_response)
        url = self.target.url
        if not self.target.in_process:
            path = request.full_path.rstrip("?")
            url = url.rstrip("/") + path if path not in ("", "/") else url
        forwarded = {k: v for k, v in headers.items() if k.lower() != "host"}
        taken = self._budget.take(len(body))
        try:
            started = time.perf_counter()
            delivery = send_once(self.target, Sent("POST", url, forwarded, body), self.timeout)
            elapsed = time.perf_counter() - started
            got = delivery.received
            self._record(url, pairs, body, delivery, elapsed)
            self._judge(delivery, body, elapsed)
        finally:
            self._budget.give(taken)
            if taken > _LARGE:
                _trim()
        if got is None:  # timed out or refused: what the platform would see is a failure
            failed = Response(printable(f"forwarding failed: {delivery.failure}"), status=504)
            return failed(environ, start_response)
        if got.over_cap:
            failed = Response(
                f"the handler's answer is {got.size} bytes, over what listen holds "
                f"({len(got.body)}): not forwarded cut short",
                status=502,
            )
            return failed(environ, start_response)
        passed = end_to_end(got.all_headers)
        unchanged: Iterable[bytes] = _unchanged()(got.body, status=got.status, headers=passed)(
            environ, start_response
        )
        return unchanged

    # -- what happens beside the call: never changes its answer -------------------------

    def _record(
        self, url: str, pairs: list[tuple[str, str]], body: bytes, delivery: Any, elapsed: float
    ) -> None:
        if self.record is None:
            return
        got = delivery.received
        entry = CassetteEntry(
            method="POST",
            url=url,
            request_headers=pairs,
            request_body=body,
            status=got.status if got else None,
            response_headers=got.all_headers if got else [],
            response_body=got.body if got else b"",
            elapsed_ms=elapsed * 1000,
            failure=delivery.failure,
        )
        try:
            self.record.write(entry)
        except Exception as exc:  # a full disk, a body redaction cannot read, ...
            self.on_problem(
                f"botwebhook listen: this call was not recorded ({type(exc).__name__}: "
                f"{exc}); it was forwarded and answered as usual"
            )

    def _judge(self, delivery: Any, body: bytes, elapsed: float) -> None:
        if self.on_exchange is None:
            return
        try:
            exchange = judge(
                delivery,
                passthrough=is_passthrough(body),
                secret_known=self.secret is not None,
                in_process=self.target.in_process,
            )
            self.on_exchange(exchange, elapsed)
        except Exception as exc:
            self.on_problem(
                f"botwebhook listen: this call could not be judged or printed "
                f"({type(exc).__name__}: {exc}); it was answered as usual"
            )

    def _said(self, line: str) -> None:
        if self.on_refused is None:
            return
        try:
            self.on_refused(line)
        except Exception as exc:
            self.on_problem(f"botwebhook listen: could not print a line ({exc})")


def _to_stderr(line: str) -> None:
    with contextlib.suppress(Exception):  # standard error itself gone: nothing left to tell
        print(printable(line), file=sys.stderr, flush=True)
