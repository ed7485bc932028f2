"""The target options ``check``, ``send`` and ``fuzz`` share, and opening the target
they name (the embedded reference handler when none is named)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.cli._code_coverage import code_measured
from harness.cli._common import (
    SECONDS,
    CliError,
    add_secret_option,
    number,
    resolve_secret,
)
from harness.platform._budget import DEFAULT_TIMEOUT, MAX_ANSWER
from harness.protocol._signing import Secret

__all__ = ["TARGET_HELP", "chosen_model", "opened_target", "sign_mode", "target_options"]

TARGET_HELP = (
    "a WSGI import string (package.module:app, path/app.py:app) or an http(s):// URL; "
    "default: the embedded reference handler"
)


@contextmanager
def opened_target(args: argparse.Namespace) -> Iterator[tuple[Any, Secret | None]]:
    """The target and the secret to use (generated for the reference handler); the
    target's connections are closed afterwards."""
    with code_measured(args) as loaded:  # before the handler is imported: its import counts
        target, secret = _load(args, resolve_secret(args.secret, required=False))
        try:
            loaded(target)
            yield target, secret
        finally:
            target.close()


def _load(args: argparse.Namespace, secret: Secret | None) -> tuple[Any, Secret | None]:
    from harness.delivery._capture import install_routers
    from harness.delivery._loader import load_target
    from harness.delivery._transport import WsgiTarget
    from harness.protocol._signing import generate_secret
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
        return WsgiTarget(app, name, capture=capture, path=args.path), secret
    target = load_target(
        args.target,
        insecure=args.insecure,
        ca_bundle=args.ca_bundle,
        connect_timeout=args.timeout,
        capture=capture,
        max_answer=args.max_answer,
        path=args.path,
    )
    return target, secret


def sign_mode(args: argparse.Namespace) -> bool | None:
    return {None: None, "always": True, "never": False}[args.sign]


def target_options(p: argparse.ArgumentParser, *, seed: str = "0", intents: bool = True) -> None:
    add_secret_option(p)
    p.add_argument("--model", metavar="FILE", help="bot model: botwebhook.toml or pyproject.toml")
    p.add_argument(
        "--path", metavar="/PATH",
        help="where an in-process app takes its webhook, e.g. /getWeather (default: / when it "
        "takes a POST, else the one route of a Flask, Starlette, FastAPI or Django app that "
        "does); a URL carries its own path",
    )  # fmt: skip
    if intents:
        p.add_argument(
            "--intent", action="append", dest="intents", metavar="NAME",
            help="only this intent of the model (or of the built-in catalogue); repeatable.  "
            "Named intents are the webhook's own: one it does not serve is an error",
        )  # fmt: skip
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


def chosen_model(args: argparse.Namespace) -> Any:
    """The bot model ``--model`` (or the current folder) declares, limited to the
    ``--intent`` names; None for the built-in catalogue with no intent named."""
    from harness.cli._protocol import load_bot_model
    from harness.model._files import scope_model

    return scope_model(load_bot_model(args.model), getattr(args, "intents", None))
