"""``botwebhook serve``: the reference handler over real HTTP(S)."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.cli._common import (
    EXIT_OK,
    CliError,
    add_secret_option,
    number,
    resolve_secret,
    serve_until_stopped,
)
from harness.protocol._signing import Secret, redact_secret

__all__ = ["register"]


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.delivery._hardened_server import make_hardened_server
    from harness.delivery._tls import make_certificate
    from harness.reference import make_app

    secret = resolve_secret(
        args.secret,
        required=not args.no_signature,
        hint=" (or --no-signature for a plain-http endpoint, which the platform does not sign)",
    )
    app = make_app(
        secret=secret,
        require_signature=not args.no_signature,
        max_body=args.max_body,
        passthrough=args.passthrough,
    )
    pair: tuple[str, str] | None = None
    with tempfile.TemporaryDirectory(prefix="botwebhook-tls-") as folder:
        if args.tls:
            certificate = make_certificate(Path(folder))
            pair = (str(certificate.cert), str(certificate.key))
        said = io.StringIO()
        try:
            # werkzeug prints its own message and exits when it cannot bind: keep it one line
            with contextlib.redirect_stderr(said):
                server = make_hardened_server(args.host, args.port, app, certificate=pair)
        except (OSError, SystemExit) as exc:
            reason = (said.getvalue().strip().splitlines() or [str(exc)])[0]
            raise CliError(f"cannot listen on {args.host}:{args.port}: {reason}") from exc
        ca = certificate.cert if args.tls else None
        try:  # Ctrl-C or SIGTERM stop it, from the first line printed on
            serve_until_stopped(server, lambda: _announce(args, server.port, secret, ca))
        finally:
            server.server_close()
    print("botwebhook serve: stopped", file=sys.stderr, flush=True)
    return EXIT_OK


def _announce(args: argparse.Namespace, port: int, secret: Secret | None, ca: Path | None) -> None:
    scheme = "https" if args.tls else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    shown = redact_secret(secret) if secret else "none"
    mode = "passthrough" if args.passthrough else "intent webhooks and passthrough"
    optional = "; signatures optional" if args.no_signature else ""
    print(
        f"botwebhook serve: listening on {scheme}://{host}:{port}/ "
        f"({mode}; secret {shown}{optional})",
        flush=True,
    )
    if ca is not None:
        print(f"botwebhook serve: self-signed certificate (CA bundle): {ca}", flush=True)
    print("botwebhook serve: Ctrl-C stops", flush=True)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "serve",
        help="serve the reference handler over HTTP(S)",
        description=(
            "Serve the reference webhook handler (harness.reference) on a threaded werkzeug "
            "server, for local testing.  For real use, run the same WSGI app under a "
            "production server (see docs/manual/reference-handler.md)."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=number(int, 0, 65535), default=8080,
        help="port (default: 8080; 0 picks one)",
    )  # fmt: skip
    add_secret_option(p)
    p.add_argument(
        "--no-require-signature", "--no-signature", dest="no_signature", action="store_true",
        help="accept unsigned requests (plain-http endpoints are not signed); a wrong "
        "signature is still refused, and without a secret so is every signature",
    )  # fmt: skip
    p.add_argument(
        "--tls", action="store_true", help="https with a generated self-signed certificate"
    )
    p.add_argument("--passthrough", action="store_true", help="answer every call as passthrough")
    p.add_argument(
        "--max-body", type=number(int, 1, 2**31, "of bytes"), default=1024 * 1024,
        metavar="BYTES",
        help="refuse larger bodies with 413 (default: 1 MiB)",
    )  # fmt: skip
    p.set_defaults(handler=cmd_serve)
