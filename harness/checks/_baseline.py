"""Baselines: the findings a team has accepted, so that a run fails only on new ones.

A baseline file is JSON: ``{"format": 1, "tool": "botwebhook", "accepted": [...]}``,
one entry per accepted finding with its fingerprint (code, kind of scenario,
intent, the handler's file and line: never a timestamp, a seed or a generated
value, see ``_sarif.fingerprint``) and, for the reader, its code, scenario and
place.  ``--update-baseline`` writes it; ``--baseline FILE`` reads it and leaves
every finding it holds out of the run's verdict and reports, saying how many.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness._errors import BaselineError
from harness.checks._fuzz_report import FuzzReport
from harness.checks._result import Report
from harness.checks._sarif import Located, fingerprint, module_place
from harness.delivery._findings import Finding, relative_path

__all__ = ["BASELINE_FORMAT", "Baseline", "BaselineError"]

BASELINE_FORMAT = 1


class Baseline:
    """The fingerprints of the accepted findings, read from (or written to) a file."""

    def __init__(self, accepted: Iterable[str] = (), path: str = "") -> None:
        self.accepted = frozenset(accepted)
        self.path = path
        #: Findings :meth:`new` has left out so far (what a run says it hid).
        self.hidden = 0

    @classmethod
    def read(cls, path: str | Path) -> Baseline:
        """The baseline in ``path``; :class:`BaselineError` naming the file when it is
        not one (a missing file is an error too: a typo would accept nothing)."""
        where = str(path)
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise BaselineError(
                f"--baseline {where!r}: no such file (hint: write it first with --update-baseline)"
            ) from None
        except (OSError, ValueError) as exc:
            raise BaselineError(f"--baseline {where!r}: not a baseline file ({exc})") from None
        if not isinstance(data, dict) or data.get("tool") != "botwebhook":
            raise BaselineError(f"--baseline {where!r}: not a botwebhook baseline file")
        if data.get("format") != BASELINE_FORMAT:
            raise BaselineError(
                f"--baseline {where!r}: format {data.get('format')!r}, this version reads "
                f"format {BASELINE_FORMAT} (hint: write it again with --update-baseline)"
            )
        entries = data.get("accepted")
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
        ):
            raise BaselineError(f"--baseline {where!r}: 'accepted' is not a list of findings")
        return cls((e["fingerprint"] for e in entries), where)

    @staticmethod
    def write(path: str | Path, items: Sequence[Located]) -> int:
        """Accept every finding of ``items``: write them to ``path``; how many back."""
        entries: dict[str, dict[str, Any]] = {}
        for finding, where in items:
            key = fingerprint(finding, where)
            entries[key] = {
                "fingerprint": key,
                "code": finding.code,
                "scenario": finding.scenario,
                "where": f"{relative_path(where[0])}:{where[1]}" if where else None,
            }
        data = {
            "format": BASELINE_FORMAT,
            "tool": "botwebhook",
            "accepted": sorted(entries.values(), key=lambda e: (e["code"], e["fingerprint"])),
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
        return len(entries)

    def holds(self, item: Located) -> bool:
        """Whether the finding (at its place) was accepted."""
        return fingerprint(*item) in self.accepted

    def new(
        self, findings: Sequence[Finding], place: tuple[str, int] | None = None
    ) -> list[Finding]:
        """The findings not accepted; ``place`` is where they are when no traceback
        says more (as for SARIF: the handler's module, the model file, a turn)."""
        return [f for f in findings if not self.holds((f, f.location or place))]

    def settle(self, result: Report | FuzzReport) -> int:
        """Leave the accepted findings out of a check's or a fuzz run's result (its
        verdict, exit code and every report), note how many, and return that."""

        place = module_place(result.source)

        def new(finding: Finding) -> bool:
            return bool(self.new([finding], place))

        before = len(result.findings)
        result.run_findings = [f for f in result.run_findings if new(f)]
        if isinstance(result, FuzzReport):
            kept = []
            for failure in result.failures:
                errors = [f for f in failure.exchange.findings if f.severity == "error"]
                if any(new(f) for f in errors):
                    kept.append(failure)
            result.failures = kept
        else:
            for exchange in result.exchanges:
                exchange.findings = [f for f in exchange.findings if new(f)]
        hidden = before - len(result.findings)
        result.baselined = hidden
        if hidden:
            result.notes.append(
                f"{hidden} finding(s) accepted in the baseline {self.path or '(given)'} "
                "are not shown and do not fail the run"
            )
        return hidden
