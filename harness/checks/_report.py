"""Render a check :class:`Report` as readable text, JSON, or JUnit XML."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from harness.delivery._exchange import clip_lines
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
    return lines


def _grouped(report: Report) -> dict[tuple[str, str], list[Finding]]:
    """Findings by code and severity (a code's findings can differ in severity: BW402
    over plain http is a warning), errors first."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(report.findings, key=lambda f: (f.severity != "error", f.code)):
        grouped.setdefault((finding.code, finding.severity), []).append(finding)
    return grouped


def render_json(report: Report) -> str:
    """The report as JSON: a summary, the advice and notes, every finding, and one
    entry per scenario (status, failure, outcome, codes and the handler's output)."""
    data: dict[str, Any] = {
        "target": report.target,
        "path": report.path or None,
        "model": report.model,
        "model_notes": report.model_notes,
        "secret": report.redacted_secret,
        "seed": report.seed,
        "summary": {
            "requests": len(report.exchanges),
            "errors": report.errors,
            "warnings": report.warnings,
            "seconds": round(report.elapsed, 3),
            "ignored": sorted(report.ignored),
            "not_sent": report.not_run,
            "stopped": report.stopped,
            "interrupted": report.interrupted,
            "workers": report.workers,
        },
        "advice": report.advice,
        "notes": report.notes,
        "findings": [f.as_dict() for f in report.findings],
        "scenarios": [
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
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (from bodies in the evidence) shown
    as \\xNN escapes instead of making the report unreadable."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_junit(report: Report, *, strict: bool = False) -> str:
    """One test case per scenario, and one per run-level finding (``BW108``, ``BW110``)
    whose covered scenarios are skipped; errors (and warnings with ``strict``) fail a
    case.  The suite's properties name the target, path, model and seed."""
    suite = ET.Element(
        "testsuite",
        name="botwebhook",
        tests=str(len(report.exchanges) + len(report.run_findings)),
        failures="0",
        time=f"{report.elapsed:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", report.target),
        ("path", report.path),
        ("model", report.model),
        ("seed", str(report.seed)),
        ("secret", report.redacted_secret),
        *(("model_note", note) for note in report.model_notes),
    ):
        if value:
            ET.SubElement(properties, "property", name=name, value=xml_text(value))
    failures = 0
    for finding in report.run_findings:
        case = ET.SubElement(
            suite, "testcase", classname=f"botwebhook.{report.target}", name=finding.scenario
        )
        if finding.code in report.ignored:
            continue
        text = xml_text(f"{finding.code} {finding.title}\n{finding.evidence}\nhint: {finding.hint}")
        if finding.severity == "error" or strict:
            failures += 1
            failed = ET.SubElement(case, "failure", message=xml_text(finding.title),
                                   type=finding.code)  # fmt: skip
            failed.text = text
        else:
            ET.SubElement(case, "system-out").text = text
    for exchange in report.exchanges:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"botwebhook.{report.target}",
            name=exchange.scenario,
            time=f"{exchange.delivery.elapsed:.4f}",
        )
        if exchange.covered_by and not exchange.findings:
            ET.SubElement(case, "skipped", message=xml_text(f"covered by {exchange.covered_by}"))
            continue
        findings = [f for f in exchange.findings if f.code not in report.ignored]
        failing = [f for f in findings if f.severity == "error" or strict]
        if failing:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=xml_text("; ".join(f"{f.code} {f.title}" for f in failing)),
                type=failing[0].code,
            )
            failure.text = xml_text(
                "\n".join(f"{f.code} {f.title}\n{f.evidence}\nhint: {f.hint}" for f in failing)
                + f"\nreproduce with:\n{failing[0].reproduce}"
            )
        warnings = [f for f in findings if f not in failing]
        if warnings:
            out = ET.SubElement(case, "system-out")
            out.text = xml_text("\n".join(f"{f.code} {f.title}: {f.evidence}" for f in warnings))
        if exchange.output and failing:
            ET.SubElement(case, "system-err").text = xml_text(exchange.output)
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
