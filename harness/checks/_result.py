"""What a run returns: the :class:`Result` protocol every run's result follows, a
check's :class:`Report`, and the advice a pattern of findings points to (a wrong
secret, an unsigned endpoint, a handler written for other intents, a certificate
the platform would not trust)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Literal, Protocol, get_args, runtime_checkable

from harness._errors import BotWebhookValueError
from harness.checks._code_report import HandlerCoverage
from harness.checks._coverage import ProtocolCoverage
from harness.checks._runner import DEFAULT_WORKERS
from harness.checks._sarif import Located, located, module_place
from harness.delivery._call_findings import rejected_signature
from harness.delivery._exchange import Exchange
from harness.delivery._findings import Finding
from harness.delivery._hints import HTTP_UNSIGNED
from harness.delivery._transport import Target
from harness.protocol._signing import Secret

__all__ = ["FORMATS", "Format", "Report", "Result", "advice_for", "require_format"]

#: How a result is written: readable text, JSON, JUnit XML or SARIF 2.1.0.
Format = Literal["text", "json", "junit", "sarif", "html"]
FORMATS: tuple[Format, ...] = get_args(Format)


@runtime_checkable
class Result(Protocol):
    """What every run returns, read one way: a check's :class:`Report`, a
    ``FuzzReport``, a ``ConversationRun``, a ``ReplayRun`` and the load summary.

    ``ok`` is True when nothing failed; ``exit_code`` is what the command exits
    with (warnings fail only when ``strict``); ``render`` writes the result as
    ``text`` (``verbose`` shows what passed too), ``json`` or ``junit`` XML."""

    @property
    def ok(self) -> bool: ...

    def exit_code(self, *, strict: bool = False) -> int: ...

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str: ...  # fmt: skip


def require_format(format: object) -> Format:
    """``format`` when it is one a result is written in, else our error naming it."""
    if format not in FORMATS:
        raise BotWebhookValueError(
            f"format={format!r} is not a format results are written in "
            "(hint: 'text', 'json', 'junit', 'sarif' or 'html')"
        )
    return format


@dataclass
class Report:
    """What a check found: every exchange, the findings (minus ignored codes),
    and advice when a pattern points at one cause."""

    target: str
    #: The secret as reports show it (``2fb7…(40 chars)``), or "none".
    redacted_secret: str
    seed: int
    exchanges: list[Exchange]
    ignored: frozenset[str] = frozenset()
    elapsed: float = 0.0
    advice: list[str] = field(default_factory=list)
    #: Scenarios of the matrix that were not sent (an early stop or Ctrl-C).
    not_run: int = 0
    #: Why the run stopped early, when the target was not answering.
    stopped: str | None = None
    #: Ctrl-C ended the run: the report holds the scenarios done until then.
    interrupted: bool = False
    #: What was not checked, and why (probes skipped for want of a secret).
    notes: list[str] = field(default_factory=list)
    workers: int = DEFAULT_WORKERS
    #: Findings about the run as a whole (``BW108`` no webhook at this path, ``BW110``
    #: an intent not served), each standing for the calls it covers.
    run_findings: list[Finding] = field(default_factory=list)
    #: The bot model in use, as the header names it ("the built-in catalogue (12 intents)").
    model: str = ""
    #: What the header says about the model (a model file found but not used).
    model_notes: list[str] = field(default_factory=list)
    #: Where an in-process app was called (``/getWeather``) and how that path was found.
    path: str = ""
    #: The file findings belong to when no traceback says more (the handler's module
    #: or the model file), for SARIF and baselines.
    source: str = ""
    #: Findings left out because a baseline accepted them.
    baselined: int = 0
    #: Which cells of the bot model the run exercised (``--coverage``).
    coverage: ProtocolCoverage | None = None
    #: Which lines and branches of the handler the run reached (``--code-coverage``).
    code_coverage: HandlerCoverage | None = None

    @property
    def findings(self) -> list[Finding]:
        found = [*self.run_findings, *(f for e in self.exchanges for f in e.findings)]
        return [f for f in found if f.code not in self.ignored]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when nothing fails (warnings fail only when ``strict``), else 1."""
        return 1 if self.errors or (strict and self.warnings) else 0

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str:  # fmt: skip
        """The report as ``text`` (findings grouped by code; ``verbose`` adds every
        scenario), ``json`` or ``junit`` XML (warnings fail cases when ``strict``)."""
        from harness.checks._report import render_json, render_junit, render_text

        format = require_format(format)
        if format == "json":
            return render_json(self)
        if format == "junit":
            return render_junit(self, strict=strict)
        if format == "sarif":
            from harness.checks._sarif import render_sarif

            return render_sarif("check", self.located())
        if format == "html":
            return self._html()
        return render_text(self, verbose=verbose)

    def _html(self) -> str:
        from harness.checks._html import findings_section, html_page, table_section
        from harness.checks._report import summary_line

        header = [("target", self.target), ("path", self.path), ("model", self.model),
                  ("seed", str(self.seed)), ("secret", self.redacted_secret)]  # fmt: skip
        rows = [
            (e.scenario, e.variant, e.received.status if e.received else "no answer",
             ", ".join(f.code for f in e.findings) or "ok")
            for e in self.exchanges
        ]  # fmt: skip
        notes = "".join(f"<p>{escape(n)}</p>" for n in [*self.advice, *self.notes])
        sections = [
            notes,
            findings_section(self.findings),
            table_section("Scenarios", ("scenario", "variant", "status", "codes"), rows),
        ]
        return html_page("botwebhook check", header, (self.ok, summary_line(self)), sections)

    def located(self) -> list[Located]:
        """Each finding with its place: where the handler raised it, else the file
        the run's findings belong to (the handler's module or the model file)."""
        return located(self.findings, module_place(self.source))

    def by_code(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in sorted(self.findings, key=lambda f: f.code):
            grouped.setdefault(finding.code, []).append(finding)
        return grouped

    def assert_ok(self, *, strict: bool = False) -> None:
        """Raise AssertionError with every failing scenario's findings, unless
        nothing fails (errors always; warnings only when ``strict``)."""
        __tracebackhide__ = True
        failing = [
            f
            for f in self.run_findings
            if f.code not in self.ignored and (strict or f.severity == "error")
        ]
        run_level = [f"{f.scenario}: " + "\n    ".join(f.described()) for f in failing]
        reports = (e.failure_report(strict=strict, ignored=self.ignored) for e in self.exchanges)
        failed = [*run_level, *(text for text in reports if text is not None)]
        if failed:
            head = f"{len(failed)} of {len(self.exchanges)} scenarios failed against {self.target}"
            stopped = [f"stopped early: {self.stopped}"] if self.stopped else []
            raise AssertionError("\n\n".join([head, *failed, *stopped, *self.advice]))


def advice_for(
    report: Report, signing: bool, secret: Secret | None, builtin: bool, target: Target
) -> list[str]:
    """Advice when a pattern of the valid payloads' answers points at one cause."""
    contract = [e for e in report.exchanges if e.expect == "contract"]
    if not contract:
        return []
    if report.stopped:
        return [_why_stopped(contract, target)]
    advice = []
    answered = [e for e in contract if e.delivery.failure is None]
    rejected = [e for e in contract if e.received is not None and rejected_signature(e.received)]
    if signing and len(rejected) == len(contract):
        how = (
            "pass the bot's secret with --secret S or $BOTWEBHOOK_SECRET"
            if secret is None
            else "check that --secret is the secret this handler verifies with, and that it "
            "computes the HMAC over the raw body bytes (re-serialized JSON differs)"
        )
        advice.append(
            f"every signed request was rejected ({rejected[0].received.status}): the secret "  # type: ignore[union-attr]
            f"is probably wrong; {how}"
        )
    elif not signing and len(rejected) == len(contract):
        advice.append(f"every request was refused, and none was signed: {HTTP_UNSIGNED}")
    elif builtin and answered and not report.run_findings and all(not e.ok for e in contract):
        advice.append(
            "the handler failed on every payload of the built-in catalogue: it is probably "
            "written for its own intents; name them with --intent NAME, or declare them in "
            "pyproject.toml [tool.botwebhook] or botwebhook.toml and pass --model FILE (see "
            "'Declare your bot' in docs/manual/payloads.md)"
        )
    if target.in_process is False and not answered:
        advice.append(f"no request reached {target.name}: {contract[0].delivery.failure}")
    timed_out = [e for e in contract if e.delivery.timed_out]
    if timed_out and report.workers > 1 and len(timed_out) < len(contract):
        advice.append(
            f"{len(timed_out)} calls passed the read timeout while up to {report.workers} "
            "calls were in flight; a server that handles one request at a time queues them, "
            "so confirm with --workers 1 (workers=1) before blaming the handler"
        )
    return advice


def _why_stopped(contract: list[Exchange], target: Target) -> str:
    first = contract[0].delivery.failure or ""
    if any(e.delivery.timed_out for e in contract):
        why = "each call is abandoned at the read timeout, as the platform gives up on it"
    elif "CERTIFICATE_VERIFY_FAILED" in first or "TLS handshake failed" in first:
        why = (
            f"the TLS handshake with {target.name} failed ({first}): a self-signed or private "
            "certificate? trust its CA with --ca-bundle FILE (the platform would refuse it "
            "too), or skip verification for a staging endpoint with --insecure"
        )
    elif not target.in_process:
        why = f"no request reached {target.name} ({first}): check that it is running"
    else:
        why = f"every call failed ({first})"
    return f"{why}; pass --keep-going (keep_going=True) to send every scenario anyway"
