"""``botwebhook check``: the scenario matrix against a handler, as the platform sees it."""

from __future__ import annotations

import argparse
from typing import Any

from harness._interrupt import interrupted_early
from harness.cli._code_coverage import code_coverage_option
from harness.cli._common import (
    CliError,
    baseline_options,
    emit,
    number,
    opened_baseline,
    report_options,
    require_reports,
    settled,
)
from harness.cli._targets import (
    TARGET_HELP,
    chosen_model,
    opened_target,
    sign_mode,
    target_options,
)
from harness.delivery._findings import CODES

__all__ = ["register"]


def parse_ignore(values: list[str] | None) -> list[str]:
    codes = [c.strip().upper() for value in values or () for c in value.split(",") if c.strip()]
    for code in codes:
        if code not in CODES:
            raise CliError(f"--ignore {code}: no such finding code (codes: {', '.join(CODES)})")
    return codes


def cmd_check(args: argparse.Namespace) -> int:
    from harness.checks._check import run_check
    from harness.cli._progress import progress

    require_reports(args)
    baseline = opened_baseline(args)
    ignore = parse_ignore(args.ignore)
    model = chosen_model(args)
    with (
        opened_target(args) as (target, secret),
        progress("scenarios", enabled=not args.json) as on_exchange,
    ):
        if "robustness" in (args.probe or ()) and not (
            secret and (target.platform_signs if args.sign is None else args.sign == "always")
        ):
            raise CliError(
                "--probe robustness sends malformed bodies signed with the secret: it needs "
                "--secret (or $BOTWEBHOOK_SECRET) and a signed target (https, in-process, "
                "or --sign always)"
            )
        report = run_check(
            target,
            secret=secret,
            model=model,
            seed=args.seed,
            timeout=args.timeout,
            ignore=ignore,
            passthrough=args.passthrough,
            signed=sign_mode(args),
            robustness="robustness" in (args.probe or ()),
            workers=args.workers,
            keep_going=args.keep_going,
            on_exchange=on_exchange,
        )
    settled(report, args, baseline)
    emit(report, args, strict=args.strict)
    if report.interrupted:  # the summary so far, then the line every Ctrl-C ends with
        return interrupted_early(["check"])
    return report.exit_code(strict=args.strict)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "check",
        help="check a webhook handler against the platform's contract",
        description=(
            "Send the scenario matrix (every payload variant, signature probes, malformed "
            "input) to TARGET and report what the platform would make of each answer.  "
            "Exit 0 with no errors (warnings fail only with --strict), 1 with errors, "
            "2 for usage problems."
        ),
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)
    target_options(p)
    p.add_argument(
        "--ignore", action="append", metavar="CODES", help="finding codes to ignore, e.g. BW202"
    )
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    report_options(p)
    baseline_options(p)
    code_coverage_option(p)
    p.add_argument("--passthrough", action="store_true", help="TARGET is a passthrough endpoint")
    p.add_argument("--verbose", action="store_true", help="list every finding")
    p.add_argument(
        "--workers", type=number(int, 1, 64), default=4, metavar="N",
        help="calls in flight at once, as the platform calls for concurrent chats (default: 4; "
        "1 for handlers that are not thread-safe)",
    )  # fmt: skip
    p.add_argument(
        "--keep-going", action="store_true",
        help="send every scenario even when the first calls all fail in transport",
    )  # fmt: skip
    p.add_argument(
        "--probe", action="append", choices=("robustness",),
        help="robustness: also send the malformed bodies signed with the secret, which the "
        "platform never does (findings are BW403 warnings)",
    )  # fmt: skip
    p.set_defaults(handler=cmd_check)
