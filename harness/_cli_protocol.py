"""CLI commands on the protocol itself: payload, fixtures, sign, verify, check."""

from __future__ import annotations

import argparse
import time
from typing import Any

from harness._errors import InvalidPayloadError
from harness._fixtures import fixture_info, fixture_names, load_fixture
from harness._request import WebhookRequest
from harness._response import WebhookResponse
from harness._signing import (
    generate_secret,
    redact_secret,
    sign,
    signature_problem,
)
from harness.cli import (
    EXIT_FAILED,
    EXIT_OK,
    SECRET_ENV,
    CliError,
    read_input,
    resolve_secret,
    write_bytes,
)

__all__ = ["register"]


def cmd_payload(args: argparse.Namespace) -> int:
    if args.from_file is not None and args.fixture is not None:
        raise CliError("pass either --from FILE or --fixture NAME, not both")
    if args.fixture is not None:
        write_bytes(load_fixture(args.fixture))
        return EXIT_OK
    if args.from_file is None:
        raise CliError("nothing to print: pass --from FILE (or -) or --fixture NAME")
    body = read_input(args.from_file)
    try:
        request = WebhookRequest.from_bytes(body)
    except InvalidPayloadError as exc:
        source = "standard input" if args.from_file == "-" else repr(args.from_file)
        raise CliError(f"{source} is not a webhook request: {exc}") from exc
    write_bytes(request.to_bytes())
    return EXIT_OK


def cmd_fixtures(args: argparse.Namespace) -> int:
    names = fixture_names(args.kind)
    width = max(len(n) for n in names)
    for name in names:
        info = fixture_info(name)
        print(f"{name:<{width}}  {info.kind:<8}  {info.description}")
    return EXIT_OK


def cmd_sign(args: argparse.Namespace) -> int:
    secret = resolve_secret(args.secret)
    print(sign(read_input(args.file), secret))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    secret = resolve_secret(args.secret)
    problem = signature_problem(read_input(args.file), args.signature, secret)
    if problem is None:
        print("valid")
        return EXIT_OK
    print(f"invalid: {problem}")
    return EXIT_FAILED


def _round_trip(name: str, secret: str) -> list[str]:
    """Problems found with one fixture: byte-exact round trip and signing."""
    body = load_fixture(name)
    problems: list[str] = []
    model: Any = WebhookRequest if fixture_info(name).kind == "request" else WebhookResponse
    again = model.from_bytes(body).to_bytes()
    if again != body:
        problems.append(f"re-serialized to {len(again)} bytes, not the same {len(body)}")
    header = sign(body, secret)
    if signature_problem(body, header, secret) is not None:
        problems.append("its own signature does not verify")
    if signature_problem(body + b" ", header, secret) is None:
        problems.append("a signature still verifies after the body changed")
    return problems


def cmd_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    secret = args.secret if args.secret else generate_secret()
    failed = 0
    names = fixture_names()
    for name in names:
        problems = _round_trip(name, secret)
        failed += bool(problems)
        for problem in problems:
            print(f"FAIL {name}: {problem}")
    elapsed = time.perf_counter() - started
    print(
        f"protocol self-check: {len(names)} fixtures, {len(names) - failed} exact round trips "
        f"and signatures (secret {redact_secret(secret)}), {elapsed:.2f}s"
    )
    return EXIT_FAILED if failed else EXIT_OK


def _add_secret(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret",
        metavar="S",
        help=f"the bot's webhook secret (default: ${SECRET_ENV}); never printed in full",
    )


def _add_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="the exact body bytes, read as-is (default: - for standard input)",
    )


def register(commands: Any) -> None:
    """Add this module's commands to the ``botwebhook`` sub-command parser."""
    p = commands.add_parser(
        "payload",
        help="print a webhook request body as exact platform bytes",
        description="Print a webhook request body exactly as the platform would send it.",
    )
    p.add_argument(
        "--from", dest="from_file", metavar="FILE", help="re-emit FILE's payload (- for stdin)"
    )
    p.add_argument("--fixture", metavar="NAME", help="print a canonical fixture (see 'fixtures')")
    p.set_defaults(handler=cmd_payload)

    p = commands.add_parser(
        "fixtures", help="list the canonical fixtures", description="List the canonical fixtures."
    )
    p.add_argument("--kind", choices=("request", "response"), help="only this kind")
    p.set_defaults(handler=cmd_fixtures)

    p = commands.add_parser(
        "sign",
        help="print the X-Hub-Signature value for a body",
        description="Print the X-Hub-Signature header value (sha256=<hex>) for FILE's exact bytes.",
    )
    _add_secret(p)
    _add_file(p)
    p.set_defaults(handler=cmd_sign)

    p = commands.add_parser(
        "verify",
        help="check an X-Hub-Signature value (exit 0 valid, 1 invalid)",
        description="Check a signature against FILE's exact bytes: exit 0 when valid, 1 when not.",
    )
    _add_secret(p)
    p.add_argument("--signature", required=True, metavar="H", help="the header value, sha256=...")
    _add_file(p)
    p.set_defaults(handler=cmd_verify)

    p = commands.add_parser(
        "check",
        help="check a webhook handler against the platform's contract",
        description=(
            "Check a webhook handler against the platform's contract.  For now this runs the "
            "protocol self-check: every canonical fixture must re-serialize to its exact bytes "
            "and sign and verify correctly."
        ),
    )
    _add_secret(p)
    p.set_defaults(handler=cmd_check)
