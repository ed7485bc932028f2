"""Replaying a cassette against a handler, and what changed.

Each recorded request is sent again: re-signed with the test secret, or byte for
byte with its recorded headers (``verbatim``, for a handler that still has the
original secret).  The new answer is compared with the recorded one as the
platform sees it: the status, then what the chat user would see, then the
context update, then (only with ``strict``) the raw bytes.  Any change, or a new
error finding, is a regression.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from harness._answer import Outcome, outcome, read_answer
from harness._cassette import CassetteEntry, CassetteError
from harness._exchange import Exchange, clip_lines, deliver, is_passthrough, judge
from harness._httpd import HOP_BY_HOP
from harness._report import xml_text
from harness._signing import SecretLike
from harness._transport import DEFAULT_TIMEOUT, Sent, Target, deliver_raw

__all__ = ["ReplayCase", "recorded_outcome", "render_json", "render_junit", "render_text",
           "replay_entry"]  # fmt: skip


@dataclass
class ReplayCase:
    """One recorded call sent again: the new exchange and what changed."""

    name: str
    entry: CassetteEntry
    exchange: Exchange
    diffs: list[str] = field(default_factory=list)
    new_errors: list[str] = field(default_factory=list)

    @property
    def regression(self) -> bool:
        return bool(self.diffs or self.new_errors)

    def report(self) -> str:
        """What changed, readably, with the findings and a reproducer."""
        lines = [f"{self.name} ({self.entry.where}):"]
        lines.extend(f"  {diff}" for diff in self.diffs)
        lines.extend(f"  new: {error}" for error in self.new_errors)
        for finding in self.exchange.findings:
            lines.append(f"  {finding.code} {finding.severity}: {finding.title}")
            lines.append(f"    {finding.evidence}")
        lines.append(f"  reproduce with:\n    {self.exchange.reproduce()}")
        if self.exchange.output:
            lines.append("  the handler's output:")
            lines.extend(f"    | {row}" for row in clip_lines(self.exchange.output))
        return "\n".join(lines)


def recorded_outcome(entry: CassetteEntry) -> Outcome:
    """What the platform made of the recorded answer."""
    request = entry.request_json
    passthrough = is_passthrough(entry.request_body)
    if entry.status is None:
        return outcome(request, None, f"WebHook Execution Failed - {entry.failure}")
    if entry.status != 200:
        return outcome(request, None, f"Webhook call failed (HTTP code {entry.status})")
    content_type = next((v for k, v in entry.response_headers if k.lower() == "content-type"), None)
    return outcome(request, read_answer(entry.response_body, content_type,
                                        passthrough=passthrough))  # fmt: skip


def replay_entry(
    entry: CassetteEntry,
    target: Target,
    *,
    name: str = "",
    secret: SecretLike | None = None,
    verbatim: bool = False,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReplayCase:
    """Send ``entry``'s request to ``target`` again and compare the answers."""
    body = entry.request_body
    if verbatim:
        headers = {k: v for k, v in entry.request_headers if k.lower() not in HOP_BY_HOP}
        delivery = deliver_raw(target, Sent(entry.method, target.url, headers, body), timeout)
        exchange = judge(delivery, passthrough=is_passthrough(body),
                         secret_known=True, in_process=target.in_process)  # fmt: skip
    else:
        exchange = deliver(target, body, secret=secret, sign=True if secret else None,
                           timeout=timeout)  # fmt: skip
    exchange.scenario = name or entry.intent
    case = ReplayCase(name or entry.intent, entry, exchange)
    before, after = recorded_outcome(entry), exchange.outcome
    got = exchange.received
    status = got.status if got is not None else None
    if status != entry.status:
        case.diffs.append(f"status: {_status(entry.status)} -> {_status(status)}")
    if (before.user_text, before.chat_api_error) != (after.user_text, after.chat_api_error):
        case.diffs.append(f"the chat user sees: {_seen(before)} -> {_seen(after)}")
    if before.context != after.context:
        case.diffs.append(f"context: {_context_diff(before.context, after.context)}")
    if strict and got is not None and got.body != entry.response_body:
        case.diffs.append(
            f"bytes: {len(entry.response_body)} recorded, {len(got.body)} now, first "
            f"difference at byte {_first_difference(entry.response_body, got.body)}"
        )
    known = set()
    if entry.status is not None:  # the recorded exchange's own errors are not regressions
        old = judge(_recorded_delivery(entry), passthrough=is_passthrough(body))
        known = {f.code for f in old.findings if f.severity == "error"}
    case.new_errors = [f"{f.code} {f.title}" for f in exchange.findings
                       if f.severity == "error" and f.code not in known]  # fmt: skip
    return case


def _recorded_delivery(entry: CassetteEntry) -> Any:
    from harness._transport import Delivery, Received

    sent = Sent(entry.method, entry.url, dict(entry.request_headers), entry.request_body)
    received = Received(entry.status or 0, dict(entry.response_headers), entry.response_body,
                        entry.elapsed_ms / 1000)  # fmt: skip
    return Delivery(sent, received)


def _status(status: int | None) -> str:
    return "no answer" if status is None else str(status)


def _seen(result: Outcome) -> str:
    if result.chat_api_error:
        return f"(chat API {result.chat_api_error})"
    text = result.user_text
    return repr(text if text is None or len(text) <= 200 else text[:200] + "…")


def _context_diff(before: dict[str, str], after: dict[str, str]) -> str:
    parts = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            parts.append(f"{name}: added {new!r}")
        elif new is None:
            parts.append(f"{name}: deleted (was {old!r})")
        else:
            parts.append(f"{name}: {old!r} -> {new!r}")
    return "; ".join(parts)


def _first_difference(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def render_text(cases: Sequence[ReplayCase], problems: Sequence[CassetteError]) -> str:
    """Each call (``ok`` or what changed), the unreadable lines, then a count."""
    lines = []
    for case in cases:
        lines.append(case.report() if case.regression else f"ok   {case.name}")
    lines.extend(f"unreadable: {problem}" for problem in problems)
    changed = sum(case.regression for case in cases)
    lines.append(
        f"{len(cases)} call(s) replayed: {len(cases) - changed} unchanged, {changed} changed"
        + (f"; {len(problems)} line(s) unreadable" if problems else "")
    )
    return "\n".join(lines)


def render_json(cases: Sequence[ReplayCase], problems: Sequence[CassetteError]) -> str:
    """The results as JSON: counts, the unreadable lines, each call's diffs and findings."""
    data = {
        "replayed": len(cases),
        "changed": sum(case.regression for case in cases),
        "unreadable": [str(p) for p in problems],
        "calls": [
            {"name": c.name, "line": c.entry.where, "regression": c.regression, "diffs": c.diffs,
             "new_errors": c.new_errors, "findings": [f.as_dict() for f in c.exchange.findings]}
            for c in cases
        ],
    }  # fmt: skip
    return json.dumps(data, ensure_ascii=False, indent=2)


def render_junit(cases: Sequence[ReplayCase], problems: Sequence[CassetteError]) -> str:
    """One test case per call, and one failing case per unreadable line."""
    suite = ET.Element("testsuite", name="botwebhook.replay", tests=str(len(cases) + len(problems)),
                       failures=str(sum(c.regression for c in cases) + len(problems)),
                       time=f"{sum(c.exchange.delivery.elapsed for c in cases):.3f}")  # fmt: skip
    for case in cases:
        element = ET.SubElement(suite, "testcase", classname="botwebhook.replay", name=case.name)
        if case.regression:
            failure = ET.SubElement(element, "failure", message=xml_text("; ".join(
                [*case.diffs, *case.new_errors])))  # fmt: skip
            failure.text = xml_text(case.report())
    for problem in problems:
        element = ET.SubElement(suite, "testcase", classname="botwebhook.replay",
                                name=f"line {problem.line}")  # fmt: skip
        ET.SubElement(element, "failure", message=xml_text(str(problem)))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
