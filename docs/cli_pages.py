"""A Sphinx extension: the command-line reference, written at each build from the
``botwebhook`` parser itself (``harness.cli.build_parser``), so that no option can
be missing or out of date.  The page goes to ``docs/reference/cli.md`` (not kept
in git)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from site_pages import page_extension

#: The width the help is wrapped at, whatever the terminal of the build.
WIDTH = "88"


def cli_page() -> str:
    """The Markdown of the command-line reference."""
    from harness.cli import build_parser

    os.environ["COLUMNS"] = WIDTH  # argparse wraps at $COLUMNS
    parser = build_parser()
    lines = [
        "# Command-line reference",
        "",
        "Every `botwebhook` command with every option, as `botwebhook COMMAND --help`",
        "prints it. This page is written from the parser at each build. The",
        "[command-line page of the manual](../manual/command-line.md) shows the",
        "commands at work.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    for action in parser._actions:  # argparse keeps its subcommands here
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                lines += [f"## botwebhook {name}", "", "```text", command.format_help().rstrip(),
                          "```", ""]  # fmt: skip
    return "\n".join(lines)


def setup(app: Any) -> dict[str, Any]:
    return page_extension(app, "reference/cli.md", cli_page)
