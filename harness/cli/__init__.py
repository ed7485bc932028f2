"""The ``botwebhook`` command line.

Every command prints one clear line and exits 2 on bad input, never a
traceback: errors raised by the harness carry their own message, and this
module turns them into that line.  Exit codes: 0 success, 1 a negative
result (invalid signature, findings), 2 usage or input problems.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness._errors import BotWebhookError
from harness._interrupt import exit_now, interrupted_early
from harness._lazy import lazy_attributes
from harness._version import __version__

if TYPE_CHECKING:
    from harness.cli._common import CliError

__all__ = ["CliError", "entry", "main"]

# The commands load inside main(), where Ctrl-C is one line: importing this module
# (the console script does first) costs next to nothing.
__getattr__ = lazy_attributes(globals(), {"CliError": "harness.cli._common"})


Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from harness.cli import (
        _check,
        _converse,
        _explain,
        _fuzz,
        _load,
        _protocol,
        _replay,
        _send,
        _serve,
    )
    from harness.cli._common import Parser

    parser = Parser(
        prog="botwebhook",
        description="Test, fuzz and mock chatbot-platform webhooks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    _protocol.register(commands)
    _serve.register(commands)
    _check.register(commands)
    _explain.register(commands)
    _converse.register(commands)
    _fuzz.register(commands)
    _send.register(commands)
    _load.register(commands)
    _replay.register(commands)
    return parser


def entry() -> None:
    """The ``botwebhook`` console script: :func:`main`, then exit with its status."""
    exit_now(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    try:
        from harness.cli._common import EXIT_OK, EXIT_USAGE, hide_secrets

        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:  # Ctrl-C before the command began
        return interrupted_early(list(sys.argv[1:] if argv is None else argv))
    handler: Handler = args.handler
    try:
        from harness.cli._pages import use_docs_url

        use_docs_url(args)
        return handler(args)
    except BotWebhookError as exc:  # a message may quote what was typed: never a secret
        message = hide_secrets(str(exc), list(sys.argv[1:] if argv is None else argv))
        print(f"botwebhook {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"botwebhook {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`botwebhook payload ... | head`): not our error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
