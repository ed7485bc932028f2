"""``botwebhook send``: one webhook call, and what the chat user would see."""

from __future__ import annotations

import argparse
from typing import Any

from harness.cli._common import EXIT_FAILED, EXIT_OK, CliError
from harness.cli._pages import docs_url_option
from harness.cli._protocol import load_bot_model, parse_vars
from harness.cli._targets import TARGET_HELP, opened_target, sign_mode, target_options
from harness.protocol._request import LANGUAGES

__all__ = ["register"]


def cmd_send(args: argparse.Namespace) -> int:
    from harness.delivery._exchange import deliver
    from harness.protocol._fixtures import fixture_info, load_fixture

    if args.fixture and (args.intent or args.var or args.shape):
        raise CliError("--fixture sends a canonical body; it cannot be combined with --intent")
    if args.fixture:
        if fixture_info(args.fixture).kind != "request":
            raise CliError(f"--fixture {args.fixture}: a response fixture, not a request")
        body: Any = load_fixture(args.fixture)
    else:
        from harness.model._factory import PayloadFactory

        factory = PayloadFactory(load_bot_model(args.model), seed=args.seed)
        body = factory.build(
            intent=args.intent,
            shape=args.shape,
            language=args.language,
            values=parse_vars(args.var or []) or None,
            text="plain",
        )
    with opened_target(args) as (target, secret):
        exchange = deliver(
            target, body, secret=secret, signed=sign_mode(args), timeout=args.timeout
        )
    sent, got = exchange.sent, exchange.received
    print(f"> {sent.method} {sent.url}")
    for name, value in sent.headers.items():
        print(f"> {name}: {value}")
    print(f"> {_shown(sent.body)}")
    if exchange.delivery.failure:
        print(f"< failed: {exchange.delivery.failure}")
    elif got is not None:
        print(f"< {got.status} ({got.elapsed * 1000:.1f} ms)")
        for name, value in got.headers.items():
            print(f"< {name}: {value}")
        print(f"< {_shown(got.body, got.size)}")
    print(exchange.outcome.describe())
    for finding in exchange.findings:
        print(f"{finding.code} {finding.severity}: {finding.title}: {finding.evidence}")
        print(f"  more: {finding.about}")
    return EXIT_OK if exchange.ok else EXIT_FAILED


_SHOWN_BYTES = 4000


def _shown(body: bytes, size: int | None = None) -> str:
    """A body as text, at most 4,000 bytes of it, saying how much was left out."""
    size = len(body) if size is None else size
    text = body[:_SHOWN_BYTES].decode("utf-8", "replace")
    return text if size <= _SHOWN_BYTES else f"{text}… ({size - _SHOWN_BYTES} more bytes)"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "send",
        help="send one webhook call and show what the user would see",
        description="Send one webhook call to TARGET and print the request, the response "
        "and the platform's outcome.",
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)
    target_options(p, intents=False)
    p.add_argument("--fixture", metavar="NAME", help="send a canonical request fixture")
    p.add_argument("--intent", metavar="NAME", help="the intent (default: any)")
    p.add_argument("--var", action="append", metavar="LABEL=VALUE", help="a variable's value")
    p.add_argument("--shape", choices=("A", "B", "P"), help="A, B or P (default: mixed)")
    p.add_argument("--language", choices=LANGUAGES)
    docs_url_option(p)
    p.set_defaults(handler=cmd_send)
