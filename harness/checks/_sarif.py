"""SARIF 2.1.0 for GitHub code scanning and other readers, and the fingerprint of a
finding that SARIF and baselines share.

One rule per finding code (its title, hint and page), one result per finding.  A result
points at the handler's own file and line when the traceback gives one (an
in-process handler that crashed), else at the place the command knows the
finding by: the conversation file and turn, the cassette line, the handler's
module or the model file.  Paths inside the working folder are relative, under
``%SRCROOT%``, as GitHub's upload asks; the curl reproducer is in the result's
properties.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from harness._version import __version__
from harness.delivery._explained import explain
from harness.delivery._findings import CODES, Finding, docs_url, relative_path

__all__ = [
    "Located",
    "fingerprint",
    "located",
    "module_place",
    "render_sarif",
    "source_of",
    "workflow_commands",
]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: A finding and where it is: (file, line), or None when nothing says.
Located = tuple[Finding, tuple[str, int] | None]


def fingerprint(finding: Finding, where: tuple[str, int] | None, root: Path | None = None) -> str:
    """A finding's stable identity across runs: its code, the kind of scenario
    (``contract``, ``signature``…), the intent and where it is; never a timestamp,
    a seed, a value or an id that changes from run to run."""
    kind = finding.scenario.split("[", 1)[0]
    intent = finding.variant.split("-", 1)[0] if finding.variant else ""
    place = f"{relative_path(where[0], root)}:{where[1]}" if where else ""
    text = "\x1f".join((finding.code, kind, intent, place))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def source_of(target: Any, model: Any) -> str:
    """The file a run's findings belong to when no traceback says more: an in-process
    handler's module, else the model file; empty when there is neither."""
    source = getattr(target, "source_file", None)
    if source:
        return str(source)
    path = getattr(model, "source", "") or ""
    return path if path and Path(path).is_file() else ""


def module_place(source: str) -> tuple[str, int] | None:
    """The place of a finding no traceback placed: the first line of ``source`` (the
    handler's module or the model file, see :func:`source_of`), if there is one."""
    return (source, 1) if source else None


def located(findings: Sequence[Finding], place: tuple[str, int] | None) -> list[Located]:
    """Each finding with its place: where the handler raised it, else ``place``."""
    return [(f, f.location or place) for f in findings]


def _rule(code: str) -> dict[str, Any]:
    """A code as a SARIF rule: its help is the code's page in text (what ``botwebhook
    explain`` prints), and ``helpUri`` the page on the site when its address is known."""
    spec = CODES[code]
    name = "".join(word.capitalize() for word in spec.title.replace("-", " ").split()[:8])
    page = explain(code, width=10_000)
    rule = {
        "id": code,
        "name": "".join(ch for ch in name if ch.isalnum()),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": f"{spec.title}. {spec.hint}"},
        "help": {"text": page, "markdown": page.replace(f"{code} ", f"**{code}** ", 1)},
        "defaultConfiguration": {"level": spec.severity},
        "properties": {"tags": ["webhook", "chatbot"], "precision": "very-high"},
    }
    url = docs_url(code)
    if url and urlsplit(url).scheme:  # SARIF wants an absolute URI here
        rule["helpUri"] = url
    return rule


def render_sarif(command: str, items: Sequence[Located], *, root: Path | None = None) -> str:
    """The located findings of one ``botwebhook <command>`` run as a SARIF 2.1.0 log."""
    base = (root or Path.cwd()).resolve()
    codes = list(CODES)
    results = []
    for finding, where in items:
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": codes.index(finding.code),
            "level": finding.severity,
            "message": {"text": f"{finding.title}: {finding.evidence}"},
            "partialFingerprints": {"botwebhookFinding/v1": fingerprint(finding, where, base)},
            "properties": {
                "scenario": finding.scenario,
                "variant": finding.variant,
                "hint": finding.hint,
                "reproduce": finding.reproduce,
            },
        }
        location = _location(where, base) if where is not None else None
        if location is not None:
            result["locations"] = [location]
        results.append(result)
    run = {
        "tool": {
            "driver": {
                "name": "botwebhook",
                "version": __version__,
                "semanticVersion": __version__.split(".dev")[0],
                "rules": [_rule(code) for code in codes],
            }
        },
        "automationDetails": {"id": f"botwebhook/{command}/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
        "results": results,
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, ensure_ascii=False, indent=2)


def _location(where: tuple[str, int], base: Path) -> dict[str, Any] | None:
    path, line = where
    if not Path(path).is_file():  # "<stdin>", "<string>": no file to point at
        return None
    shown = relative_path(path, base)
    if Path(shown).is_absolute():  # outside the working folder: an absolute file URI
        artifact = {"uri": Path(shown).as_uri()}
    else:
        artifact = {"uri": quote(shown, safe="/"), "uriBaseId": "%SRCROOT%"}
    region = {"startLine": max(1, line)}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _escaped(text: str, *, property: bool = False) -> str:
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if property else out


def workflow_commands(items: Sequence[Located], root: Path | None = None) -> list[str]:
    """GitHub Actions workflow commands, ``::error file=…,line=…,title=BW401::…``: one
    per distinct finding (by fingerprint), at the handler's line when it is known."""
    seen: set[str] = set()
    lines = []
    for finding, where in items:
        key = fingerprint(finding, where, root)
        if key in seen:
            continue
        seen.add(key)
        parts = []
        if where is not None and Path(where[0]).is_file():
            parts.append(f"file={_escaped(relative_path(where[0], root), property=True)}")
            parts.append(f"line={max(1, where[1])}")
        parts.append(f"title={_escaped(f'{finding.code} {finding.title}', property=True)}")
        message = f"{finding.evidence}\nhint: {finding.hint}"
        lines.append(f"::{finding.severity} {','.join(parts)}::{_escaped(message)}")
    return lines
