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
from typing import Any, NoReturn

from harness._errors import BotWebhookError
from harness._signing import Secret
from harness._version import __version__

__all__ = ["CliError", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SECRET_ENV = "BOTWEBHOOK_SECRET"


class CliError(BotWebhookError):
    """A problem with what was typed on the command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not usage text plus a message."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def read_input(path: str) -> bytes:
    """The exact bytes of ``path``, or of standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CliError(f"cannot read {path!r}: {reason}") from exc


def resolve_secret(given: str | None, *, required: bool = True, hint: str = "") -> Secret | None:
    """``--secret`` if given, else ``$BOTWEBHOOK_SECRET``, as a :class:`Secret`;
    never empty.  Without either: an error when ``required`` (``hint`` says what
    else would do), else None."""
    secret = Secret.of(given if given is not None else os.environ.get(SECRET_ENV))
    if secret is None:
        if required:
            raise CliError(f"no secret: pass --secret S or set {SECRET_ENV}{hint}")
        return None
    if not secret:
        raise CliError(
            "the secret is empty: pass the bot's 40-character webhook secret with --secret "
            f"or {SECRET_ENV}"
        )
    return secret


def number(kind: type, low: float, high: float, unit: str = "") -> Callable[[str], Any]:
    """An argparse type: a finite ``kind`` (int or float) from ``low`` to ``high``, or
    a one-line error that says the allowed range (NaN, infinity, zero and negative
    numbers are refused where they make no sense)."""
    import math

    shown = f" {unit}" if unit else ""
    if kind is float:
        floor = "more than 0" if low == 0 else f"at least {low:g}"
        allowed = f"a number{shown} {floor} and at most {high:g}"
    else:
        allowed = f"a whole number{shown} from {int(low)} to {int(high)}"

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {allowed}") from None
        fine = math.isfinite(value) and value <= high
        fine = fine and (value > 0 if low == 0 and kind is float else value >= low)
        if not fine:
            raise argparse.ArgumentTypeError(f"{text} is not {allowed}")
        return value

    return parse


#: --timeout: the platform's is 10 s; an hour is more than anyone waits.
SECONDS = number(float, 0, 3600, "of seconds")


def add_secret_option(parser: argparse.ArgumentParser) -> None:
    """The ``--secret S`` option every command that signs or verifies shares."""
    parser.add_argument(
        "--secret",
        metavar="S",
        help=f"the bot's webhook secret (default: ${SECRET_ENV}, which is safer: a --secret "
        "value shows in the process list); never printed in full",
    )


def write_bytes(data: bytes) -> None:
    """Write exact bytes to standard output; a newline is added only on a terminal."""
    sys.stdout.buffer.write(data)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from harness import _cli_check, _cli_protocol, _cli_serve

    parser = _Parser(
        prog="botwebhook",
        description="Test, fuzz and mock chatbot-platform webhooks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _cli_protocol.register(commands)
    _cli_serve.register(commands)
    _cli_check.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except BotWebhookError as exc:
        print(f"botwebhook {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"botwebhook {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`botwebhook payload ... | head`): not our error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # python -m harness.cli (the console script calls main())
    sys.exit(main())
