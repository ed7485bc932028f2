"""The finding catalogue is written once, in ``CODES``: the manual's table and
``docs/findings.md`` must list exactly those codes, with the same severities."""

from __future__ import annotations

import re
from pathlib import Path

from harness.checks import CODES

ROOT = Path(__file__).resolve().parents[2]


def _rows(path: Path) -> dict[str, str]:
    """code -> the row's text, for every table row that starts with a code."""
    rows = {}
    for line in path.read_text("utf-8").splitlines():
        match = re.match(r"\| (BW\d{3}) \|(.*)", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_manual_table_lists_every_code_with_its_severity() -> None:
    rows = _rows(ROOT / "docs" / "manual" / "check-a-handler.md")
    assert set(rows) == set(CODES)
    for code, row in rows.items():
        assert row.strip().startswith(CODES[code].severity), code


def test_docs_findings_lists_every_code_with_its_title() -> None:
    rows = _rows(ROOT / "docs" / "findings.md")
    assert set(rows) == set(CODES)
    for code, row in rows.items():
        assert CODES[code].title in row, code
