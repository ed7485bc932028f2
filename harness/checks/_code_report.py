"""What a code-coverage run found: the handler functions and branches no payload
reached, by file and line, and which intents reached what.

Built from coverage.py's JSON report (its ``functions`` regions, with the
contexts of each line), so the numbers are coverage.py's own.  Only function
bodies count: a module's top level runs when it is imported, never because of
a payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.model._files import shown_path

__all__ = ["LABEL", "HandlerCoverage", "UnreachedBranch", "UnreachedFunction"]

#: The prefix of the coverage.py context of every call a run labels: ``botwebhook:greet``.
LABEL = "botwebhook:"
#: Entries of each list shown in text; the JSON has them all.
_SHOWN = 20


@dataclass(frozen=True)
class UnreachedFunction:
    """A handler function no payload reached: ``app.py:57 refund``."""

    file: str
    line: int
    name: str


@dataclass(frozen=True)
class UnreachedBranch:
    """A branch no payload took, from a line some payloads reached; ``to`` is a line,
    or None for leaving the function.  ``reached_by`` names the intents whose calls
    ran ``line``: the ones whose tests could take the branch."""

    file: str
    line: int
    to: int | None
    reached_by: tuple[str, ...]


@dataclass
class HandlerCoverage:
    """Handler code coverage of one run (see :mod:`harness.checks._code_coverage`)."""

    measured_by: str
    branch: bool
    lines: tuple[int, int] = (0, 0)  # (reached, total), function bodies only
    branches: tuple[int, int] = (0, 0)
    files: list[str] = field(default_factory=list)
    untouched_files: list[str] = field(default_factory=list)
    functions: list[UnreachedFunction] = field(default_factory=list)
    unreached_branches: list[UnreachedBranch] = field(default_factory=list)
    #: Lines of reached functions no payload ran: (file, first, last).
    unreached_lines: list[tuple[str, int, int]] = field(default_factory=list)
    #: intent -> (calls, function lines its calls reached)
    intents: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    html_hint: str = ""

    @classmethod
    def from_json(
        cls,
        report: Mapping[str, Any],
        *,
        measured_by: str,
        calls: Mapping[str, int],
        html_hint: str = "",
        ran: Mapping[str, set[str]] | None = None,
    ) -> HandlerCoverage:
        """Read coverage.py's JSON report (restricted to our contexts, with them shown).

        ``ran`` is, per file, the functions that ran at all (in any context): one
        that ran only outside the calls (an app factory, a constructor) is setup
        code, left out of the counts and the lists."""
        branch = bool(report.get("meta", {}).get("branch_coverage"))
        result = cls(measured_by=measured_by, branch=branch, html_hint=html_hint)
        setup = 0
        reached = total = taken = branches = 0
        by_intent: dict[str, set[tuple[str, int]]] = {}
        for path, data in sorted(report.get("files", {}).items()):
            shown = shown_path(path)
            regions = {n: r for n, r in data.get("functions", {}).items() if n}
            outside = {n for n, r in regions.items() if not r["executed_lines"]} & (ran or {}).get(
                path, set()
            )
            setup += len(outside)
            regions = {n: r for n, r in regions.items() if n not in outside}
            run = [r for r in regions.values() if r["executed_lines"]]
            if not run:
                result.untouched_files.append(shown)
                continue
            result.files.append(shown)
            for name, region in regions.items():
                done, missing = region["executed_lines"], region["missing_lines"]
                reached, total = reached + len(done), total + len(done) + len(missing)
                summary = region.get("summary", {})
                taken += summary.get("covered_branches", 0)
                branches += summary.get("num_branches", 0)
                contexts = region.get("contexts", {})
                for line, labels in contexts.items():
                    for label in labels:
                        intent = _intent(label)
                        if intent is not None:
                            by_intent.setdefault(intent, set()).add((path, int(line)))
                if not done:
                    if missing:
                        result.functions.append(
                            UnreachedFunction(shown, region.get("start_line", missing[0]), name)
                        )
                    continue
                for start, end in region.get("missing_branches", []):
                    if start not in done:  # the decision itself never ran: see the lines
                        continue
                    intents = sorted({i for c in contexts.get(str(start), []) if (i := _intent(c))},
                                     key=_intents_first)  # fmt: skip
                    to = end if end > 0 else None
                    result.unreached_branches.append(
                        UnreachedBranch(shown, start, to, tuple(intents))
                    )
                result.unreached_lines.extend((shown, a, b) for a, b in _spans(missing))
        result.lines, result.branches = (reached, total), (taken, branches)
        if setup:
            result.notes.append(
                f"{setup} function(s) ran only outside the calls (setup: an app factory, a "
                "constructor) and are left out"
            )
        result.intents = {
            intent: (calls.get(intent, 0), len(by_intent.get(intent, ())))
            for intent in sorted(set(calls) | set(by_intent), key=_intents_first)
        }
        result.functions.sort(key=lambda f: (f.file, f.line))
        result.unreached_branches.sort(key=lambda b: (b.file, b.line, b.to or 0))
        return result

    def render_text(self) -> str:
        """The table and the lists, for a terminal."""
        out = [f"handler code coverage (measured by {self.measured_by}):"]
        if not self.files:
            out.append("  no payload reached any handler function")
        else:
            counts = f"  {_share(self.lines)} of function lines"
            if self.branch:
                counts += f", {_share(self.branches)} of branches"
            out.append(f"{counts}, in {', '.join(self.files)}")
        if self.intents:
            width = max(len(i) for i in self.intents)
            out.append(f"  {'intent'.ljust(width)}  calls  lines reached")
            for intent, (calls, lines) in self.intents.items():
                out.append(f"  {intent.ljust(width)}  {calls:>5}  {lines:>13}")
        _listed(out, "functions no payload reached", [
            f"{f.file}:{f.line}  {f.name}" for f in self.functions
        ])  # fmt: skip
        _listed(out, "branches no payload took", [
            f"{b.file}:{b.line}  never "
            + ("left the function" if b.to is None else f"went to line {b.to}")
            + (f"  (line reached by {_few(b.reached_by)})" if b.reached_by else "")
            for b in self.unreached_branches
        ])  # fmt: skip
        if not self.branch:  # with branches, the branches say it (--json has the lines)
            _listed(out, "lines no payload reached in reached functions", [
                f"{f}:{a}" if a == b else f"{f}:{a}-{b}" for f, a, b in self.unreached_lines
            ])  # fmt: skip
        if self.untouched_files:
            names = self.untouched_files[:_SHOWN]
            more = len(self.untouched_files) - len(names)
            shown = ", ".join(names) + (f" (+{more})" if more else "")
            out.append(f"  no payload reached: {shown}")
        out.extend(f"  note: {note}" for note in self.notes)
        if self.html_hint:
            out.append(f"  the full picture, line by line: {self.html_hint}")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape (``code_coverage`` in the ``--json`` envelope)."""
        return {
            "measured_by": self.measured_by,
            "branch": self.branch,
            "lines": {"reached": self.lines[0], "total": self.lines[1]},
            "branches": {"taken": self.branches[0], "total": self.branches[1]}
            if self.branch
            else None,
            "files": list(self.files),
            "untouched_files": list(self.untouched_files),
            "unreached_functions": [
                {"file": f.file, "line": f.line, "name": f.name} for f in self.functions
            ],
            "unreached_branches": [
                {"file": b.file, "line": b.line, "to": b.to, "reached_by": list(b.reached_by)}
                for b in self.unreached_branches
            ],
            "unreached_lines": [
                {"file": f, "first": a, "last": b} for f, a, b in self.unreached_lines
            ],
            "intents": {
                intent: {"calls": calls, "lines": lines}
                for intent, (calls, lines) in self.intents.items()
            },
            "notes": list(self.notes),
        }


def _intent(context: str) -> str | None:
    """The intent of a context we labelled (``botwebhook:greet``, or with a test's
    context before it), else None."""
    _, found, intent = context.rpartition(LABEL)
    return intent if found else None


def _intents_first(name: str) -> tuple[bool, str]:
    """Intents by name, then the calls that named none: ``(no intent)``, ``(not a payload)``."""
    return name.startswith("("), name


def _few(names: tuple[str, ...], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _spans(lines: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], line)
        else:
            spans.append((line, line))
    return spans


def _share(pair: tuple[int, int]) -> str:
    done, total = pair
    percent = f" ({100 * done / total:.0f}%)" if total else ""
    return f"{done} of {total}{percent}"


def _listed(out: list[str], title: str, rows: list[str]) -> None:
    if not rows:
        return
    out.append(f"  {title}:")
    out.extend(f"    {row}" for row in rows[:_SHOWN])
    if len(rows) > _SHOWN:
        out.append(f"    … and {len(rows) - _SHOWN} more (--json lists them all)")
