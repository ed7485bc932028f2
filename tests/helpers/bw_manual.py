"""The manual: the README (the landing page) and the pages of ``docs/manual/``, in
the order the README had them before the site, so that its examples still run in
one namespace, in order."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The manual's pages, in reading order (each example may use what one before set up).
PAGES = [
    "what-the-platform-sends", "pytest-plugin", "check-a-handler", "asgi-apps", "reference-handler",
    "payloads", "fuzzing", "conversations", "load", "record-and-replay", "mocks",
    "library", "fixtures", "command-line", "limits", "known-differences", "coverage",
    "ci", "documentation-site", "development", "first-check", "first-pytest", "first-conversation",
    "sub-routes-and-intents", "finding-pages",
]  # fmt: skip


def page(name: str) -> Path:
    return ROOT / "docs" / "manual" / f"{name}.md"


def manual_text() -> str:
    """The README, then every page of the manual, in order."""
    parts = [(ROOT / "README.md").read_text("utf-8")]
    parts += [page(name).read_text("utf-8") for name in PAGES]
    return "\n\n".join(parts)


def shell_commands() -> list[str]:
    """Every ``botwebhook`` command line in the manual's shell blocks, as typed (no
    prompt, no comment); a synopsis line (``[OPTIONS]``, ``a|b``, ``...``) is left out."""
    found = []
    for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", manual_text(), re.S):
        for line in block.splitlines():
            line = line.removeprefix("$ ").strip()
            if not line.startswith("botwebhook "):
                continue
            line = re.sub(r"\s+#.*$", "", line)
            line = re.split(r"\s(?:>|<|&&|;)\s", line)[0]  # the shell's, not ours
            if re.search(r"\[|\||\.\.\.|…|<\w", line):
                continue
            found.append(line)
    return found
