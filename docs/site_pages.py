"""What the site's generated pages share: each is written into the docs folder at
the start of a build, and only when its text changed (so Sphinx rebuilds only what
changed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_generated(app: Any, relative: str, text: str) -> None:
    """Write ``text`` to ``relative`` under the docs folder, unless it is already so."""
    path = Path(app.srcdir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")


def page_extension(app: Any, relative: str, make: Callable[[], str]) -> dict[str, Any]:
    """Set up an extension whose one page, ``relative``, ``make()`` writes at each build."""
    app.connect("builder-inited", lambda app: write_generated(app, relative, make()))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
