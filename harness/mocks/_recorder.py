"""Recorded webhook calls and the assertions over them (shared by the mocks).

A :class:`RecordedCall` keeps a call's exact bytes, its signature verdict
against the configured secret, the answer, and what the platform would make
of that answer; a :class:`CallLog` holds them and fails readably.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.delivery._transport import Target
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.platform._headers import find_header
from harness.platform._outcome import Outcome, outcome, take_answer
from harness.protocol._signing import SIGNATURE_HEADER, SecretLike, signature_problem

__all__ = [
    "KEPT_BYTES",
    "KEPT_CALLS",
    "CallLog",
    "RecordedCall",
    "call_in_process",
    "record",
]


@dataclass(frozen=True)
class RecordedCall:
    """One call as received and answered."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    #: The signature's verdict against the configured secret: ``valid``, ``missing``,
    #: ``invalid: <why>`` or ``unchecked`` (no secret).
    verdict: str
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    outcome: Outcome | None = None
    payload: Any = field(default=None, compare=False)

    @property
    def intent(self) -> str | None:
        """The payload's ``intentName`` (None for passthrough calls or non-payloads)."""
        value = self.payload.get("intentName") if isinstance(self.payload, dict) else None
        return value if isinstance(value, str) else None

    @property
    def signed_correctly(self) -> bool:
        return self.verdict == "valid"

    def describe(self) -> str:
        excerpt = self.body[:160].decode("utf-8", "replace")
        return f"{self.method} {self.url} [{self.verdict}] -> {self.status}: {excerpt}" + (
            "…" if len(self.body) > 160 else ""
        )


def _payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def signature_verdict(body: bytes, header: str | None, secret: SecretLike | None) -> str:
    """``valid``, ``missing``, ``invalid: <why>`` or ``unchecked`` (no secret)."""
    if not secret:
        return "unchecked"
    if header is None:
        return "missing"
    problem = signature_problem(body, header, secret)
    return "valid" if problem is None else f"invalid: {problem}"


def record(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secret: SecretLike | None,
    status: int,
    response_headers: Mapping[str, str],
    response_body: bytes,
) -> RecordedCall:
    """A :class:`RecordedCall`, with the platform's outcome for webhook payloads."""
    header = find_header(headers, SIGNATURE_HEADER)
    payload = _payload(body)
    result = None
    if isinstance(payload, dict) and "chatResult" in payload:
        passthrough = "intentName" not in payload
        failure, answer = take_answer(status, response_headers, response_body,
                                      passthrough=passthrough)  # fmt: skip
        result = outcome(payload, answer, failure)
    return RecordedCall(
        method=method,
        url=url,
        headers=dict(headers),
        body=body,
        verdict=signature_verdict(body, header, secret),
        status=status,
        response_headers=dict(response_headers),
        response_body=response_body,
        outcome=result,
        payload=payload,
    )


def call_in_process(
    target: Target, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
    """Call an in-process target for a mock: an exception becomes the 500 a server
    would send, naming the exception and where it was raised.  The status, the
    headers, the body, and every header as sent (a repeated one each time)."""
    got = target.request(method, url, dict(headers), body, DEFAULT_TIMEOUT)
    data = got.body if got.exception is None else f"{got.body.decode()}: {got.exception}".encode()
    return got.status, got.headers, data, got.all_headers


#: A mock keeps the most recent calls, at most this many and about this many bytes
#: (bodies as received, never cut); ``CallLog.dropped`` counts the older ones.
KEPT_CALLS = 1000
KEPT_BYTES = 64 * 1024 * 1024


def _weight(call: RecordedCall) -> int:
    # The body, its parsed payload (about as large again) and the answer.
    return 2 * len(call.body) + len(call.response_body) + 512


class CallLog:
    """The calls a mock received, with assertion helpers that list every call
    when they fail.  The log is bounded (``KEPT_CALLS``, ``KEPT_BYTES``): past
    it, the oldest calls are dropped whole, counted in ``dropped``, and counts in
    assertions still include them."""

    def __init__(self) -> None:
        self._calls: deque[RecordedCall] = deque()
        self._lock = threading.Lock()
        self._bytes = 0
        #: Calls received but no longer kept (the oldest, past the bounds).
        self.dropped = 0

    def _append(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._bytes += _weight(call)
            while len(self._calls) > 1 and (
                len(self._calls) > KEPT_CALLS or self._bytes > KEPT_BYTES
            ):
                self._bytes -= _weight(self._calls.popleft())
                self.dropped += 1

    @property
    def calls(self) -> list[RecordedCall]:
        """The kept calls, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def received(self) -> int:
        """Calls received in all, kept or dropped."""
        with self._lock:
            return len(self._calls) + self.dropped

    @property
    def last(self) -> RecordedCall:
        calls = self.calls
        if not calls:
            raise AssertionError("no webhook call was received")
        return calls[-1]

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._bytes = 0
            self.dropped = 0

    def _listing(self, calls: Iterable[RecordedCall] | None = None) -> str:
        shown = list(self.calls if calls is None else calls)
        if not shown:
            return "  (no calls)"
        whole = calls is None and self.dropped
        earlier = f"  ({self.dropped} earlier call(s) not kept)\n" if whole else ""
        start = self.dropped + 1 if whole else 1
        return earlier + "\n".join(
            f"  {i}. {call.describe()}" for i, call in enumerate(shown, start)
        )

    def assert_called(self, times: int | None = None) -> None:
        """At least one call, or exactly ``times`` calls."""
        __tracebackhide__ = True
        count = self.received
        if (times is None and count == 0) or (times is not None and count != times):
            expected = "at least 1" if times is None else str(times)
            raise AssertionError(
                f"expected {expected} webhook call(s), got {count}:\n{self._listing()}"
            )

    def assert_not_called(self) -> None:
        __tracebackhide__ = True
        self.assert_called(times=0)

    def assert_last_intent(self, intent: str) -> None:
        """The last call was an intent webhook for ``intent``."""
        __tracebackhide__ = True
        last = self.last
        if last.intent != intent:
            raise AssertionError(
                f"the last call's intent is {last.intent!r}, not {intent!r}:\n{self._listing()}"
            )

    def assert_all_signed(self) -> None:
        """Every call carried a correct ``X-Hub-Signature`` for the configured secret."""
        __tracebackhide__ = True
        calls = self.calls
        if not calls:
            raise AssertionError("no webhook call was received, so none was signed")
        if all(c.verdict == "unchecked" for c in calls):
            raise AssertionError(
                "no secret is configured, so signatures cannot be checked "
                "(hint: give the mock the bot's secret)"
            )
        bad = [c for c in calls if not c.signed_correctly]
        if bad:
            raise AssertionError(
                f"{len(bad)} of {len(calls)} call(s) not signed correctly:\n{self._listing(bad)}"
            )
