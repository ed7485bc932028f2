"""``botwebhook check`` and ``botwebhook send``: the platform's view of a handler."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness._cli_protocol import load_bot_model, parse_vars
from harness._findings import CODES
from harness._request import LANGUAGES
from harness._signing import Secret
from harness._transport import DEFAULT_TIMEOUT, MAX_ANSWER
from harness.cli import (
    EXIT_FAILED,
    EXIT_OK,
    SECONDS,
    CliError,
    add_secret_option,
    number,
    resolve_secret,
)

__all__ = ["register"]


@contextmanager
def _opened_target(args: argparse.Namespace) -> Iterator[tuple[Any, Secret | None]]:
    """The target and the secret to use (generated for the reference handler); the
    target's connections are closed afterwards."""
    target, secret = _target(args, resolve_secret(args.secret, required=False))
    try:
        yield target, secret
    finally:
        target.close()


def _target(args: argparse.Namespace, secret: Secret | None) -> tuple[Any, Secret | None]:
    from harness._capture import install_routers
    from harness._loader import load_target
    from harness._signing import generate_secret
    from harness._transport import WsgiTarget
    from harness.reference import make_app

    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise CliError(f"--ca-bundle {args.ca_bundle!r}: no such file")
    capture = not args.show_output
    if capture:  # before the handler is imported, so its log handlers write through them
        install_routers()
    if args.target is None:
        secret = secret or Secret(generate_secret())
        app = make_app(secret=secret, passthrough=getattr(args, "passthrough", False))
        name = "the embedded reference handler (harness.reference)"
        return WsgiTarget(app, name, capture=capture), secret
    target = load_target(
        args.target,
        insecure=args.insecure,
        ca_bundle=args.ca_bundle,
        connect_timeout=args.timeout,
        capture=capture,
        max_answer=args.max_answer,
    )
    return target, secret


def _sign_mode(args: argparse.Namespace) -> bool | None:
    return {None: None, "always": True, "never": False}[args.sign]


def parse_ignore(values: list[str] | None) -> list[str]:
    codes = [c.strip().upper() for value in values or () for c in value.split(",") if c.strip()]
    for code in codes:
        if code not in CODES:
            raise CliError(f"--ignore {code}: no such finding code (codes: {', '.join(CODES)})")
    return codes


def cmd_check(args: argparse.Namespace) -> int:
    from harness._check import run_check
    from harness._progress import progress
    from harness._report import render_json, render_junit, render_text

    ignore = parse_ignore(args.ignore)
    model = load_bot_model(args.model)
    with (
        _opened_target(args) as (target, secret),
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
            sign=_sign_mode(args),
            robustness="robustness" in (args.probe or ()),
            workers=args.workers,
            keep_going=args.keep_going,
            on_exchange=on_exchange,
        )
    if args.junit_xml:
        try:
            Path(args.junit_xml).write_text(render_junit(report, strict=args.strict), "utf-8")
        except OSError as exc:
            raise CliError(f"cannot write --junit-xml {args.junit_xml!r}: {exc.strerror}") from exc
    print(render_json(report) if args.json else render_text(report, verbose=args.verbose))
    if report.interrupted:
        return 130
    return report.exit_code(strict=args.strict)


def cmd_send(args: argparse.Namespace) -> int:
    from harness._exchange import deliver
    from harness._fixtures import fixture_info, load_fixture

    if args.fixture and (args.intent or args.var or args.shape):
        raise CliError("--fixture sends a canonical body; it cannot be combined with --intent")
    if args.fixture:
        if fixture_info(args.fixture).kind != "request":
            raise CliError(f"--fixture {args.fixture}: a response fixture, not a request")
        body: Any = load_fixture(args.fixture)
    else:
        from harness._factory import PayloadFactory

        factory = PayloadFactory(load_bot_model(args.model), seed=args.seed)
        body = factory.build(
            intent=args.intent,
            shape=args.shape,
            language=args.language,
            values=parse_vars(args.var or []) or None,
            text="plain",
        )
    with _opened_target(args) as (target, secret):
        exchange = deliver(target, body, secret=secret, sign=_sign_mode(args), timeout=args.timeout)
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
    return EXIT_OK if exchange.ok else EXIT_FAILED


_SHOWN_BYTES = 4000


def _shown(body: bytes, size: int | None = None) -> str:
    """A body as text, at most 4,000 bytes of it, saying how much was left out."""
    size = len(body) if size is None else size
    text = body[:_SHOWN_BYTES].decode("utf-8", "replace")
    return text if size <= _SHOWN_BYTES else f"{text}… ({size - _SHOWN_BYTES} more bytes)"


def cmd_fuzz(args: argparse.Namespace) -> int:
    from harness._fuzz import DEFAULT_DATABASE, DEFAULT_SAVE_DIR, fuzz
    from harness._progress import progress

    if args.save_dir is not None and not Path(args.save_dir).is_dir():
        raise CliError(f"--save-dir {args.save_dir!r}: no such folder")
    model = load_bot_model(args.model)
    with (
        _hypothesis_storage(args.no_database),
        _opened_target(args) as (target, secret),
        progress("calls", enabled=True) as on_exchange,
    ):
        report = fuzz(
            target,
            secret=secret,
            model=model,
            examples=args.examples,
            seed=args.seed,
            timeout=args.timeout,
            database=None if args.no_database else DEFAULT_DATABASE,
            save_dir=DEFAULT_SAVE_DIR if args.save_dir is None else args.save_dir,
            passthrough=args.passthrough,
            sign=_sign_mode(args),
            on_exchange=on_exchange,
        )
    print(report.render())
    return report.exit_code()


@contextmanager
def _hypothesis_storage(keep_nothing: bool) -> Iterator[None]:
    """Hypothesis' own files (its caches) in ``.botwebhook/hypothesis``, which git
    ignores; with ``--no-database`` in a temporary folder: nothing is left behind."""
    import os
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    from harness._fuzz import WORKSPACE, workspace

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


def _target_options(p: argparse.ArgumentParser, *, seed: str = "0") -> None:
    add_secret_option(p)
    p.add_argument("--model", metavar="FILE", help="bot model: botwebhook.toml or pyproject.toml")
    p.add_argument(
        "--seed", type=int, default=0 if seed == "0" else None, metavar="N",
        help=f"random seed (default: {seed})",
    )  # fmt: skip
    p.add_argument(
        "--timeout", type=SECONDS, default=DEFAULT_TIMEOUT, metavar="S",
        help="connect and read timeout in seconds, as the platform's (default: 10; more than "
        "0, at most 3600); a URL call ends after twice that, however it trickles",
    )  # fmt: skip
    p.add_argument(
        "--max-answer", type=number(int, 1024, 2**31, "of bytes"), default=MAX_ANSWER,
        metavar="BYTES",
        help=f"read at most this much of an answer (default: {MAX_ANSWER // 2**20} MiB); a "
        "larger one is BW208",
    )  # fmt: skip
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    p.add_argument("--ca-bundle", metavar="FILE", help="trust this CA bundle for https")
    p.add_argument(
        "--sign", choices=("always", "never"),
        help="force X-Hub-Signature on or off (default: only for https and in-process targets, "
        "as the platform)",
    )  # fmt: skip
    p.add_argument(
        "--show-output", action="store_true",
        help="let an in-process handler's prints and logs through live (default: captured "
        "and shown with its findings)",
    )  # fmt: skip


def register(commands: Any) -> None:
    target_help = (
        "a WSGI import string (package.module:app, path/app.py:app) or an http(s):// URL; "
        "default: the embedded reference handler"
    )
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
    p.add_argument("target", nargs="?", metavar="TARGET", help=target_help)
    _target_options(p)
    p.add_argument(
        "--ignore", action="append", metavar="CODES", help="finding codes to ignore, e.g. BW202"
    )
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
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
            "next time.  Exit 0 no failure, 1 a failure, 2 usage problems."
        ),
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=target_help)
    _target_options(p, seed="random: each run explores new calls")
    p.add_argument("--examples", type=number(int, 1, 10**6), default=200, metavar="N",
                   help="how many calls at most in each phase (default: 200)")  # fmt: skip
    p.add_argument("--passthrough", action="store_true", help="TARGET is a passthrough endpoint")
    p.add_argument("--save-dir", metavar="DIR",
                   help="where to save the failing bodies (default: .botwebhook/reproducers, "
                   "which ignores itself in git)")  # fmt: skip
    p.add_argument("--no-database", action="store_true",
                   help="do not keep or replay failures between runs")  # fmt: skip
    p.set_defaults(handler=cmd_fuzz)

    p = commands.add_parser(
        "send",
        help="send one webhook call and show what the user would see",
        description="Send one webhook call to TARGET and print the request, the response "
        "and the platform's outcome.",
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help=target_help)
    _target_options(p)
    p.add_argument("--fixture", metavar="NAME", help="send a canonical request fixture")
    p.add_argument("--intent", metavar="NAME", help="the intent (default: any)")
    p.add_argument("--var", action="append", metavar="LABEL=VALUE", help="a variable's value")
    p.add_argument("--shape", choices=("A", "B", "P"), help="A, B or P (default: mixed)")
    p.add_argument("--language", choices=LANGUAGES)
    p.set_defaults(handler=cmd_send)
