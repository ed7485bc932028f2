"""``docs/protocol.md``, the project's own account of the protocol: its examples run,
and every citation of it in the code and the manual names a section it has."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "protocol.md"
CITING = [*ROOT.glob("harness/*.py"), *ROOT.glob("pytest_botwebhook/*.py"),
          ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("docs/manual/*.md")]  # fmt: skip


def test_its_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
    assert len(blocks) >= 5
    for index, block in enumerate(blocks):
        exec(compile(block, f"docs/protocol.md python block {index}", "exec"), {})


def test_every_citation_names_a_section_it_has() -> None:
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", DOC.read_text("utf-8"), re.M)}
    assert sections == set(range(1, 9))
    cited: set[int] = set()
    for path in CITING:
        text = " ".join(path.read_text("utf-8").split())  # citations may wrap
        for numbers in re.findall(r"protocol\.md`{0,2}\)?,? \(?sections? ([\d, and]+)", text):
            cited |= {int(n) for n in re.findall(r"\d+", numbers)}
    assert cited, "nothing cites docs/protocol.md by section"
    assert cited <= sections, cited - sections


def test_nothing_users_get_cites_notes_they_do_not_have() -> None:
    cites = [str(p.relative_to(ROOT)) for p in CITING if "PROTOCOL.md" in p.read_text("utf-8")]
    assert cites == []
