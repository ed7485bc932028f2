"""``botwebhook listen``, ``redact`` and ``replay``: real platform traffic, forwarded,
recorded, redacted and replayed."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness._cli_common import SECONDS, CliError, add_secret_option, number, resolve_secret
from harness._cli_targets import TARGET_HELP

__all__ = ["register"]


def _read(path: str) -> tuple[list[Any], list[Any]]:
    from harness._cassette import read_cassette

    if not Path(path).is_file():
        raise CliError(f"{path!r}: no such cassette")
    return read_cassette(path)


def _target(spec: str | None, secret: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    from harness._loader import load_target
    from harness._signing import Secret, generate_secret
    from harness.reference import make_app

    if spec is None:
        secret = secret or Secret(generate_secret())
        return load_target(make_app(secret=secret)), secret
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise CliError(f"--ca-bundle {args.ca_bundle!r}: no such file")
    path = getattr(args, "path", None)  # listen forwards to a URL: it has no --path
    target = load_target(spec, insecure=args.insecure, ca_bundle=args.ca_bundle,
                         connect_timeout=args.timeout, path=path)  # fmt: skip
    return target, secret


def _tls_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the TARGET's TLS certificate")  # fmt: skip
    parser.add_argument("--ca-bundle", metavar="FILE", help="trust this CA bundle for TARGET")


def cmd_listen(args: argparse.Namespace) -> int:
    from harness._cassette import CassetteWriter
    from harness._httpd import make_hardened_server
    from harness._listen import Forwarder, describe_exchange

    secret = resolve_secret(args.secret, required=False)
    if bool(args.cert) != bool(args.key):
        raise CliError("--cert and --key go together: the certificate and its private key")
    target, _ = _target(args.forward_to, None, args)
    writer = CassetteWriter(args.record) if args.record else None
    redactor = None
    if args.redact:
        if writer is None:
            raise CliError("--redact redacts what --record FILE writes: add --record")
        from harness._redact import Redactor

        redactor = Redactor(secret)
    recorder: Any = writer
    if redactor is not None and writer is not None:
        recorder = _Redacting(writer, redactor)

    def line(exchange: Any, elapsed: float) -> None:
        print(describe_exchange(exchange, elapsed), flush=True)

    forwarder = Forwarder(
        target, secret=secret, record=recorder, timeout=args.timeout, on_exchange=line,
        on_refused=lambda why: print(why, flush=True),
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="botwebhook-listen-") as folder:
        pair = None
        if args.cert:
            pair = (args.cert, args.key)
        elif args.tls:
            from harness._tls import make_certificate

            certificate = make_certificate(Path(folder))
            pair = (str(certificate.cert), str(certificate.key))
        try:
            server = make_hardened_server(args.host, args.port, forwarder, certificate=pair)
        except OSError as exc:
            raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
        scheme = "https" if pair else "http"
        print(f"listening on {scheme}://{args.host}:{server.port}/, forwarding to {target.name}"
              + (f", recording to {args.record}" if args.record else "")
              + (" (redacted)" if redactor else ""), flush=True)  # fmt: skip
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:
            server.server_close()
            target.close()
            if writer is not None:
                writer.close()
    return 0


class _Redacting:
    def __init__(self, writer: Any, redactor: Any) -> None:
        self.writer, self.redactor = writer, redactor

    def write(self, entry: Any) -> None:
        self.writer.write(self.redactor.entry(entry))


def cmd_redact(args: argparse.Namespace) -> int:
    from harness._cassette import CassetteWriter
    from harness._redact import Redactor

    entries, problems = _read(args.file)
    out = Path(args.out or Path(args.file).with_suffix(".redacted.jsonl"))
    if out.resolve() == Path(args.file).resolve():
        raise CliError("--out is the input file: write the redacted cassette elsewhere")
    redactor = Redactor(resolve_secret(args.secret, required=False))
    out.unlink(missing_ok=True)
    with CassetteWriter(out) as writer:
        for entry in entries:
            redacted = redactor.entry(entry)
            writer.write(redacted)
            fields = ", ".join(redacted.redacted) or "nothing (not a platform request)"
            print(f"{entry.where} ({entry.intent}): {fields}")
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    print(f"wrote {len(entries)} redacted call(s) to {out}"
          + (f"; {len(problems)} unreadable line(s) left out" if problems else ""))  # fmt: skip
    return 2 if problems else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from harness._replay import render_json, render_junit, render_text, replay_entry

    entries, problems = _read(args.file)
    secret = resolve_secret(args.secret, required=False)
    if args.verbatim and args.target is None:
        raise CliError("--verbatim sends the recorded signatures: name the TARGET that has the "
                       "original secret")  # fmt: skip
    if args.target is not None and secret is None and not args.verbatim:
        note = "no secret (--secret or $BOTWEBHOOK_SECRET): calls are signed with a throw-away "
        print(f"botwebhook replay: {note}one, which a verifying handler refuses", file=sys.stderr)
    target, secret = _target(args.target, secret, args)
    try:
        cases = []
        for index, entry in enumerate(entries):
            name = f"{entry.intent}[{index}]"
            cases.append(replay_entry(entry, target, name=name, secret=secret,
                                      verbatim=args.verbatim, strict=args.strict,
                                      timeout=args.timeout))  # fmt: skip
    finally:
        target.close()
    if args.junit_xml:
        try:
            Path(args.junit_xml).write_text(render_junit(cases, problems), "utf-8")
        except OSError as exc:
            raise CliError(f"cannot write --junit-xml {args.junit_xml!r}: {exc.strerror}") from exc
    print(render_json(cases, problems) if args.json else render_text(cases, problems))
    if any(case.regression for case in cases):
        return 1
    return 2 if problems else 0


def register(commands: Any) -> None:
    p = commands.add_parser(
        "listen",
        help="a local endpoint for the real platform: forward, judge and record each call",
        description=(
            "Listen for the platform's calls (through your own tunnel), forward each one "
            "unchanged to TARGET, return TARGET's answer unchanged, print one line per call "
            "(intent, status, latency, what the chat user sees, findings) and, with --record, "
            "append it to a cassette.  With a secret, calls without the platform's signature "
            "are refused (401) and not forwarded.  Ctrl-C stops."
        ),
    )
    p.add_argument("--forward-to", required=True, metavar="TARGET", help=TARGET_HELP.split(";")[0])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=number(int, 0, 65535), default=8080,
                   help="port (default: 8080; 0 picks one)")  # fmt: skip
    p.add_argument(
        "--tls", action="store_true", help="https with a generated self-signed certificate"
    )
    p.add_argument("--cert", metavar="FILE", help="https with this PEM certificate (and --key)")
    p.add_argument("--key", metavar="FILE", help="the private key of --cert")
    add_secret_option(p)
    p.add_argument("--record", metavar="FILE", help="append each exchange to this cassette")
    p.add_argument("--redact", action="store_true", help="redact what --record writes")
    _tls_client_options(p)
    p.add_argument("--timeout", type=SECONDS, default=10.0, metavar="S",
                   help="the platform's timeout for the forwarded call (default: 10)")  # fmt: skip
    p.set_defaults(handler=cmd_listen)

    r = commands.add_parser(
        "redact",
        help="replace personal data in a cassette with consistent fakes",
        description=(
            "Write a copy of the cassette FILE with what users typed replaced by realistic "
            "fakes (consistent within a conversation), client variables, config API keys, "
            "chatSession and webhook_token too, re-serialized platform-exact and re-signed with "
            "--secret (else unsigned).  Lists what was replaced.  Exit 2 when a line is "
            "unreadable (it is left out, the rest is written)."
        ),
    )
    r.add_argument("file", metavar="FILE", help="the cassette (JSON Lines)")
    r.add_argument("--out", metavar="FILE", help="where to write (default: FILE.redacted.jsonl)")
    add_secret_option(r)
    r.set_defaults(handler=cmd_redact)

    y = commands.add_parser(
        "replay",
        help="send a cassette's calls again and show what changed",
        description=(
            "Send each recorded request to TARGET again (re-signed with --secret, or byte for "
            "byte with --verbatim) and compare the answers as the platform sees them: status, "
            "what the chat user sees, the context update, and the raw bytes with --strict.  "
            "Exit 0 unchanged, 1 a regression, 2 usage problems or unreadable lines."
        ),
    )
    y.add_argument("file", metavar="FILE", help="the cassette (JSON Lines)")
    y.add_argument("target", nargs="?", metavar="TARGET", help=TARGET_HELP)
    y.add_argument(
        "--path", metavar="/PATH",
        help="where an in-process app takes its webhook (default: / when it takes a POST, "
        "else the one route that does)",
    )  # fmt: skip
    add_secret_option(y)
    y.add_argument(
        "--verbatim",
        action="store_true",
        help="send the recorded bytes and headers as they are (the original secret)",
    )
    y.add_argument("--strict", action="store_true", help="compare the raw answer bytes too")
    y.add_argument("--timeout", type=SECONDS, default=10.0, metavar="S",
                   help="the platform's timeout (default: 10)")  # fmt: skip
    _tls_client_options(y)
    y.add_argument("--json", action="store_true", help="print the results as JSON")
    y.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
    y.set_defaults(handler=cmd_replay)
