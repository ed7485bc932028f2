"""A Sphinx extension: a page per finding code, written at each build from
``harness.checks.CODES`` (the code's severity, title and fix),
``harness.checks.EXPLAINED`` (why, and when it is only a warning) and
``docs/finding_cases.py`` (the mistake, the fixed handler), so that no page can drift
from the checker.  The pages go to ``docs/codes/`` (not kept in git); in
``findings.md`` each code of a table links to its page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from site_pages import write_generated

HERE = Path(__file__).resolve().parent
#: Where the finding pages go, under the docs folder.
FOLDER = "codes"


def cases() -> Any:
    """``docs/finding_cases.py``, loaded once."""
    if "finding_cases" not in sys.modules:
        spec = importlib.util.spec_from_file_location("finding_cases", HERE / "finding_cases.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["finding_cases"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["finding_cases"]


def finding_page(code: str) -> str:
    """The Markdown of one finding code's page."""
    from harness.checks import CODES, EXPLAINED

    known, said = CODES[code], EXPLAINED[code]
    found = cases()
    case = found.CASES[code]
    severity = "an **error**" if known.severity == "error" else "a **warning**"
    lines = [f"# {code}: {known.title}", "", f"`{code}` is {severity}. {said.why}", ""]
    if known.severity == "error":
        lines += [
            "## When it is only a warning",
            "",
            said.warning or "Never: wherever it is found, the platform fails the call.",
            "",
        ]
    lines += [
        "## A handler that makes the mistake",
        "",
        "```python",
        (found.PREAMBLE + case.mistake).rstrip(),
        "```",
        "",
        "Saved as `handler.py`, it gives the finding:",
        "",
        "```bash",
        case.command,
        "```",
        "",
        "## The fix",
        "",
        known.hint[0].upper() + known.hint[1:] + ".",
        "",
        "```python",
        (found.PREAMBLE + case.fix).rstrip(),
        "```",
        "",
        "The project's tests run both handlers against the harness: the first gives "
        f"`{code}`, the second a clean check.",
        "",
        "[All finding codes](../findings.md)",
        "",
    ]
    return "\n".join(lines)


def write_pages(app: Any) -> None:
    """``builder-inited``: (re)write the finding pages, and only those, in ``codes/``."""
    from harness.checks import CODES

    wanted = {f"{code}.md": finding_page(code) for code in CODES}
    for stale in (Path(app.srcdir) / FOLDER).glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        write_generated(app, f"{FOLDER}/{name}", text)


def link_codes(app: Any, docname: str, source: list[str]) -> None:
    """``source-read``: in ``findings.md`` each code of a table links to its page, and
    the pages are listed (hidden) for the navigation."""
    if docname != "findings":
        return
    text = re.sub(r"^\| (BW\d{3}) \|", rf"| [\1]({FOLDER}/\1.md) |", source[0], flags=re.M)
    source[0] = text + f"\n\n```{{toctree}}\n:hidden:\n:glob:\n\n{FOLDER}/*\n```\n"


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", write_pages)
    app.connect("source-read", link_codes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
