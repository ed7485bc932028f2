"""Render a check :class:`Report` as readable text, JSON, or JUnit XML."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checks._envelope import envelope
from harness.checks._junit import Case, junit_xml
from harness.delivery._exchange import Exchange, clip_lines
from harness.delivery._findings import CODES, Finding

if TYPE_CHECKING:
    from harness.checks._result import Report

__all__ = ["render_json", "render_junit", "render_text", "summary_line"]

_SHOWN_PER_CODE = 3


def summary_line(report: Report) -> str:
    errors, warnings = report.errors, report.warnings
    ignored = f", ignoring {', '.join(sorted(report.ignored))}" if report.ignored else ""
    skipped = f", {report.not_run} not sent" if report.not_run else ""
    return (
        f"{len(report.exchanges)} requests{skipped}, {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)} in {report.elapsed:.2f}s{ignored}"
    )


def render_text(report: Report, *, verbose: bool = False) -> str:
    """Findings grouped by code, each with evidence, hint and a reproduce command."""
    lines = [
        f"botwebhook check: {report.target} (secret {report.redacted_secret}, seed {report.seed})",
        *header_lines(report.path, report.model, report.model_notes),
        "",
    ]
    if report.stopped:
        lines += [f"stopped early: {report.stopped}", ""]
    if report.interrupted:
        lines += [f"interrupted: {report.not_run} scenarios were not sent (Ctrl-C)", ""]
    for (code, severity), findings in _grouped(report).items():
        info = CODES[code]
        scenarios = sorted({f.scenario for f in findings})
        unit = {"BW110": "intent", "BW108": "target"}.get(code, "scenario")
        many = "s" * (len(scenarios) != 1)
        lines.append(f"{code} {severity}: {info.title} ({len(scenarios)} {unit}{many})")
        shown = findings if verbose else findings[:_SHOWN_PER_CODE]
        for number, finding in enumerate(shown):
            lines.append(f"  {finding.scenario}: {finding.evidence}")
            if finding.output and (verbose or number == 0):
                lines.append("    the handler's output:")
                rows = finding.output.rstrip("\n").splitlines() if verbose else None
                lines.extend(f"    | {row}" for row in rows or clip_lines(finding.output, lines=12))
        if len(findings) > len(shown):
            rest = sorted({f.scenario for f in findings[len(shown) :]})
            more = ", ".join(rest[:6]) + (", ..." if len(rest) > 6 else "")
            lines.append(f"  ... and {len(findings) - len(shown)} more: {more}")
        lines.extend(f"  hint: {hint}" for hint in dict.fromkeys(f.hint for f in shown))
        if findings[0].reproduce:
            lines.append(f"  reproduce {findings[0].scenario} with:")
            lines.append(f"    {findings[0].reproduce}")
        lines.append(f"  more: {findings[0].about}")
        lines.append("")
    for advice in report.advice:
        lines.append(f"advice: {advice}")
    for note in report.notes:
        lines.append(f"note: {note}")
    if report.advice or report.notes:
        lines.append("")
    if not report.findings:
        lines.append(
            "no findings in the scenarios sent"
            if report.not_run
            else "no findings: the platform would accept every answer as intended"
        )
    lines.append(summary_line(report))
    return "\n".join(lines)


def header_lines(path: str, model: str, notes: list[str]) -> list[str]:
    """The lines under a report's first: where an app was called, and the bot model in
    use, with what the user should know about it."""
    lines = [f"  at POST {path}"] if path else []
    if model:
        lines.append(f"  model: {model}")
    lines.extend(f"  note: {note}" for note in notes)
    return lines


def run_finding_lines(findings: list[Finding]) -> list[str]:
    """Run-level findings (``BW108``, ``BW110``) in a few lines: by code and severity,
    each finding's evidence on its own line, the hint once."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.severity != "error", f.code)):
        groups.setdefault((finding.code, finding.severity), []).append(finding)
    lines = []
    for (code, severity), found in groups.items():
        unit = "intent" if code == "BW110" else "target"
        many = "s" * (len(found) != 1)
        lines.append(f"{code} {severity}: {CODES[code].title} ({len(found)} {unit}{many})")
        lines.extend(f"  {f.evidence}" for f in found)
        lines.extend(f"  hint: {hint}" for hint in dict.fromkeys(f.hint for f in found))
        lines.append(f"  more: {found[0].about}")
    return lines


def _grouped(report: Report) -> dict[tuple[str, str], list[Finding]]:
    """Findings by code and severity (a code's findings can differ in severity: BW402
    over plain http is a warning), errors first."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(report.findings, key=lambda f: (f.severity != "error", f.code)):
        grouped.setdefault((finding.code, finding.severity), []).append(finding)
    return grouped


def render_json(report: Report) -> str:
    """The report in the JSON envelope every command shares (``docs/schema/check.schema.json``):
    the summary with the advice, one result per scenario (status, failure, outcome,
    codes and the handler's output) and every finding."""
    summary = {
        "ok": report.ok, "requests": len(report.exchanges), "errors": report.errors,
        "warnings": report.warnings, "seconds": round(report.elapsed, 3),
        "ignored": sorted(report.ignored), "not_sent": report.not_run,
        "stopped": report.stopped, "interrupted": report.interrupted,
        "workers": report.workers, "advice": report.advice,
    }  # fmt: skip
    scenarios = [
        {
            "id": e.scenario,
            "variant": e.variant,
            "status": e.received.status if e.received else None,
            "failure": e.delivery.failure,
            "outcome": e.outcome.describe(),
            "codes": [f.code for f in e.findings if f.code not in report.ignored],
            "covered_by": e.covered_by,
            "output": e.output,
        }
        for e in report.exchanges
    ]
    return envelope(
        "check", target=report.target, path=report.path, model=report.model, seed=report.seed,
        secret=report.redacted_secret, summary=summary, results=scenarios,
        findings=[f.as_dict() for f in report.findings],
        notes=[*report.model_notes, *report.notes],
        coverage=report.coverage.as_dict() if report.coverage else None,
        code_coverage=report.code_coverage,
    )  # fmt: skip


def render_junit(report: Report, *, strict: bool = False) -> str:
    """One case per scenario, and one per run-level finding (``BW108``, ``BW110``)
    whose covered scenarios are skipped; errors (and warnings with ``strict``) fail a
    case, a warning otherwise skips it with its codes (see ``_junit``).  The suite's
    properties name the target, path, model, seed and the redacted secret."""
    cases = []
    for finding in report.run_findings:
        if finding.code in report.ignored:
            cases.append(Case(finding.scenario))
            continue
        text = "\n".join(finding.described())
        if finding.severity == "error" or strict:
            cases.append(Case(finding.scenario, failure=(finding.code, finding.title, text)))
        else:
            cases.append(Case(finding.scenario, skipped=("warning", _named([finding]), text)))
    for exchange in report.exchanges:
        cases.append(_scenario_case(exchange, report.ignored, strict))
    properties = [("target", report.target), ("path", report.path), ("model", report.model),
                  ("seed", str(report.seed)), ("secret", report.redacted_secret),
                  *(("model_note", note) for note in report.model_notes)]  # fmt: skip
    return junit_xml("check", cases, time=report.elapsed, properties=properties)


def _named(findings: list[Finding]) -> str:
    return "; ".join(f"{f.code} {f.severity}: {f.title}" for f in findings)


def _scenario_case(exchange: Exchange, ignored: frozenset[str], strict: bool) -> Case:
    time = exchange.delivery.elapsed
    if exchange.covered_by and not exchange.findings:
        return Case(exchange.scenario, time, skipped=("covered", f"covered by "
                                                      f"{exchange.covered_by}", ""))  # fmt: skip
    findings = [f for f in exchange.findings if f.code not in ignored]
    failing = [f for f in findings if f.severity == "error" or strict]
    warnings = [f for f in findings if f not in failing]
    noted = "\n".join(f.in_one_line() for f in warnings)
    if not failing:
        skip = ("warning", _named(warnings), noted) if warnings else None
        return Case(exchange.scenario, time, skipped=skip)
    text = "\n".join("\n".join(f.described()) for f in failing)
    failure = (failing[0].code, "; ".join(f"{f.code} {f.title}" for f in failing),
               f"{text}\nreproduce with:\n{failing[0].reproduce}")  # fmt: skip
    return Case(exchange.scenario, time, failure=failure, out=noted, err=exchange.output)
