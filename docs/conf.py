"""Sphinx configuration of the documentation site (``pip install -e '.[docs]'``).

Build it as CI does, strictly: ``sphinx-build -W --keep-going -n docs site``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # finding_pages, and harness from the checkout

project = "pytest-botwebhook"
author = "the pytest-botwebhook authors"
copyright = "the pytest-botwebhook authors"
extensions = ["myst_parser", "sphinx.ext.autodoc", "finding_pages", "cli_pages", "file_keys"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "schema", "images/*.md"]
myst_heading_anchors = 3
html_theme = "furo"
smartquotes = False  # titles and code read exactly as the checker writes them
html_title = "pytest-botwebhook"
autodoc_typehints = "description"
autodoc_member_order = "bysource"

#: Modules whose names are shown as plain text: the standard library and third
#: parties (the build has no network for intersphinx).
_PLAIN = ("collections.", "pathlib.", "typing.", "hypothesis.", "werkzeug.")


def _public_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference``: a type named by its private home (``harness.delivery.
    _transport.Target``) links to its public entry (``harness.checks.Target``); a type
    of the standard library, or a private module itself, reads as plain text.  Any
    other name that is not documented stays a warning: a broken reference."""
    target = node.get("reftarget", "")
    domain = env.get_domain("py")
    short = target.rsplit(".", 1)[-1]
    for name, _display, kind, docname, anchor, _priority in domain.get_objects():
        if name.rsplit(".", 1)[-1] == short and kind in ("class", "function", "exception"):
            return _link(app, node, contnode, docname, anchor)
    if target.startswith(_PLAIN) or (node.get("reftype") == "mod" and "._" in target):
        return contnode
    return None


def _link(app: Any, node: Any, contnode: Any, docname: str, anchor: str) -> Any:
    from sphinx.util.nodes import make_refnode

    return make_refnode(app.builder, node["refdoc"], docname, anchor, contnode)


def setup(app: Any) -> None:
    app.connect("missing-reference", _public_name)
