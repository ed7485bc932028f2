"""``botwebhook converse``: conversation files against a handler, turn by turn."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli._code_coverage import code_coverage_option
from harness.cli._common import (
    SECONDS,
    CliError,
    baseline_options,
    emit,
    number,
    opened_baseline,
    report_options,
    require_reports,
)
from harness.cli._targets import chosen_model, opened_target, sign_mode, target_options

__all__ = ["register"]


def cmd_converse(args: argparse.Namespace) -> int:
    from harness.cli._progress import progress
    from harness.conversations._converse import ConversationRun, run_conversation
    from harness.conversations._files import load_conversations
    from harness.model._files import load_model

    require_reports(args)
    baseline = opened_baseline(args)
    model = chosen_model(args)
    specs = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise CliError(f"{name!r}: no such conversation file")
        specs.extend(load_conversations(path, model=model, load_model=load_model))
    results = []
    interrupted = False
    with (
        opened_target(args) as (target, secret),
        progress("conversations", enabled=not args.json) as advance,
    ):
        try:
            for spec in specs:
                result = run_conversation(
                    spec, target, secret=secret, timeout=args.timeout, seed=args.seed,
                    later_timeout=args.later_timeout, strict=args.strict, signed=sign_mode(args),
                    callback_port=args.callback_port, baseline=baseline,
                )  # fmt: skip
                results.append(result)
                if advance is not None:
                    advance(result, len(specs))
        except KeyboardInterrupt:
            interrupted = True
    from harness.model._files import describe_model, model_notes
    from harness.protocol._signing import redact_secret

    header = {
        "target": target.name,
        "path": getattr(target, "path", None) or "",
        "model": describe_model(model),
        "model_note": "; ".join(model_notes(model, target)),
        "seed": args.seed,
        "secret": redact_secret(secret) if secret else "none",
    }
    run = ConversationRun(results, header)
    hidden = sum(result.chat.baselined for result in results)
    if hidden:
        print(f"botwebhook: {hidden} finding(s) accepted in the baseline {args.baseline} are "
              "not shown and fail no turn", file=sys.stderr)  # fmt: skip
    if args.update_baseline:
        from harness.checks._baseline import Baseline

        count = Baseline.write(args.baseline, run.located())
        print(f"botwebhook: accepted {count} finding(s) into {args.baseline} (they fail no "
              "turn from the next run on)", file=sys.stderr)  # fmt: skip
    emit(run, args, strict=args.strict)
    if interrupted:
        left = len(specs) - len(results)
        print(f"interrupted: {left} of {len(specs)} conversation(s) not run", file=sys.stderr)
        return 130
    return run.exit_code()


def register(commands: Any) -> None:
    p = commands.add_parser(
        "converse",
        help="run conversation files (multi-turn chats) against a webhook handler",
        description=(
            "Run each conversation of FILE (test_*.conversation.yaml) against TARGET the way "
            "the platform runs a chat: prompting, filling variables, calling the webhook on "
            "fulfilment and carrying its context into the next turns; every webhook call is "
            "contract-checked.  Exit 0 when every conversation passes, 1 when one fails "
            "(warnings fail only with --strict), 2 for usage problems."
        ),
    )
    p.add_argument(
        "target", metavar="TARGET",
        help="a WSGI or ASGI import string (package.module:app, path/app.py:app) or an "
        "http(s):// URL",
    )  # fmt: skip
    p.add_argument("files", nargs="+", metavar="FILE", help="conversation files (YAML)")
    target_options(p)
    p.add_argument(
        "--later-timeout", type=SECONDS, default=5.0, metavar="S",
        help="how long a 'later:' expectation waits for the handler's callback (default: 5)",
    )  # fmt: skip
    p.add_argument(
        "--callback-port", type=number(int, 1, 65535), metavar="PORT",
        help="also serve the callback API on http://127.0.0.1:PORT while each conversation "
        "runs, for a handler in another process: point its callback base there",
    )  # fmt: skip
    p.add_argument("--strict", action="store_true", help="warnings fail a conversation too")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    report_options(p)
    baseline_options(p)
    code_coverage_option(p)
    p.add_argument("--verbose", action="store_true", help="print passing transcripts too")
    p.set_defaults(handler=cmd_converse)
