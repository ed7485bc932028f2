"""One webhook call as the platform makes it, and everything it tells us.

:func:`deliver` sends a body with the platform's headers (signed for https
and in-process targets), reads the answer as the platform does, and returns
an :class:`Exchange`: the exact request and response, the platform
:class:`Outcome`, and the findings for what was expected of this call.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from harness._errors import BotWebhookTypeError, renamed_keyword, require_type
from harness.delivery._call_findings import call_findings
from harness.delivery._findings import Finding, shell_quote
from harness.delivery._transport import (
    DEFAULT_TIMEOUT,
    Delivery,
    Received,
    Sent,
    Target,
    deliver_raw,
    kept_sent,
    require_timeout,
)
from harness.model._payload import Payload
from harness.platform._answer import Answer
from harness.platform._headers import platform_headers
from harness.platform._outcome import Outcome, outcome, take_answer
from harness.protocol._signing import SIGNATURE_HEADER, Secret, SecretLike, sign

__all__ = [
    "Exchange",
    "Expect",
    "check_exchange",
    "clip_lines",
    "curl_command",
    "deliver",
    "is_passthrough",
    "json_object",
    "judge",
]

#: What a call is for: a valid platform payload (``contract``), one that must be
#: refused (``wrong-signature``, ``missing-signature``), ``malformed`` input as an
#: attacker could send it (never with a valid signature: only the platform holds
#: the secret, and it never sends a malformed body), or the opt-in ``robustness``
#: probe: a malformed body signed with the secret, which cannot happen in production.
Expect = Literal["contract", "wrong-signature", "missing-signature", "malformed", "robustness"]
_LOCAL_BASE = "http://127.0.0.1:8080"


@dataclass(slots=True)
class Exchange:
    """A request and its response, with the platform's :class:`Outcome` and the
    :class:`Finding` list.  ``scenario`` and ``variant`` name what was sent."""

    sent: Sent
    delivery: Delivery
    answer: Answer | None
    failure: str | None = None
    expect: Expect = "contract"
    scenario: str = ""
    variant: str = ""
    signed: bool = False
    secret_known: bool = False
    in_process: bool = False
    #: Whether the platform signs calls to this target (https, in-process, --sign always):
    #: where it does not, nothing tells its calls from junk, and BW402 is a warning.
    target_signed: bool = True
    findings: list[Finding] = field(default_factory=list)
    #: The run-level finding that speaks for this call's own (``BW108`` or ``BW110``):
    #: its findings about the status were taken into that one.
    covered_by: str | None = None
    #: What the caller knows about this call that its findings cannot (shown with them):
    #: the pytest plugin notes here that it signed with its default test secret.
    notes: list[str] = field(default_factory=list)
    _outcome: Outcome | None = field(default=None, repr=False)
    #: Whether the request was a passthrough query (how the answer is read again).
    _passthrough: bool = field(default=False, repr=False)
    #: The parsed answer was let go (:meth:`compact`): the outcome reads it again.
    _compacted: bool = field(default=False, repr=False)

    @property
    def outcome(self) -> Outcome:
        """What the platform makes of this call (computed on first use)."""
        if self._outcome is not None:
            return self._outcome
        answer = self.answer
        if self._compacted:
            answer = read_delivery(self.delivery, passthrough=self._passthrough)[1]
        found = outcome(json_object(self.sent.body), answer, self.failure)
        if not self._compacted:
            self._outcome = found
        return found

    @property
    def received(self) -> Received | None:
        return self.delivery.received

    @property
    def output(self) -> str:
        """What an in-process handler printed and logged during this call."""
        return self.delivery.output

    def compact(self, keep: int = 64 * 1024) -> None:
        """Keep only what reports need, for a long run: the parsed answer goes, the
        answer's bytes are cut to ``keep`` (its ``size`` stays).  A call with findings
        keeps its outcome; a passing call's is worked out again from the bytes."""
        got = self.delivery.received
        if self.findings or (got is not None and len(got.body) > keep):
            self.outcome  # noqa: B018 - computed and cached before the answer goes
        else:
            self._outcome = None
            self._compacted = True
        self.answer = None
        if got is not None and len(got.body) > keep:
            self.delivery.received = dataclasses.replace(got, body=got.body[:keep])
        if not self.findings:  # a passing call's empty lists: one shared by every such call
            self.findings = _SHARED_EMPTY
            self.notes = self.notes or _SHARED_EMPTY
            self.delivery.hops = self.delivery.hops or _SHARED_EMPTY
            old, self.sent = self.sent, kept_sent(self.sent)  # and the request's headers
            if self.delivery.sent is old:
                self.delivery.sent = self.sent

    @property
    def ok(self) -> bool:
        """No error finding."""
        return not any(f.severity == "error" for f in self.findings)

    def failure_report(self, *, strict: bool = False, ignored: Collection[str] = ()) -> str | None:
        """The findings that fail this exchange, readably, or None when it passes
        (errors always fail; warnings only when ``strict``; ``ignored`` codes never)."""
        failing = [
            f for f in self.findings if (strict or f.severity == "error") and f.code not in ignored
        ]
        if not failing:
            return None
        lines = [f"{self.scenario or 'webhook call'} ({self.variant or 'raw body'}):"]
        for finding in failing:
            first, *rest = finding.described()
            lines.append(f"  {first}")
            lines.extend(f"    {line}" for line in rest)
        if self.expect == "contract":
            lines.append(f"  {self.outcome.describe()}")
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.append(f"  reproduce with:\n    {self.reproduce()}")
        if self.output:
            lines.append("  the handler's output:")
            lines.extend(f"    | {line}" for line in clip_lines(self.output))
        return "\n".join(lines)

    def assert_ok(self, *, strict: bool = False) -> None:
        """Raise AssertionError listing the findings (codes, evidence, hints and a
        curl command) unless the platform would accept this answer as meant."""
        __tracebackhide__ = True
        report = self.failure_report(strict=strict)
        if report is not None:
            raise AssertionError(report)

    def reproduce(self) -> str:
        """A curl command that sends this exact request again."""
        return curl_command(self.sent, self.in_process)

    def describe(self) -> str:
        """Request, response and outcome as a few readable lines."""
        lines = [f"POST {self.sent.url} ({len(self.sent.body)} bytes, {self.variant or 'raw'})"]
        got = self.received
        if self.delivery.failure:
            lines.append(f"-> failed: {self.delivery.failure}")
        elif got is not None:
            body = got.body[:300].decode("utf-8", "replace")
            lines.append(f"-> {got.status} in {got.elapsed * 1000:.1f} ms: {body}")
        lines.append(self.outcome.describe())
        return "\n".join(lines)


def clip_lines(text: str, *, lines: int = 40, width: int = 300) -> list[str]:
    """``text`` cut to its last ``lines`` lines (a traceback ends with the error), each
    at most ``width`` characters, saying what was left out."""
    rows = text.rstrip("\n").splitlines()
    cut = len(rows) - lines
    rows = [r if len(r) <= width else r[: width - 1] + "…" for r in rows[max(cut, 0) :]]
    return [f"[... {cut} earlier lines]", *rows] if cut > 0 else rows


def curl_command(sent: Sent, in_process: bool = False) -> str:
    """``curl`` with the exact headers and body bytes (never the secret)."""
    if in_process:  # where the user serves it; the path and query are the app's own
        rest = sent.url.split("://", 1)[-1]
        local = _LOCAL_BASE + rest[rest.find("/") :] if "/" in rest else _LOCAL_BASE + "/"
        escaped = "".join("\\" + c if c in '"$`\\' else c for c in local)
        url = f'"${{BOTWEBHOOK_URL:-{escaped}}}"'
    else:
        url = shell_quote(sent.url.encode())
    parts = ["curl -sS -i -X", sent.method, url]
    for name, value in sent.headers.items():
        if name.lower() != "content-length":
            parts += ["-H", shell_quote(f"{name}: {value}".encode())]
    if sent.body or sent.method == "POST":
        parts += ["--data-binary", shell_quote(sent.body)]
    return " ".join(parts)


@renamed_keyword("sign", "signed", removed_in="0.3")
def deliver(
    target: Target,
    body: bytes | Payload,
    *,
    secret: SecretLike | None = None,
    signed: bool | None = None,
    signature: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    expect: Expect = "contract",
    scenario: str = "",
) -> Exchange:
    """Send one webhook call to ``target`` and check the answer.

    ``signed`` None signs https and in-process targets (as the platform
    signs only https URLs); ``signature`` overrides the computed header value
    (for probes).  ``secret`` None with signing on signs with a throw-away
    secret, so the handler's own verification can be seen to reject it.
    ``expect="malformed"`` bodies are never signed (unless ``signature`` is
    given): only the platform can sign, and it sends no malformed body.
    """
    secret = Secret.of(secret)  # from here on, no traceback can show it
    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    require_type("body", body, (bytes, Payload), "pass the exact body bytes or a Payload")
    timeout = require_timeout(timeout)
    variant = ""
    passthrough: bool | None = None
    if isinstance(body, Payload):
        variant = body.variant.name
        passthrough = body.variant.shape == "P"
        body = body.body
    signing = target.platform_signs if signed is None else signed
    header = signature
    if header is None and signing and expect not in ("missing-signature", "malformed"):
        header = sign(body, secret or "botwebhook-unknown-secret-0000000000000")
    if expect == "missing-signature":
        header = None
    sent = Sent("POST", target.url, platform_headers(body, header), body)
    delivery = deliver_raw(target, sent, timeout)
    return judge(
        delivery,
        passthrough=is_passthrough(body) if passthrough is None else passthrough,
        expect=expect,
        scenario=scenario,
        variant=variant,
        secret_known=secret is not None,
        in_process=target.in_process,
        target_signed=signing,
    )


class _Shared(list):  # type: ignore[type-arg]
    """The empty list that compacted passing exchanges share (:meth:`Exchange.compact`):
    read, it is ``[]``; changed, it says what to do instead."""

    __slots__ = ()

    def _refused(self, *args: Any, **kwargs: Any) -> Any:
        raise BotWebhookTypeError(
            "this exchange was compacted by its run (Exchange.compact), and its empty "
            "findings, notes and hops are one list shared by every passing call: assign a "
            "new list instead (hint: exchange.notes = [*exchange.notes, note])"
        )

    append = extend = insert = remove = pop = clear = sort = reverse = _refused
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refused


_SHARED_EMPTY: list[Any] = _Shared()


def judge(
    delivery: Delivery,
    *,
    passthrough: bool,
    expect: Expect = "contract",
    scenario: str = "",
    variant: str = "",
    secret_known: bool = False,
    in_process: bool = False,
    target_signed: bool = True,
) -> Exchange:
    """What the platform makes of ``delivery`` (one call's request and answer, however
    it was sent): the answer read as the platform reads it, and the findings.
    ``target_signed``: whether the platform signs calls to this target."""
    sent = delivery.sent
    failure, answer = read_delivery(delivery, passthrough=passthrough)
    exchange = Exchange(
        sent=sent,
        delivery=delivery,
        answer=answer,
        failure=failure,
        expect=expect,
        scenario=scenario,
        variant=variant,
        signed=SIGNATURE_HEADER in sent.headers,
        secret_known=secret_known,
        in_process=in_process,
        target_signed=target_signed,
        _passthrough=passthrough,
    )
    exchange.findings = check_exchange(exchange)
    return exchange


def read_delivery(delivery: Delivery, *, passthrough: bool) -> tuple[str | None, Answer | None]:
    """The failure, or the answer read as the platform reads it, of one delivery."""
    received = delivery.received
    if delivery.failure is not None or received is None:
        return take_answer(None, {}, b"", passthrough=passthrough, failure=delivery.failure)
    if received.over_cap and received.status == 200:
        return None, None  # only part of it was read: nothing to judge but its size
    return take_answer(received.status, received.headers, received.body, passthrough=passthrough)


def json_object(body: bytes) -> dict[str, Any]:
    """``body`` as a JSON object, or ``{}`` for anything else (bad JSON, deep nesting)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


class _Request(Mapping[str, Any]):
    """A request's body as a JSON object (``{}`` for anything else), read when first
    looked at: most calls are judged without it."""

    __slots__ = ("_body", "_value")

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._value: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._value is None:
            self._value = json_object(self._body)
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def is_passthrough(body: bytes) -> bool:
    if body.startswith(b'{"intentName":'):  # the platform's own key order: cheap
        return False
    request = json_object(body)
    return bool(request) and "intentName" not in request


def check_exchange(exchange: Exchange) -> list[Finding]:
    """The findings for one exchange, given what it was for (``expect``)."""
    found = call_findings(
        exchange.delivery,
        exchange.answer,
        _Request(exchange.sent.body),
        expect=exchange.expect,
        signed=exchange.signed,
        secret_known=exchange.secret_known,
        target_signed=exchange.target_signed,
        variant=exchange.variant,
    )
    output = exchange.delivery.output
    reproduce = exchange.reproduce() if found else ""
    scenario, variant = exchange.scenario, exchange.variant
    received = exchange.delivery.received
    raised = received.raised_in if received is not None else None
    return [
        Finding(
            f.code,
            f.evidence,
            scenario,
            variant,
            reproduce,
            output,
            f.level,
            f.hint,
            raised if f.code in _CRASHES else None,
        )
        for f in found
    ]


#: The codes of a handler that crashed: their finding points at where it raised.
_CRASHES = frozenset({"BW401", "BW402", "BW403"})
