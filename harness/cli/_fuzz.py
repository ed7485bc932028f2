"""``botwebhook fuzz``: Hypothesis hunting for crashes and contract breaks."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.cli._code_coverage import code_coverage_option
from harness.cli._common import (
    CliError,
    baseline_options,
    emit,
    number,
    opened_baseline,
    report_options,
    require_output,
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

__all__ = ["register"]


def cmd_fuzz(args: argparse.Namespace) -> int:
    from harness.checks._fuzz import fuzz
    from harness.checks._workspace import DEFAULT_DATABASE, DEFAULT_SAVE_DIR
    from harness.cli._progress import progress
    from harness.conversations._fuzz import fuzz_conversations

    require_output("--save-dir", args.save_dir, kind="folder")
    require_reports(args)
    baseline = opened_baseline(args)
    if args.conversations and args.passthrough:
        raise CliError(
            "--conversations with --passthrough: a passthrough bot has no intents to converse "
            "through (every turn is one call, which the single-call phases already fuzz)"
        )
    if args.guided and args.code_coverage:
        raise CliError(
            "--guided and --code-coverage both trace the handler, and one tracer runs at a "
            "time: use one (the guided run notes how many arcs of the handler it reached)"
        )
    model = chosen_model(args)
    with (
        _hypothesis_storage(args.no_database),
        opened_target(args) as (target, secret),
        progress("calls", enabled=not args.json) as on_exchange,
    ):
        common: dict[str, Any] = {
            "secret": secret,
            "model": model,
            "seed": args.seed,
            "timeout": args.timeout,
            "database": None if args.no_database else DEFAULT_DATABASE,
            "save_dir": DEFAULT_SAVE_DIR if args.save_dir is None else args.save_dir,
            "on_exchange": on_exchange,
        }
        report = fuzz(
            target,
            examples=args.examples,
            passthrough=args.passthrough,
            signed=sign_mode(args),
            seeds=_seeds(args.seed_from),
            guided=args.guided,
            **common,
        )
        if args.conversations:
            fuzz_conversations(target, examples=args.conversations, report=report, **common)
    settled(report, args, baseline)
    emit(report, args, strict=args.strict)
    return report.exit_code(strict=args.strict)


def _seeds(paths: list[str] | None) -> list[bytes]:
    """The request bodies of the cassettes ``--seed-from`` names; an unreadable line is
    one line on stderr (the rest is used)."""
    import sys

    from harness.replay._cassette import read_cassette

    bodies: list[bytes] = []
    for path in paths or ():
        if not Path(path).is_file():
            raise CliError(f"--seed-from {path!r}: no such cassette")
        entries, problems = read_cassette(path)
        for problem in problems:
            print(f"botwebhook fuzz: skipped {problem}", file=sys.stderr)
        bodies.extend(entry.request_body for entry in entries if entry.request_json)
    if paths and not bodies:
        raise CliError(f"--seed-from: no platform request in {', '.join(paths)}")
    return bodies


@contextmanager
def _hypothesis_storage(keep_nothing: bool) -> Iterator[None]:
    """Hypothesis' own files (its caches) in ``.botwebhook/hypothesis``, which git
    ignores; with ``--no-database`` in a temporary folder: nothing is left behind."""
    import os
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    from harness.checks._workspace import WORKSPACE, workspace

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield  # the user chose
        return
    if keep_nothing:
        with tempfile.TemporaryDirectory(prefix="botwebhook-hypothesis-") as folder:
            set_hypothesis_home_dir(folder)
            try:
                yield
            finally:
                set_hypothesis_home_dir(None)
        return
    set_hypothesis_home_dir(workspace(WORKSPACE / "hypothesis"))
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "fuzz",
        help="hunt for crashes and contract breaks with Hypothesis",
        description=(
            "Send Hypothesis-generated calls to TARGET in two phases: first realistic signed "
            "payloads of every variant (answered as the platform expects, never a 5xx), then "
            "what an attacker can send: wrong and missing signatures (refused when a secret is "
            "given) and malformed bodies without a valid signature (never a 5xx).  Each "
            "distinct failure is shrunk to its simplest call, printed with a curl command and "
            "saved to a file; the example database (.botwebhook/examples) replays them first "
            "next time.  --conversations adds whole chats.  Exit 0 no failure, 1 a failure, 2 "
            "usage problems."
        ),
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)
    target_options(p, seed="random: each run explores new calls")
    p.add_argument("--examples", type=number(int, 1, 10**6), default=200, metavar="N",
                   help="how many calls at most in each phase (default: 200)")  # fmt: skip
    p.add_argument("--passthrough", action="store_true", help="TARGET is a passthrough endpoint")
    p.add_argument(
        "--conversations", type=number(int, 1, 10**5), nargs="?", const=50, default=None,
        metavar="N",
        help="then a third phase: N whole generated conversations (default 50), for failures "
        "that appear only on a later turn; each is shrunk to the shortest conversation and "
        "printed as a .conversation.yaml document",
    )  # fmt: skip
    p.add_argument(
        "--guided", action="store_true",
        help="steer the valid phase by the handler's own code (an in-process TARGET): a call "
        "that runs new code is kept and its neighbours, one decision apart, go next; a crash "
        "behind nested conditions is reached one condition at a time",
    )  # fmt: skip
    p.add_argument(
        "--seed-from", action="append", metavar="CASSETTE",
        help="real calls recorded by 'botwebhook listen --record': each is tried first, then "
        "mutated (the query, a value, an optional value, the channel); repeatable",
    )  # fmt: skip
    p.add_argument("--save-dir", metavar="DIR",
                   help="where to save the failing bodies (default: .botwebhook/reproducers, "
                   "which ignores itself in git)")  # fmt: skip
    p.add_argument("--no-database", action="store_true",
                   help="do not keep or replay failures between runs")  # fmt: skip
    p.add_argument(
        "--strict",
        action="store_true",
        help="the survey's warnings (an intent of the catalogue not served) fail too",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    report_options(p, junit="a case per phase")
    baseline_options(p)
    code_coverage_option(p)
    p.set_defaults(handler=cmd_fuzz)
