"""CLI commands on the protocol itself: payload, fixtures, sign, verify, check."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness._errors import InvalidPayloadError
from harness.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    add_secret_option,
    number,
    read_input,
    resolve_secret,
    write_bytes,
)
from harness.model._botmodel import BotModel
from harness.model._files import find_model, load_model
from harness.model._payload import FEATURES, TEXT_VARIANTS
from harness.protocol._fixtures import fixture_info, fixture_names, load_fixture
from harness.protocol._request import LANGUAGES, WebhookRequest
from harness.protocol._signing import sign, signature_problem

__all__ = ["register"]


_GENERATION = ("model", "intent", "var", "shape", "language", "text", "with_", "without")


def cmd_payload(args: argparse.Namespace) -> int:
    if args.from_file is not None and args.fixture is not None:
        raise CliError("pass either --from FILE or --fixture NAME, not both")
    reemit = args.from_file is not None or args.fixture is not None
    given = [name for name in _GENERATION if getattr(args, name)]
    if reemit and (given or args.count != 1 or args.seed is not None):
        option = "--" + (given[0].rstrip("_").replace("_", "-") if given else "count/--seed")
        raise CliError(f"{option} generates a payload; it cannot be combined with --from/--fixture")
    if args.fixture is not None:
        write_bytes(load_fixture(args.fixture))
        return EXIT_OK
    if args.from_file is None:
        return _generate(args)
    body = read_input(args.from_file)
    try:
        request = WebhookRequest.from_bytes(body)
    except InvalidPayloadError as exc:
        source = "standard input" if args.from_file == "-" else repr(args.from_file)
        raise CliError(f"{source} is not a webhook request: {exc}") from exc
    write_bytes(request.to_bytes())
    return EXIT_OK


def parse_vars(pairs: list[str]) -> dict[str, str]:
    """``LABEL=VALUE`` arguments as a mapping; the value is kept verbatim."""
    values: dict[str, str] = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        if not sep or not label:
            raise CliError(f"--var {pair!r} is not LABEL=VALUE")
        if label in values:
            raise CliError(f"--var {label} is given twice")
        values[label] = value
    return values


def load_bot_model(path: str | None) -> BotModel | None:
    """``--model FILE``, else a model declared in the current folder, else None."""
    return load_model(path) if path else find_model(".")


def _generate(args: argparse.Namespace) -> int:
    from harness.model._factory import PayloadFactory

    features: dict[str, bool] = {}
    for name in args.with_ or ():
        features[name] = True
    for name in args.without or ():
        if features.get(name):
            raise CliError(f"--with {name} and --without {name} contradict each other")
        features[name] = False
    factory = PayloadFactory(load_bot_model(args.model), seed=args.seed or 0)
    options: dict[str, Any] = {
        "intent": args.intent,
        "shape": args.shape,
        "language": args.language,
        "values": parse_vars(args.var or []) or None,
        "text": args.text,
        **features,
    }
    bodies = [factory.build(**options).body for _ in range(args.count)]
    if args.count == 1:
        write_bytes(bodies[0])
    else:
        sys.stdout.buffer.write(b"".join(body + b"\n" for body in bodies))
        sys.stdout.flush()
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
    assert secret is not None
    print(sign(read_input(args.file), secret))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    secret = resolve_secret(args.secret)
    assert secret is not None
    problem = signature_problem(read_input(args.file), args.signature, secret)
    if problem is None:
        print("valid")
        return EXIT_OK
    print(f"invalid: {problem}")
    return EXIT_FAILED


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
        help="print webhook request bodies as exact platform bytes",
        description=(
            "Print webhook request bodies exactly as the platform would send them: generated "
            "for the bot model (default), re-emitted from a file, or a canonical fixture.  "
            "The model is --model FILE, else botwebhook.toml or pyproject.toml "
            "[tool.botwebhook] in the current folder, else the built-in catalogue."
        ),
    )
    p.add_argument(
        "--from", dest="from_file", metavar="FILE", help="re-emit FILE's payload (- for stdin)"
    )
    p.add_argument("--fixture", metavar="NAME", help="print a canonical fixture (see 'fixtures')")
    p.add_argument("--model", metavar="FILE", help="botwebhook.toml or pyproject.toml")
    p.add_argument("--intent", metavar="NAME", help="the intent (default: any)")
    p.add_argument(
        "--var",
        action="append",
        metavar="LABEL=VALUE",
        help="a variable's value, verbatim (repeatable)",
    )
    p.add_argument(
        "--shape",
        choices=("A", "B", "P"),
        help="A first sentence, B after prompting, P passthrough (default: mixed)",
    )
    p.add_argument("--language", choices=LANGUAGES, help="default: the model's languages")
    p.add_argument("--text", choices=TEXT_VARIANTS, help="kind of user text (default: mixed)")
    p.add_argument(
        "--with", dest="with_", action="append", choices=FEATURES, metavar="FEATURE",
        help=f"switch a feature on (repeatable): {', '.join(FEATURES)}",
    )  # fmt: skip
    p.add_argument(
        "--without", action="append", choices=FEATURES, metavar="FEATURE",
        help="switch a feature off (repeatable)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: 0)")
    p.add_argument(
        "--count", type=number(int, 1, 10**6), default=1, metavar="N",
        help="N payloads, one per line (default: 1)",
    )  # fmt: skip
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
    add_secret_option(p)
    _add_file(p)
    p.set_defaults(handler=cmd_sign)

    p = commands.add_parser(
        "verify",
        help="check an X-Hub-Signature value (exit 0 valid, 1 invalid)",
        description="Check a signature against FILE's exact bytes: exit 0 when valid, 1 when not.",
    )
    add_secret_option(p)
    p.add_argument("--signature", required=True, metavar="H", help="the header value, sha256=...")
    _add_file(p)
    p.set_defaults(handler=cmd_verify)
