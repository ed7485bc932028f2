"""The README's Python examples run, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 5


def test_readme_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for index, block in enumerate(python_blocks()):
        code = compile(block, f"README.md python block {index}", "exec")
        exec(code, namespace)
    assert "…(40 chars)" in capsys.readouterr().out
