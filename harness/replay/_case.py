"""Replaying a cassette against a handler, and what changed.

Each recorded request is sent again: re-signed with the test secret, or byte for
byte with its recorded headers (``verbatim``, for a handler that still has the
original secret).  It is sent **twice**, and the new answer is compared with
the recorded one as the platform sees it (``harness.replay._diff``): the status,
what the chat user sees, the Facebook nodes, each context variable, and (only
with ``strict``) the raw bytes.  A field that differs between the two identical
calls is noise, as is one an ignore rule names; any other change, or a new error
finding, is a regression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checks._code_report import HandlerCoverage
from harness.checks._coverage import ProtocolCoverage
from harness.checks._envelope import envelope
from harness.checks._junit import Case, junit_xml
from harness.checks._result import Format, require_format
from harness.checks._sarif import Located, render_sarif
from harness.delivery._exchange import Exchange, clip_lines, deliver, is_passthrough, judge
from harness.delivery._findings import printable
from harness.delivery._transport import Sent, Target, deliver_raw
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.platform._headers import end_to_end
from harness.platform._outcome import Outcome, outcome, take_answer
from harness.protocol._signing import SecretLike
from harness.replay._cassette import CassetteEntry, CassetteError
from harness.replay._diff import Difference, Rules, Seen, compare, learned_rules, seen_of

__all__ = ["ReplayCase", "ReplayRun", "recorded_outcome", "render_json", "render_junit",
           "render_text", "replay_entry"]  # fmt: skip


@dataclass
class ReplayCase:
    """One recorded call sent again (twice, unless ``twice=False``): the first new
    exchange, every field that changed, and the rules learned from the two."""

    name: str
    entry: CassetteEntry
    exchange: Exchange
    differences: list[Difference] = field(default_factory=list)
    #: What varies between the two identical calls, as ignore rules (``--learn``).
    learned: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Difference]:
        return [d for d in self.differences if d.noise is None]

    @property
    def noise(self) -> list[Difference]:
        return [d for d in self.differences if d.noise is not None]

    @property
    def regression(self) -> bool:
        return bool(self.regressions)

    def report(self) -> str:
        """What changed, readably (regressions, then noise), with the findings and a
        reproducer when something regressed."""
        lines = [f"{self.name} ({self.entry.where}):"]
        lines.extend(f"  {d.describe()}" for d in self.regressions)
        lines.extend(f"  noise: {d.describe()}" for d in self.noise)
        if self.regression:
            for finding in self.exchange.findings:
                first, evidence, _, more = finding.described()
                lines.append(f"  {first}")
                lines.extend(f"    {line}" for line in (evidence, more))
            lines.append(f"  reproduce with:\n    {self.exchange.reproduce()}")
            if self.exchange.output:
                lines.append("  the handler's output:")
                lines.extend(f"    | {row}" for row in clip_lines(self.exchange.output))
        return printable("\n".join(lines))

    def as_dict(self) -> dict[str, Any]:
        file, _, line = self.entry.where.rpartition(":")
        return {
            "name": self.name,
            "file": file,
            "line": int(line) if line.isdigit() else None,
            "regression": self.regression,
            "differences": [d.as_dict() for d in self.differences],
            "learned": self.learned,
            "findings": [f.as_dict() for f in self.exchange.findings],
        }


def recorded_outcome(entry: CassetteEntry) -> Outcome:
    """What the platform made of the recorded answer."""
    return _recorded(entry)[0]


def _recorded(entry: CassetteEntry) -> tuple[Outcome, dict[str, Any] | None]:
    request = entry.request_json
    passthrough = is_passthrough(entry.request_body)
    failure, answer = take_answer(
        entry.status, entry.response_headers, entry.response_body, passthrough=passthrough,
        failure=entry.failure if entry.status is None else None,
    )  # fmt: skip
    if answer is None:
        return outcome(request, None, failure), None
    return outcome(request, answer), answer.data


def replay_entry(
    entry: CassetteEntry,
    target: Target,
    *,
    name: str = "",
    secret: SecretLike | None = None,
    verbatim: bool = False,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    rules: Rules | None = None,
    twice: bool = True,
) -> ReplayCase:
    """Send ``entry``'s request to ``target`` again (twice, to tell noise from change;
    ``twice=False`` sends it once) and compare the answers (see the module docstring);
    ``rules`` say what else to ignore."""
    rules = rules or Rules()
    exchange = _send(entry, target, secret, verbatim, timeout)
    again = _send(entry, target, secret, verbatim, timeout) if twice else None
    exchange.scenario = name or entry.intent
    case = ReplayCase(name or entry.intent, entry, exchange)
    before, before_data = _recorded(entry)
    recorded = seen_of(entry.status, before, before_data, entry.response_body)
    now = _seen(exchange)
    other = _seen(again) if again is not None else None
    case.differences = compare(recorded, now, other, rules, strict=strict)
    known = set()
    if entry.status is not None:  # the recorded exchange's own errors are not regressions
        old = judge(_recorded_delivery(entry), passthrough=is_passthrough(entry.request_body))
        known = {f.code for f in old.findings if f.severity == "error"}
    case.differences += [
        Difference("finding", None, f"{f.code} {f.title}")
        for f in exchange.findings
        if f.severity == "error" and f.code not in known
    ]
    if other is not None:
        case.learned = learned_rules(now, other)
    return case


def _send(
    entry: CassetteEntry, target: Target, secret: SecretLike | None, verbatim: bool, timeout: float
) -> Exchange:
    body = entry.request_body
    if verbatim:
        headers = dict(end_to_end(entry.request_headers))
        delivery = deliver_raw(target, Sent(entry.method, target.url, headers, body), timeout)
        return judge(delivery, passthrough=is_passthrough(body), secret_known=True,
                     in_process=target.in_process)  # fmt: skip
    return deliver(target, body, secret=secret, signed=True if secret else None, timeout=timeout)


def _seen(exchange: Exchange) -> Seen:
    got = exchange.received
    data = exchange.answer.data if exchange.answer is not None else None
    return seen_of(got.status if got else None, exchange.outcome, data, got.body if got else b"")


def _recorded_delivery(entry: CassetteEntry) -> Any:
    from harness.delivery._transport import Delivery, Received

    sent = Sent(entry.method, entry.url, dict(entry.request_headers), entry.request_body)
    received = Received(entry.status or 0, dict(entry.response_headers), entry.response_body,
                        entry.elapsed_ms / 1000)  # fmt: skip
    return Delivery(sent, received)


@dataclass
class ReplayRun:
    """A cassette replayed (``botwebhook replay``): a :class:`Result`.  ``problems``
    are the lines that could not be read; each fails the run."""

    cases: list[ReplayCase]
    problems: list[CassetteError] = field(default_factory=list)
    #: The target and the redacted secret, for the reports.
    header: dict[str, Any] = field(default_factory=dict)
    #: Which lines and branches of the handler the run reached (``--code-coverage``).
    code_coverage: HandlerCoverage | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not any(case.regression for case in self.cases)

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when a call changed, else 2 when a line was unreadable (the cassette is
        broken, not the handler), else 0: noise never fails."""
        if any(case.regression for case in self.cases):
            return 1
        return 2 if self.problems else 0

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str:  # fmt: skip
        """``text`` (each call, its noise, what changed), ``json`` or ``junit`` XML."""
        format = require_format(format)
        if format == "json":
            return render_json(self.cases, self.problems, header=self.header,
                               code_coverage=self.code_coverage)  # fmt: skip
        if format == "junit":
            return render_junit(self.cases, self.problems)
        if format == "sarif":
            return render_sarif("replay", self.located())
        if format == "html":
            from harness.checks._html import findings_section, html_page, table_section

            header = [(k, str(v)) for k, v in self.header.items() if v is not None]
            rows = [
                (c.name, "changed" if c.regression else "noise" if c.noise else "same",
                 "; ".join(d.describe() for d in c.differences))
                for c in self.cases
            ]  # fmt: skip
            rows += [(f"{p.path} line {p.line}", "unreadable", str(p)) for p in self.problems]
            words = f"{len(self.cases)} call(s) replayed"
            return html_page("botwebhook replay", header, (self.ok, words), [
                table_section("Calls", ("call", "verdict", "differences"), rows),
                findings_section([f for f, _ in self.located()])])  # fmt: skip
        return render_text(self.cases, self.problems)

    @property
    def coverage(self) -> ProtocolCoverage:
        """What the replayed calls exercised.  A cassette names no model: only the
        kinds of answer are known in advance, so only those can be never seen."""
        found = ProtocolCoverage(None, probes=())
        for case in self.cases:
            found.add(case.exchange)
        return found

    def located(self) -> list[Located]:
        """Each call's findings, where the handler raised them or at the cassette line."""
        items: list[Located] = []
        for case in self.cases:
            file, _, line = case.entry.where.rpartition(":")
            place = (file, int(line)) if line.isdigit() else None
            items.extend((f, f.location or place) for f in case.exchange.findings)
        return items


def render_text(cases: Sequence[ReplayCase], problems: Sequence[CassetteError]) -> str:
    """Each call (``ok``, its noise, or what changed), the unreadable lines, then a
    count of regressions and noise."""
    lines = []
    for case in cases:
        lines.append(case.report() if case.differences else f"ok   {case.name}")
    lines.extend(printable(f"unreadable: {problem}") for problem in problems)
    changed = sum(case.regression for case in cases)
    noisy = sum(bool(case.noise) and not case.regression for case in cases)
    lines.append(
        f"{len(cases)} call(s) replayed: {len(cases) - changed} unchanged"
        + (f" ({noisy} with noise only)" if noisy else "")
        + f", {changed} changed"
        + (f"; {len(problems)} line(s) unreadable" if problems else "")
    )
    return "\n".join(lines)


def render_json(
    cases: Sequence[ReplayCase],
    problems: Sequence[CassetteError],
    *,
    header: Mapping[str, Any] | None = None,
    code_coverage: HandlerCoverage | None = None,
) -> str:
    """The results in the JSON envelope every command shares
    (``docs/schema/replay.schema.json``): counts, the unreadable lines (file and
    line), each call's differences as data (field, recorded, now, noise) and its
    findings.  ``header`` names the target and the redacted secret."""
    header = dict(header or {})
    summary = {
        "ok": not problems and not any(case.regression for case in cases),
        "replayed": len(cases),
        "changed": sum(case.regression for case in cases),
        "noise_only": sum(bool(case.noise) and not case.regression for case in cases),
        "unreadable": [{"file": p.path, "line": p.line, "problem": str(p)} for p in problems],
    }
    findings = [f.as_dict() for case in cases for f in case.exchange.findings]
    return envelope(
        "replay", target=str(header.get("target", "")), model="", seed=None,
        secret=str(header.get("secret", "none")), summary=summary,
        results=[case.as_dict() for case in cases], findings=findings,
        coverage=ReplayRun(list(cases)).coverage.as_dict(), code_coverage=code_coverage,
    )  # fmt: skip


def render_junit(cases: Sequence[ReplayCase], problems: Sequence[CassetteError]) -> str:
    """One case per call (its noise in ``system-out``), and one failing case per
    unreadable line."""
    out = []
    for case in cases:
        if case.regression:
            message = "; ".join(d.describe() for d in case.regressions)
            out.append(Case(case.name, case.exchange.delivery.elapsed,
                            failure=("changed", message, case.report())))  # fmt: skip
        else:
            noise = case.report() if case.noise else ""
            out.append(Case(case.name, case.exchange.delivery.elapsed, out=noise))
    for problem in problems:
        out.append(Case(f"{problem.path} line {problem.line}",
                        failure=("unreadable", str(problem), "")))  # fmt: skip
    time = sum(c.exchange.delivery.elapsed for c in cases)
    return junit_xml("replay", out, time=time)
