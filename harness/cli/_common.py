"""What every ``botwebhook`` command shares: exit codes, the one-line usage error,
reading input, the secret, number options.  (``harness.cli`` builds the parser.)"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from harness._errors import BotWebhookError
from harness.checks._result import Format
from harness.protocol._signing import Secret, redact_secret

if TYPE_CHECKING:
    from harness.checks._baseline import Baseline
    from harness.checks._fuzz_report import FuzzReport
    from harness.checks._result import Report, Result

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "REPORT_FILES",
    "SECONDS",
    "SECRET_ENV",
    "SECRET_OPTIONS",
    "CliError",
    "Parser",
    "add_secret_option",
    "baseline_options",
    "emit",
    "hide_secrets",
    "number",
    "opened_baseline",
    "read_input",
    "report_options",
    "require_output",
    "require_reports",
    "resolve_secret",
    "secret_values",
    "settled",
    "write_bytes",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SECRET_ENV = "BOTWEBHOOK_SECRET"


class CliError(BotWebhookError):
    """A problem with what was typed on the command line (exit status 2)."""


#: Options whose value is a secret (argparse also takes any unambiguous abbreviation).
SECRET_OPTIONS = ("--secret", "--test-secret")
#: A token that looks like a webhook secret wherever it stands: 32 or more hex digits.
_SECRET_LOOKING = re.compile(r"[0-9A-Fa-f]{32,}")


def secret_values(tokens: Sequence[str]) -> list[str]:
    """The values in ``tokens`` that are, or look like, a secret: the one after
    ``--secret``/``--test-secret`` (or an abbreviation of them, or after ``=``), any
    token of 32 hex digits or more, and ``$BOTWEBHOOK_SECRET``'s value."""
    found: list[str] = []
    after_option = False
    for token in tokens:
        if after_option:
            found.append(token)
        option, equals, value = token.partition("=")
        after_option = not equals and _names_secret_option(option)
        if equals and _names_secret_option(option):
            found.append(value)
        found.extend(_SECRET_LOOKING.findall(token))
    if os.environ.get(SECRET_ENV):
        found.append(os.environ[SECRET_ENV])
    return sorted({value for value in found if value}, key=len, reverse=True)


def _names_secret_option(option: str) -> bool:
    return len(option) >= 5 and any(name.startswith(option) for name in SECRET_OPTIONS)


def hide_secrets(message: str, tokens: Sequence[str]) -> str:
    """``message`` with every secret value of ``tokens`` shown only redacted."""
    for value in secret_values(tokens):  # whole tokens only: a secret "a" keeps "arguments"
        pattern = rf"(?<![^\s'\"=]){re.escape(value)}(?![^\s'\",)])"
        message = re.sub(pattern, redact_secret(value).replace("\\", "\\\\"), message)
    return _SECRET_LOOKING.sub(lambda match: redact_secret(match.group()), message)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not usage text plus a message, and
    never shows a secret that was typed: argparse quotes what it did not understand
    ("unrecognized arguments: --secret …"), so the message and the usage line are
    redacted first."""

    _tokens: Sequence[str] = ()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._tokens = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        tokens = [*self._tokens, *sys.argv[1:]]
        message = hide_secrets(message, tokens)
        prog = hide_secrets(self.prog, tokens)
        self.exit(EXIT_USAGE, f"{prog}: error: {message} (see '{prog} --help')\n")

    def format_usage(self) -> str:
        return hide_secrets(super().format_usage(), [*self._tokens, *sys.argv[1:]])


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


def require_output(
    option: str,
    path: str | Path | None,
    *,
    kind: str = "file",
    example: str = "report.xml",
    no_links: bool = False,
) -> Path | None:
    """Refuse, before anything runs, an output path that cannot be written: ``kind``
    ``file`` (not a folder, its folder there and writable; never a symbolic link
    with ``no_links``: files that hold chat text), ``folder`` (an existing, writable
    folder) or ``prefix`` (the start of file names: its folder there and writable).
    Returns the path (None for None)."""
    if path is None:
        return None
    target = Path(path)
    shown = f"{option} {str(target)!r}"
    if kind == "folder":
        if target.exists() and not target.is_dir():
            raise CliError(f"{shown} is a file, not a folder (hint: name a folder to save into)")
        if not target.is_dir():
            raise CliError(f"{shown}: no such folder (hint: create it first)")
        folder = target
    else:
        if no_links and target.is_symlink():
            raise CliError(
                f"{shown} is a symbolic link: refused (hint: a file that holds chat text is "
                "never written through a link; name the real file)"
            )
        if kind == "file" and target.is_dir():
            raise CliError(f"{shown} is a folder (hint: give a file name, e.g. {target / example})")
        folder = target.parent
        if not folder.is_dir():
            raise CliError(
                f"{shown}: the folder {str(folder)!r} does not exist (hint: create it first)"
            )
    if not os.access(folder, os.W_OK) or (
        kind != "folder" and target.exists() and not os.access(target, os.W_OK)
    ):
        raise CliError(f"{shown}: cannot write there (hint: check its permissions)")
    return target


def write_bytes(data: bytes) -> None:
    """Write exact bytes to standard output; a newline is added only on a terminal."""
    sys.stdout.buffer.write(data)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def serve_until_stopped(server: Any, announce: Callable[[], None]) -> None:
    """Run ``server`` on a thread of its own until SIGINT (Ctrl-C) or SIGTERM, then stop
    it; ``announce`` prints the first lines once the signals are taken.

    The signals only set a flag that this thread reads every 0.1 s. Stopping by
    ``KeyboardInterrupt`` was not reliable: raised while the garbage collector ran a
    finalizer on the main thread, it is reported as "Exception ignored" and lost, and
    the server went on serving after Ctrl-C.
    """
    import signal
    import threading
    import time

    received: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        announce()
        thread = threading.Thread(target=server.serve_forever, name="botwebhook-serve",
                                  daemon=True)  # fmt: skip
        thread.start()
        while not received and thread.is_alive():
            time.sleep(0.1)
        server.shutdown()  # returns at once if serving already ended
        thread.join(5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


#: The report files a run can write: its option's dest, flag, format, help and example.
REPORT_FILES: tuple[tuple[str, str, Format, str, str], ...] = (
    ("junit_xml", "--junit-xml", "junit", "also write a JUnit XML report", "report.xml"),
    ("sarif", "--sarif", "sarif", "also write SARIF 2.1.0 (GitHub code scanning)",
     "report.sarif"),
    ("html_report", "--html", "html", "also write a self-contained HTML report", "report.html"),
)  # fmt: skip


def report_options(parser: argparse.ArgumentParser, *, junit: str = "") -> None:
    """``--junit-xml``, ``--sarif`` and ``--html``, the same for every command that runs
    checks; ``junit`` says what a JUnit case is for this command; and ``--docs-url``."""
    for dest, flag, _, help_text, _ in REPORT_FILES:
        shown = f"{help_text} ({junit})" if junit and dest == "junit_xml" else help_text
        parser.add_argument(flag, dest=dest, metavar="FILE", help=shown)
    from harness.cli._pages import docs_url_option

    docs_url_option(parser)


def require_reports(args: argparse.Namespace) -> None:
    """Every report file asked for, checked before the run (see :func:`require_output`)."""
    for dest, flag, _, _, example in REPORT_FILES:
        require_output(flag, getattr(args, dest, None), example=example)


def emit(result: Result, args: argparse.Namespace, *, strict: bool = False) -> None:
    """A run's result out, one way for every command: ``--junit-xml FILE``,
    ``--sarif FILE`` and ``--html FILE`` written when asked, then the result
    printed as ``--json`` or text (``--verbose``)."""
    from harness.checks._workspace import save_file

    for option, flag, format, _, _ in REPORT_FILES:
        path = getattr(args, option, None)
        if path:
            file = Path(path)
            text = result.render(format, strict=strict).encode("utf-8")
            try:  # they quote chat text: 0600, and a symlink there is replaced, not followed
                save_file(file.parent, file.name, text)
            except OSError as exc:
                raise CliError(f"cannot write {flag} {path!r}: {exc.strerror}") from exc
    session = getattr(args, "code_session", None)
    if session is not None and hasattr(result, "code_coverage"):
        result.code_coverage = session.result(getattr(args, "code_roots", ()))
    verbose = getattr(args, "verbose", False)
    if os.environ.get("GITHUB_ACTIONS") == "true" and hasattr(result, "located"):
        from harness.checks._sarif import workflow_commands

        # Workflow commands are read from the output; with --json, stderr keeps it JSON.
        stream = sys.stderr if getattr(args, "json", False) else sys.stdout
        for line in workflow_commands(result.located()):
            print(line, file=stream)
    if getattr(args, "json", False):
        print(result.render("json", verbose=verbose, strict=strict))
    else:
        print(result.render("text", verbose=verbose, strict=strict))
        coverage = getattr(result, "coverage", None)
        if getattr(args, "coverage", False) and coverage is not None:
            print(coverage.render_text())
        code = getattr(result, "code_coverage", None)
        if code is not None:
            print(code.render_text())


def baseline_options(parser: argparse.ArgumentParser) -> None:
    """``--baseline FILE``, ``--update-baseline`` and ``--coverage``, the same for
    every command that runs checks."""
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="leave out the findings this file accepted: fail only on new ones",
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="accept every finding of this run: write them to --baseline FILE",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="also print which cells of the bot model the run exercised (intents × shapes, "
        "variables, languages and channels, answers, probes)",
    )


def opened_baseline(args: argparse.Namespace) -> Baseline | None:
    """The baseline to apply, read before the run (a bad file is one line, exit 2)."""
    from harness.checks._baseline import Baseline

    if args.update_baseline:
        if not args.baseline:
            raise CliError(
                "--update-baseline writes the file --baseline names: add "
                "--baseline FILE (e.g. --baseline botwebhook-baseline.json)"
            )
        require_output("--baseline", args.baseline, example="botwebhook-baseline.json")
        return None
    return Baseline.read(args.baseline) if args.baseline else None


def settled(
    result: Report | FuzzReport, args: argparse.Namespace, baseline: Baseline | None
) -> None:
    """Apply the baseline to ``result``; with ``--update-baseline``, first accept
    every finding of it into the file."""
    from harness.checks._baseline import Baseline

    if args.update_baseline:
        count = Baseline.write(args.baseline, result.located())
        print(f"botwebhook: accepted {count} finding(s) into {args.baseline}", file=sys.stderr)
        baseline = Baseline.read(args.baseline)
    if baseline is not None:
        baseline.settle(result)
