"""Where a run's findings point: ``--docs-url`` and the other places the documentation
site's address comes from (see :func:`harness.delivery._findings.docs_url`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["docs_url_option", "use_docs_url"]


def docs_url_option(parser: argparse.ArgumentParser) -> None:
    """``--docs-url URL``: where the documentation site is, for each finding's page."""
    parser.add_argument(
        "--docs-url",
        metavar="URL",
        help="the documentation site's address: each finding names its page there "
        "(default: $BOTWEBHOOK_DOCS_URL, then [tool.botwebhook] docs_url; without one, "
        "the page is named as 'botwebhook explain CODE')",
    )


def use_docs_url(args: argparse.Namespace) -> None:
    """Set where this run's findings point, checked before the run: ``--docs-url``,
    else ``$BOTWEBHOOK_DOCS_URL`` (left to be read on use), else ``[tool.botwebhook]
    docs_url`` in ``./pyproject.toml``; a bad address is one line, exit 2."""
    from harness.delivery._findings import DOCS_URL_ENV, require_docs_url, set_docs_url

    flag = getattr(args, "docs_url", None)
    if flag is not None:
        set_docs_url(require_docs_url(flag, "--docs-url"))
        return
    set_docs_url(None)
    if os.environ.get(DOCS_URL_ENV, "").strip():
        require_docs_url(os.environ[DOCS_URL_ENV], f"${DOCS_URL_ENV}")
        return
    if Path("pyproject.toml").is_file():
        from harness.model._toml import tool_table

        value = tool_table("pyproject.toml").get("docs_url")
        if value is not None:
            set_docs_url(require_docs_url(value, "[tool.botwebhook] docs_url"))
