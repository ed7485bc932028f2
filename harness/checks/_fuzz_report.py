"""The result of a fuzz run: :class:`FuzzReport`, each distinct failure shrunk
(:class:`FuzzFailure`), and how both read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from harness.checks._code_report import HandlerCoverage
from harness.checks._coverage import ProtocolCoverage
from harness.checks._result import Format, require_format
from harness.checks._sarif import Located
from harness.delivery._exchange import Exchange, clip_lines
from harness.delivery._findings import Finding
from harness.protocol._signing import SIGNATURE_HEADER

__all__ = ["MAX_TIMEOUTS", "FuzzFailure", "FuzzReport", "printed_body"]

#: Timed-out calls a phase makes before it stops calling the target.
MAX_TIMEOUTS = 5
_PRINTED_LINES = 30
_PRINTED_CHARS = 2000


@dataclass
class FuzzFailure:
    """One distinct failure: the shrunk exchange, its phase, and the saved body."""

    exchange: Exchange
    phase: str
    saved: Path | None = None
    #: For a failing conversation: the shortest one, as a conversation file document,
    #: and its transcript up to the failing turn.
    conversation: str | None = None
    transcript: str | None = None

    @property
    def code(self) -> str:
        return next(f.code for f in self.exchange.findings if f.severity == "error")


@dataclass
class FuzzReport:
    """The result of a fuzz run: every distinct failure, shrunk."""

    target: str
    #: The secret as reports show it (``2fb7…(40 chars)``), or "none".
    redacted_secret: str
    seed: int | None
    examples: int
    elapsed: float
    failures: list[FuzzFailure] = field(default_factory=list)
    #: Calls made in each phase.
    phases: dict[str, int] = field(default_factory=dict)
    #: Phases that stopped calling the target after too many timeouts.
    gave_up: list[str] = field(default_factory=list)
    #: What the survey before the run found (``BW108``, ``BW110``): each said once.
    run_findings: list[Finding] = field(default_factory=list)
    #: What was not fuzzed, and why.
    notes: list[str] = field(default_factory=list)
    #: The bot model in use, and what the header says about it.
    model: str = ""
    model_notes: list[str] = field(default_factory=list)
    #: Where an in-process app was called, and how that path was found.
    path: str = ""
    #: The file findings belong to when no traceback says more (the handler's module
    #: or the model file), for SARIF and baselines.
    source: str = ""
    #: Failures and findings left out because a baseline accepted them.
    baselined: int = 0
    #: Which cells of the bot model the run exercised (``--coverage``).
    coverage: ProtocolCoverage | None = None
    #: Which lines and branches of the handler the run reached (``--code-coverage``).
    code_coverage: HandlerCoverage | None = None
    #: With ``guided``: the call of the valid phase that first failed, or None.
    guided_first_failure: int | None = None

    @property
    def first_failure(self) -> FuzzFailure | None:
        """The first failure (valid-payload failures come first), or None."""
        return self.failures[0] if self.failures else None

    @property
    def findings(self) -> list[Finding]:
        """The survey's findings, then each failure's errors."""
        failing = (f for x in self.failures for f in x.exchange.findings if f.severity == "error")
        return [*self.run_findings, *failing]

    def located(self) -> list[Located]:
        """Each finding with its place, as for a check's report."""
        from harness.checks._sarif import located, module_place

        return located(self.findings, module_place(self.source))

    @property
    def ok(self) -> bool:
        return not self.failures and not any(f.severity == "error" for f in self.run_findings)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when nothing failed (the survey's warnings fail only when ``strict``)."""
        warned = strict and any(f.severity == "warning" for f in self.run_findings)
        return 0 if self.ok and not warned else 1

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str:  # fmt: skip
        """The run as ``text`` (each failure, shrunk, with its reproducer), ``json``
        or ``junit`` XML (a case per phase; the survey's warnings fail with ``strict``)."""
        format = require_format(format)
        if format == "json":
            return self._json()
        if format == "junit":
            return self._junit(strict=strict)
        if format == "sarif":
            from harness.checks._sarif import render_sarif

            return render_sarif("fuzz", self.located())
        if format == "html":
            from harness.checks._html import findings_section, html_page

            header = [("target", self.target), ("path", self.path), ("model", self.model),
                      ("seed", str(self.seed)), ("secret", self.redacted_secret)]  # fmt: skip
            words = f"{self.examples} examples, {len(self.failures)} distinct failure(s)"
            notes = "".join(f"<p>{escape(n)}</p>" for n in [*self.model_notes, *self.notes])
            return html_page("botwebhook fuzz", header, (self.ok, words),
                             [notes, findings_section(self.findings)])  # fmt: skip
        return self._text()

    def _json(self) -> str:
        """The run in the JSON envelope every command shares
        (``docs/schema/fuzz.schema.json``): one result per distinct failure."""
        from harness.checks._envelope import envelope

        summary = {"ok": self.ok, "examples": self.examples, "phases": self.phases,
                   "failures": len(self.failures), "gave_up": self.gave_up,
                   "seconds": round(self.elapsed, 3)}  # fmt: skip
        failures = [
            {
                "phase": failure.phase,
                "scenario": failure.exchange.scenario,
                "code": failure.code,
                "codes": [f.code for f in failure.exchange.findings],
                "body": failure.exchange.sent.body.decode("utf-8", "replace"),
                "saved": str(failure.saved) if failure.saved else None,
                "conversation": failure.conversation,
                "reproduce": failure.exchange.reproduce(),
                "output": failure.exchange.output,
            }
            for failure in self.failures
        ]
        findings = self.findings
        return envelope(
            "fuzz", target=self.target, path=self.path, model=self.model, seed=self.seed,
            secret=self.redacted_secret, summary=summary, results=failures,
            findings=[f.as_dict() for f in findings], notes=[*self.model_notes, *self.notes],
            coverage=self.coverage.as_dict() if self.coverage else None,
            code_coverage=self.code_coverage,
        )  # fmt: skip

    def _junit(self, *, strict: bool) -> str:
        from harness.checks._junit import Case, junit_xml

        cases = []
        for f in self.run_findings:
            text = "\n".join(f.described())
            failed = f.severity == "error" or strict
            detail = (f.code if failed else "warning", f"{f.code} {f.severity}: {f.title}", text)
            cases.append(Case(f"survey: {f.scenario}", failure=detail if failed else None,
                              skipped=None if failed else detail))  # fmt: skip
        for phase, calls in self.phases.items():
            failed_here = [f for f in self.failures if f.phase == phase]
            if not failed_here:
                cases.append(Case(f"{phase} phase ({calls} calls)"))
                continue
            first = failed_here[0]
            text = "\n\n".join("\n".join(self._failure(n, f))
                                for n, f in enumerate(failed_here, 1))  # fmt: skip
            message = "; ".join(f"{f.code} {f.exchange.scenario}" for f in failed_here)
            cases.append(Case(f"{phase} phase ({calls} calls)",
                              failure=(first.code, message, text)))  # fmt: skip
        properties = [("target", self.target), ("path", self.path), ("model", self.model),
                      ("seed", str(self.seed)), ("secret", self.redacted_secret)]  # fmt: skip
        return junit_xml("fuzz", cases, time=self.elapsed, properties=properties)

    def _text(self) -> str:
        seed = self.seed if self.seed is not None else "random"
        phases = ", ".join(f"{count} {name}" for name, count in self.phases.items())
        head = (
            f"botwebhook fuzz: {self.target} (secret {self.redacted_secret}, seed {seed}): "
            f"{self.examples} examples ({phases}) in {self.elapsed:.2f}s"
        )
        from harness.checks._report import header_lines, run_finding_lines

        lines = [head, *header_lines(self.path, self.model, self.model_notes)]
        lines.extend(run_finding_lines(self.run_findings))
        lines.extend(f"note: {note}" for note in self.notes)
        for phase in self.gave_up:
            lines.append(
                f"the {phase} phase stopped calling the target after {MAX_TIMEOUTS} timed-out "
                "calls: the handler is too slow for the platform"
            )
        if not self.failures:
            lines.append(
                "no failure: every call was answered as the platform expects"
                if self.ok
                else "no failure in the calls fuzzed"
            )
            return "\n".join(lines)
        count = len(self.failures)
        lines.append(
            f"{count} distinct failure{'s' * (count != 1)}, each shrunk to its simplest call"
        )
        for number, failure in enumerate(self.failures, 1):
            lines += ["", *self._failure(number, failure)]
        return "\n".join(lines)

    def _failure(self, number: int, failure: FuzzFailure) -> list[str]:
        exchange = failure.exchange
        lines = [f"{number}. FAILED in the {failure.phase} phase ({exchange.scenario}):"]
        if failure.transcript:
            lines.append("  the conversation, shrunk to the shortest that fails:")
            lines.extend(f"  {line}" for line in failure.transcript.splitlines())
        for finding in exchange.findings:
            if finding.severity == "error":
                first, *rest = finding.described()
                lines.append(f"  {first}")
                lines.extend(f"    {line}" for line in rest)
        signature = exchange.sent.headers.get(SIGNATURE_HEADER)
        lines.append(f"  signature: {signature or 'none'}")
        lines.append(f"  payload ({len(exchange.sent.body)} bytes):")
        lines.extend(f"    {line}" for line in printed_body(exchange.sent.body))
        if failure.conversation:
            lines.append("  as a conversation file document (ready to save):")
            lines.extend(f"    {line}" for line in failure.conversation.splitlines())
        if failure.saved is not None:
            what = "the conversation" if failure.conversation else "the exact body"
            lines.append(f"  saved {what} to {failure.saved}")
        lines.append(f"  reproduce with:\n    {_clip(exchange.reproduce(), 4 * _PRINTED_CHARS)}")
        if exchange.output:
            lines.append("  the handler's output:")
            lines.extend(f"    | {line}" for line in clip_lines(exchange.output, lines=20))
        return lines

    def assert_ok(self, *, strict: bool = False) -> None:
        """Raise AssertionError with every shrunk failure, if there is one, and for the
        survey's error findings (its warnings too when ``strict``)."""
        __tracebackhide__ = True
        warned = strict and any(f.severity == "warning" for f in self.run_findings)
        if not self.ok or warned:
            raise AssertionError(self._text())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def printed_body(body: bytes) -> list[str]:
    """A body as at most 30 readable lines and 2,000 characters: pretty JSON when it
    parses, else its repr; what is cut is said (the saved file has the exact bytes)."""
    try:
        text = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):
        text = repr(body[:_PRINTED_CHARS])
    rows = [_clip(row, 200) for row in _clip(text, _PRINTED_CHARS).splitlines()]
    if len(rows) > _PRINTED_LINES:
        cut = len(rows) - _PRINTED_LINES
        rows = [*rows[:_PRINTED_LINES], f"... ({cut} more lines)"]
    return rows
