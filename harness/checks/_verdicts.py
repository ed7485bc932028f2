"""Verdicts that only many calls together can give, each decided here once.

One call cannot say that a handler has no webhook at the path it was called at,
or that it never serves an intent: many calls can.  So after the valid
payloads of a run:

- **no webhook at this path** (``BW108``): every valid payload got 404 or 405.
  One finding, with the routes the app does have, instead of one ``BW101`` per
  call; and no probe is judged on such a target.
- **an intent not served** (``BW110``): every valid payload of an intent failed
  the same way (the same status, and for a server error the same exception at
  the same line), while another intent was served (answered 200), and no served
  intent failed that way (then it is a bug in a variant, such as a crash on
  every first-sentence turn, not an intent left out).  The
  platform calls a webhook only for the intents it is attached to, often one,
  so an intent of the built-in catalogue that the handler does not serve is a
  *warning*; an intent the user declared (a model, ``--intent``) is an error.
  A timeout or a broken connection is never "not served": it is the handler's.
- **the payload probes are built on**: one this handler accepted (answered 200)
  in the same run, so that a crash on one payload cannot hide a missing
  signature check.

The covered calls keep their exchanges (for JSON, JUnit and the transcript)
with ``covered_by`` set and their own status findings taken into the one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from harness.delivery._crash_reports import crash_report
from harness.delivery._exchange import Exchange, json_object
from harness.delivery._findings import Finding
from harness.model._payload import Payload

__all__ = [
    "NOT_JUDGED",
    "accepted_payload",
    "failure_signature",
    "judge_run",
]

#: The note for probes that were not sent: nothing was accepted to build them on.
NOT_JUDGED = (
    "the signature and malformed-input probes were not judged: no valid payload was "
    "accepted (answered 200), and a probe is only meaningful on a payload the handler takes"
)
_COVERED = frozenset({"BW101", "BW109", "BW303", "BW401"})
_DIGITS = re.compile(r"\d+")


def failure_signature(exchange: Exchange) -> str | None:
    """How a valid payload's call failed, the same text for the same failure: the
    status, and for a server error the exception and where it was raised (else the
    first line of the body, numbers masked); for a crash report behind a 200, that
    report.  None when the handler took the call (200), or when there is no answer
    (a timeout, a transport failure)."""
    received = exchange.received
    if exchange.delivery.failure is not None or received is None:
        return None
    if received.status == 200:
        crashed = crash_report(received.body)
        return f"200 ({crashed})" if crashed else None
    if received.exception:
        return f"{received.status} ({received.exception})"
    first = received.body[:200].decode("utf-8", "replace").strip().splitlines()
    said = _DIGITS.sub("N", first[0][:80]) if first else "an empty body"
    return f"{received.status} ({said})"


def judge_run(
    exchanges: Sequence[Exchange], *, target: Any, declared: bool, where: str
) -> list[Finding]:
    """The run-level findings of the valid payloads ``exchanges`` (``BW108``, one
    ``BW110`` per intent not served), taking the covered calls' own findings into
    them.  ``where`` names the target for the evidence (``POST /hook``)."""
    contract = [e for e in exchanges if e.expect == "contract"]
    missing = _no_webhook(contract, target, where)
    if missing is not None:
        return [missing]
    return _not_served(contract, declared)


def accepted_payload(pairs: Iterable[tuple[Payload | None, Exchange]]) -> Payload | None:
    """The payload to build probes on: one the handler took (200, not a crash report),
    preferring one with characters Gson escapes (a handler that verifies over
    re-serialized JSON then refuses the correct signature), else the first."""
    accepted = [p for p, e in pairs if p is not None and _took(e)]
    escaped = [p for p in accepted if p.variant.text == "escaped"]
    chosen = escaped or accepted
    return chosen[0] if chosen else None


def _cover(exchanges: Iterable[Exchange], finding: Finding) -> None:
    label = f"{finding.code} {finding.scenario}"
    for exchange in exchanges:
        exchange.covered_by = label
        exchange.findings = [f for f in exchange.findings if f.code not in _COVERED]


def _no_webhook(contract: Sequence[Exchange], target: Any, where: str) -> Finding | None:
    statuses = [e.received.status for e in contract if e.received is not None]
    if not statuses or any(status not in (404, 405) for status in statuses):
        return None
    from harness.delivery._routes import describe_routes

    routes = getattr(target, "routes", None)
    if getattr(target, "in_process", False):
        have = f"the app's routes: {describe_routes(routes)}"
    else:
        have = "check the URL: it must be the one the bot calls"
    counts = sorted({str(s) for s in statuses})
    finding = Finding(
        "BW108",
        f"{where} answered {' or '.join(counts)} to every valid payload ({len(statuses)} "
        f"calls): there is no webhook at this path; {have}",
        scenario="target",
        reproduce=contract[0].reproduce(),
    )
    _cover(contract, finding)
    return finding


def _not_served(contract: Sequence[Exchange], declared: bool) -> list[Finding]:
    by_intent: dict[str, list[Exchange]] = {}
    for exchange in contract:
        intent = _intent_of(exchange)
        if intent is not None:
            by_intent.setdefault(intent, []).append(exchange)
    served = [name for name, calls in by_intent.items() if any(_took(e) for e in calls)]
    if not served:
        return []
    # A failure that served intents show too is a bug in a variant, not an intent
    # left out: a crash on every first-sentence turn fails an intent that has no other.
    seen_served = {failure_signature(e) for name in served for e in by_intent[name]}
    out = []
    for name, calls in by_intent.items():
        signatures = {failure_signature(e) for e in calls}
        if name in served or len(signatures) != 1 or None in signatures:
            continue
        if signatures & seen_served:
            continue
        (how,) = signatures
        plural = "s all" if len(calls) > 1 else ""
        others = ", ".join(served[:3]) + (" and more" if len(served) > 3 else "")
        finding = Finding(
            "BW110",
            f"intent {name!r} is not served by this handler: its {len(calls)} valid "
            f"payload{plural} got {how}, while {others} {'was' if len(served) == 1 else 'were'} "
            "served",
            scenario=f"intent[{name}]",
            variant=name,
            reproduce=calls[0].reproduce(),
            output=calls[0].output if declared else "",
            level=None if declared else "warning",
            specific_hint=""
            if declared
            else (
                "the built-in catalogue tries intents your bot may not have, and the platform "
                "calls a webhook only for the intents it is attached to: name yours with "
                "--intent NAME (or declare them in a model) to check only those"
            ),
        )
        _cover(calls, finding)
        out.append(finding)
    return out


def _took(exchange: Exchange) -> bool:
    """The handler took the call: 200, and not a crash report."""
    got = exchange.received
    return got is not None and got.status == 200 and failure_signature(exchange) is None


def _intent_of(exchange: Exchange) -> str | None:
    name = json_object(exchange.sent.body).get("intentName")
    return name if isinstance(name, str) else None
