"""``botwebhook explain``: a finding code's page in the terminal (why the platform
fails, when it is only a warning, the fix), or every code in a line each."""

from __future__ import annotations

import argparse
from typing import Any

from harness.cli._common import EXIT_OK
from harness.cli._pages import docs_url_option

__all__ = ["register"]


def cmd_explain(args: argparse.Namespace) -> int:
    from harness.delivery._explained import explain
    from harness.delivery._findings import CODES

    if not args.codes:
        width = max(len(c.severity) for c in CODES.values())
        for code in CODES.values():
            print(f"{code.code} {code.severity:<{width}}  {code.title}")
        return EXIT_OK
    pages = [explain(code) for code in args.codes]  # an unknown code: one line, exit 2
    print("\n\n\n".join(pages))
    return EXIT_OK


def register(commands: Any) -> None:
    p = commands.add_parser(
        "explain",
        help="what a finding code means, why the platform fails, and the fix",
        description="Print the page of each finding CODE (e.g. BW401): why the platform "
        "fails the call, when the finding is only a warning, and the fix.  Without a CODE, "
        "list every code with its severity and title.",
    )
    p.add_argument("codes", nargs="*", metavar="CODE", help="a finding code, e.g. BW401")
    docs_url_option(p)
    p.set_defaults(handler=cmd_explain)
