"""An HTML report: one self-contained file for people who would rather look than read.

Everything is inline (styles, the one script that copies a reproducer), and the
page names no other resource, so it opens from a CI artifact with no network.
Findings are grouped by code, then by intent, each with its evidence, hint, the
handler's captured output and the curl reproducer; conversations show as a chat,
the user's and the bot's bubbles, with the webhook calls and their findings beside
each turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from harness._version import __version__
from harness.delivery._findings import CODES, Finding, docs_url, relative_path

__all__ = ["Turnish", "chat_section", "findings_section", "html_page", "table_section"]

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d232b;background:#f5f6f8}
header{background:#17324d;color:#fff;padding:18px 28px}
header h1{margin:0 0 8px;font-size:22px}
header table td{padding:1px 14px 1px 0;color:#dfe7ef}
header .verdict{font-weight:600;font-size:17px}
main{padding:18px 28px;max-width:1100px}
h2{font-size:18px;margin:26px 0 10px}
.code{border:1px solid #d7dbe0;border-radius:8px;background:#fff;margin:12px 0}
.code>summary{padding:10px 14px;cursor:pointer;font-weight:600}
.error>summary{border-left:6px solid #c62828}
.warning>summary{border-left:6px solid #ef8f00}
.intent{margin:0 14px 12px}
.finding{border-top:1px solid #eceef1;padding:8px 0}
.hint{color:#31526f}
pre{background:#0f1720;color:#e7edf3;padding:10px;border-radius:6px;overflow-x:auto;
white-space:pre-wrap;word-break:break-all;font-size:12.5px}
button.copy{float:right;margin:4px;font-size:12px}
.chat{border:1px solid #d7dbe0;border-radius:8px;background:#fff;margin:12px 0;padding:8px 14px}
.turn{display:grid;grid-template-columns:1fr 1fr;gap:14px;border-top:1px solid #eceef1;
padding:8px 0}
.bubble{border-radius:14px;padding:7px 12px;margin:3px 0;max-width:90%}
.user{background:#1f6feb;color:#fff;margin-left:auto}
.bot{background:#e8ebef}
.calls{font-size:13px}
.ok{color:#2e7d32}.fail{color:#c62828}
table.grid{border-collapse:collapse;background:#fff}
table.grid td,table.grid th{border:1px solid #d7dbe0;padding:4px 8px;text-align:left}
"""
_SCRIPT = """
for (const button of document.querySelectorAll('button.copy')) {
  button.addEventListener('click', () => {
    const text = button.nextElementSibling.textContent;
    navigator.clipboard.writeText(text).then(() => { button.textContent = 'copied'; });
  });
}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def html_page(
    title: str,
    header: Sequence[tuple[str, str]],
    verdict: tuple[bool, str],
    sections: Iterable[str],
) -> str:
    """A whole page: the ``header`` rows (target, model, seed, the redacted secret…),
    the verdict, then the ``sections`` (already HTML)."""
    ok, words = verdict
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in header if v)
    mark = "passed" if ok else "failed"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><table>{rows}</table>"
        f"<p class='verdict'>{_e(mark)}: {_e(words)}</p></header><main>"
        + "".join(sections)
        + f"<p><small>pytest-botwebhook {_e(__version__)}</small></p></main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def findings_section(findings: Sequence[Finding], heading: str = "Findings") -> str:
    """Findings grouped by code (errors first), then by intent."""
    if not findings:
        return f"<h2>{_e(heading)}</h2><p class='ok'>none</p>"
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    order = sorted(by_code, key=lambda c: (by_code[c][0].severity != "error", c))
    parts = [f"<h2>{_e(heading)}</h2>"]
    for code in order:
        group = by_code[code]
        severity = group[0].severity
        url = docs_url(code)
        more = f"<a href='{_e(url)}'>{_e(url)}</a>" if url else _e(group[0].about)
        parts.append(f"<details class='code {severity}' open><summary>{_e(code)} {_e(severity)}: "
                     f"{_e(CODES[code].title)} ({len(group)})</summary>"
                     f"<div class='hint'>more: {more}</div>")  # fmt: skip
        by_intent: dict[str, list[Finding]] = {}
        for finding in group:
            intent = finding.variant.split("-", 1)[0] if finding.variant else "the run"
            by_intent.setdefault(intent, []).append(finding)
        for intent, items in sorted(by_intent.items()):
            parts.append(f"<div class='intent'><h3>{_e(intent)}</h3>")
            parts.extend(_finding(f) for f in items)
            parts.append("</div>")
        parts.append("</details>")
    return "".join(parts)


def _finding(finding: Finding) -> str:
    where = ""
    if finding.location:
        where = f" at {relative_path(finding.location[0])}:{finding.location[1]}"
    out = [f"<div class='finding'><div><b>{_e(finding.scenario)}</b>{_e(where)}</div>",
           f"<div>{_e(finding.evidence)}</div>",
           f"<div class='hint'>hint: {_e(finding.hint)}</div>"]  # fmt: skip
    if finding.output:
        out.append(f"<div>the handler's output:</div><pre>{_e(finding.output)}</pre>")
    if finding.reproduce:
        out.append("<div>reproduce with:</div><button class='copy' type='button'>copy</button>"
                   f"<pre class='curl'>{_e(finding.reproduce)}</pre>")  # fmt: skip
    out.append("</div>")
    return "".join(out)


#: What a conversation's turn offers the page: its number, the user's text, what the
#: bot said, the webhook calls (status and findings).
Turnish = Any


def chat_section(name: str, where: str, ok: bool, failure: str | None,
                 turns: Sequence[Turnish]) -> str:  # fmt: skip
    """One conversation as a chat: bubbles on the left, its webhook calls beside."""
    mark = "<span class='ok'>passed</span>" if ok else "<span class='fail'>failed</span>"
    parts = [f"<div class='chat'><h3>{_e(name)} {mark}</h3><div><small>{_e(where)}</small></div>"]
    for turn in turns:
        said = turn.bot if turn.bot is not None else (turn.chat_api_error or "")
        calls = []
        for exchange in turn.exchanges:
            status = exchange.received.status if exchange.received else "no answer"
            codes = ", ".join(f"{f.code} {f.severity}" for f in exchange.findings) or "ok"
            calls.append(f"<div>webhook call: {_e(status)}, {_e(codes)}</div>")
            calls.extend(f"<div class='hint'>{_e(f.code)}: {_e(f.evidence)}</div>"
                         for f in exchange.findings)  # fmt: skip
        parts.append(
            f"<div class='turn'><div><div class='bubble user'>{_e(turn.user)}</div>"
            f"<div class='bubble bot'>{_e(said)}</div></div>"
            f"<div class='calls'><div>turn {_e(turn.number)}</div>{''.join(calls)}</div></div>"
        )
    if failure:
        parts.append(f"<pre>{_e(failure)}</pre>")
    parts.append("</div>")
    return "".join(parts)


def table_section(heading: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain table (scenarios, replayed calls, load steps)."""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<h2>{_e(heading)}</h2><table class='grid'><tr>{head}</tr>{body}</table>"
