"""What one call shows: each finding's code, evidence, and, where the call says
more than the code's usual words, its own severity and hint.

It works on what was sent and received, not on an :class:`~harness.Exchange`,
so that :func:`harness.checks.check_exchange` and every other judge of a call
share it.  Expectations (``expect``) follow the threat model in ``checks/_check.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.delivery._crash_reports import crash_report
from harness.delivery._findings import Severity
from harness.delivery._hints import crash_hint, probe_hint, status_hint
from harness.delivery._transport import Delivery, Received
from harness.platform._answer import Answer
from harness.platform._outcome import transport_failed

__all__ = ["Found", "call_findings", "rejected_signature"]


@dataclass(frozen=True, slots=True)
class Found:
    """A finding before it is attached to its exchange."""

    code: str
    evidence: str
    level: Severity | None = None
    hint: str = ""


def call_findings(
    delivery: Delivery,
    answer: Answer | None,
    request: Mapping[str, Any],
    *,
    expect: str,
    signed: bool,
    secret_known: bool,
    target_signed: bool,
    variant: str,
) -> list[Found]:
    """The findings of one call: ``request`` is its body as JSON (``{}`` when it is
    not an object); the rest as on :class:`~harness.Exchange`."""
    out: list[Found] = []
    received = delivery.received
    if delivery.failure is not None:
        code = "BW107" if delivery.hung else "BW105" if delivery.timed_out else "BW100"
        out.append(Found(code, transport_failed(delivery.failure)))
    for hop in delivery.hops:
        if not hop.startswith("307"):
            out.append(Found("BW106", f"redirect {hop}"))
    if delivery.refused_redirect:
        out.append(Found("BW106", f"redirect {delivery.refused_redirect}"))
    if received is None or delivery.failure is not None:
        return out
    status = received.status
    if expect == "contract":
        facts = _Call(delivery, received, answer, request, signed, secret_known, variant)
        out.extend(facts.contract())
    elif expect in ("wrong-signature", "missing-signature") and status == 200:
        code = "BW301" if expect == "wrong-signature" else "BW302"
        what = "a wrong signature" if expect == "wrong-signature" else "no signature"
        out.append(Found(code, f"answered 200 to a request with {what}"))
    elif status >= 500:
        raised = f": {received.exception}" if received.exception else ""
        words = _probe_words(expect, delivery.sent.headers.get("X-Hub-Signature"))
        evidence = f"answered {status} to {words}{raised}"
        if expect == "robustness":
            out.append(Found("BW403", evidence))
        else:
            hint = probe_hint(target_signed=target_signed)
            out.append(Found("BW402", evidence, "warning" if hint else None, hint or ""))
    return out


@dataclass(frozen=True, slots=True)
class _Call:
    delivery: Delivery
    received: Received
    answer: Answer | None
    request: Mapping[str, Any]
    signed: bool
    secret_known: bool
    variant: str

    def contract(self) -> list[Found]:
        received = self.received
        status = received.status
        snippet = received.exception or received.body[:120].decode("utf-8", "replace")
        if status >= 500:
            what = f"a valid {self.variant} payload" if self.variant else "a valid payload"
            hint = crash_hint(received.exception, self.request)
            return [Found("BW401", f"answered {status} to {what}: {snippet}", hint=hint)]
        if self.signed and self.secret_known and rejected_signature(received):
            return [Found("BW303", f"answered {status} to a correctly signed request: {snippet}")]
        if status != 200:
            return self._not_200(status, snippet)
        if received.over_cap:
            return [
                Found("BW208", f"the answer is {_megabytes(received.size)}, larger than "
                      f"{_megabytes(len(received.body))}, the harness's cap; the platform has "
                      "no limit and reads all of it into memory while the user waits; checked "
                      "no further")
            ]  # fmt: skip
        data = self.answer.data if self.answer is not None else None
        if not (data and (isinstance(data.get("text"), str) or data.get("facebook"))):
            # An answer the platform takes a text or a card from is no crash report.
            crashed = crash_report(received.body)
            if crashed is not None:
                return [Found("BW109", f"answered 200 with {crashed}")]
        if self.answer is None or not self.answer.findings:
            return []
        passthrough = bool(self.request) and "intentName" not in self.request
        return [self._answer_finding(f.code, str(f), passthrough) for f in self.answer.findings]

    def _not_200(self, status: int, snippet: str) -> list[Found]:
        delivery = self.delivery
        if delivery.refused_redirect:
            return []  # BW106 says it better
        hint = status_hint(
            status,
            self.received.body,
            self.request,
            signed=self.signed,
            secret_known=self.secret_known,
        )
        if delivery.hops:
            evidence = f"answered {status} after {_hops(delivery.hops)}: {snippet}"
        else:
            evidence = f"answered {status}, not 200: {snippet}"
        return [Found("BW101", evidence, hint=hint)]

    @staticmethod
    def _answer_finding(code: str, evidence: str, passthrough: bool) -> Found:
        if code == "BW201" and passthrough:
            return Found(
                code, evidence, "warning", "a passthrough call ignores any context update, "
                "nested or flat: it has no effect here"
            )  # fmt: skip
        return Found(code, evidence)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.4g} MB"


def _hops(hops: list[str]) -> str:
    shown = "; ".join(hop.split(":", 1)[0] for hop in hops[:3])
    more = f" and {len(hops) - 3} more" if len(hops) > 3 else ""
    return f"{len(hops)} redirect{'s' * (len(hops) != 1)} ({shown}{more})"


def rejected_signature(received: Received) -> bool:
    """Whether a response reads as a refused signature: 401 or 403, or a 400 whose
    body talks about the signature (as the public example handler answers)."""
    if received.status in (401, 403):
        return True
    return received.status == 400 and b"signature" in received.body[:500].lower()


def _probe_words(expect: str, signature: str | None) -> str:
    if expect == "robustness":
        return "malformed input signed with the secret"
    if expect == "malformed":
        how = f"with the invalid signature {signature[:15]}…" if signature else "with no signature"
        return f"malformed input sent {how}, as anyone could send it"
    return f"a request with {'a wrong' if expect == 'wrong-signature' else 'no'} signature"
