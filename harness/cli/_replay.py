"""``botwebhook listen``, ``redact`` and ``replay``: real platform traffic, forwarded,
recorded, redacted and replayed."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.cli._code_coverage import code_coverage_option, code_measured
from harness.cli._common import (
    SECONDS,
    CliError,
    add_secret_option,
    emit,
    number,
    report_options,
    require_output,
    require_reports,
    resolve_secret,
    serve_until_stopped,
)
from harness.cli._targets import TARGET_HELP

__all__ = ["register"]


def _read(path: str) -> tuple[list[Any], list[Any]]:
    from harness.replay._cassette import read_cassette

    if not Path(path).is_file():
        raise CliError(f"{path!r}: no such cassette")
    return read_cassette(path)


def _target(spec: str | None, secret: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    from harness.delivery._loader import load_target
    from harness.protocol._signing import Secret, generate_secret
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


def _test_secret_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--test-secret", metavar="S",
        help="sign redacted calls with this test secret (default: the test secret of the "
        "pytest plugin, pytest_botwebhook.TEST_SECRET); never the secret the traffic was "
        "recorded with, which --secret names",
    )  # fmt: skip


def _tls_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the TARGET's TLS certificate")  # fmt: skip
    parser.add_argument("--ca-bundle", metavar="FILE", help="trust this CA bundle for TARGET")


def cmd_listen(args: argparse.Namespace) -> int:
    from harness.delivery._findings import printable
    from harness.delivery._hardened_server import make_hardened_server
    from harness.replay._cassette import CassetteWriter
    from harness.replay._listen import Forwarder, bound_malloc, describe_exchange

    bound_malloc()  # before any thread starts
    secret = resolve_secret(args.secret, required=False)
    if bool(args.cert) != bool(args.key):
        raise CliError("--cert and --key go together: the certificate and its private key")
    require_output("--record", args.record, no_links=True, example="calls.jsonl")
    target, _ = _target(args.forward_to, None, args)
    writer = CassetteWriter(args.record) if args.record else None
    redactor = None
    if args.redact:
        if writer is None:
            raise CliError("--redact redacts what --record FILE writes: add --record")
        from harness.replay._redact import Redactor

        redactor = Redactor(_test_secret(args, secret))
    recorder: Any = writer
    if redactor is not None and writer is not None:
        recorder = _Redacting(writer, redactor)

    def line(exchange: Any, elapsed: float) -> None:
        print(describe_exchange(exchange, elapsed), flush=True)

    def said(text: str) -> None:
        print(printable(text), flush=True)

    forwarder = Forwarder(
        target, secret=secret, record=recorder, timeout=args.timeout, on_exchange=line,
        on_refused=said,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="botwebhook-listen-") as folder:
        pair = None
        if args.cert:
            pair = (args.cert, args.key)
        elif args.tls:
            from harness.delivery._tls import make_certificate

            certificate = make_certificate(Path(folder))
            pair = (str(certificate.cert), str(certificate.key))
        try:
            server = make_hardened_server(args.host, args.port, forwarder, certificate=pair)
        except OSError as exc:
            raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
        scheme = "https" if pair else "http"
        first = (f"listening on {scheme}://{args.host}:{server.port}/, forwarding to "
                 f"{target.name}" + (f", recording to {args.record}" if args.record else "")
                 + (" (redacted)" if redactor else ""))  # fmt: skip
        try:  # Ctrl-C or SIGTERM stop it
            serve_until_stopped(server, lambda: print(first, flush=True))
            print("stopped", file=sys.stderr)
        finally:
            server.server_close()
            target.close()
            if writer is not None:
                writer.close()
    return 0


class _Redacting:
    """Redacts each entry before it is written; a call it cannot redact is not written
    (the Forwarder says so on standard error, and answers the call as usual)."""

    def __init__(self, writer: Any, redactor: Any) -> None:
        self.writer, self.redactor = writer, redactor

    def write(self, entry: Any) -> None:
        redacted = self.redactor.entry(entry)
        if redacted is None:
            raise ValueError(self.redactor.notes.pop() if self.redactor.notes else "not redacted")
        self.writer.write(redacted)


def _test_secret(args: argparse.Namespace, recording: Any = None) -> Any:
    """The secret redacted calls are signed with: ``--test-secret``, else the plugin's
    test secret; never the secret the traffic was recorded with."""
    from harness.protocol._signing import TEST_SECRET, Secret

    chosen = Secret(getattr(args, "test_secret", None) or TEST_SECRET)
    if recording is not None and chosen == recording:
        raise CliError(
            "--test-secret is the secret the traffic was recorded with: redacted calls are "
            "signed with a test secret, so that nobody can replay them to production"
        )
    return chosen


def cmd_redact(args: argparse.Namespace) -> int:
    from harness.delivery._findings import printable
    from harness.replay._cassette import CassetteWriter
    from harness.replay._redact import Redactor

    out = Path(args.out or Path(args.file).with_suffix(".redacted.jsonl"))
    require_output("--out", out, no_links=True, example="calls.redacted.jsonl")
    if out.resolve() == Path(args.file).resolve():
        raise CliError("--out is the input file: write the redacted cassette elsewhere")
    entries, problems = _read(args.file)
    redactor = Redactor(_test_secret(args, resolve_secret(args.secret, required=False)))
    out.unlink(missing_ok=True)
    written = 0
    with CassetteWriter(out) as writer:
        for entry in entries:
            redacted = redactor.entry(entry)
            if redacted is None:
                continue
            writer.write(redacted)
            written += 1
            print(printable(f"{entry.where} ({entry.intent}): {', '.join(redacted.redacted)}"))
    for note in redactor.notes:
        print(printable(f"left out: {note}"), file=sys.stderr)
    for problem in problems:
        print(printable(f"skipped: {problem}"), file=sys.stderr)
    left = len(entries) - written
    print(f"wrote {written} redacted call(s) to {out}, signed with the test secret"
          + (f"; {left} call(s) left out" if left else "")
          + (f"; {len(problems)} unreadable line(s) left out" if problems else ""))  # fmt: skip
    return 2 if problems else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from harness.protocol._signing import redact_secret
    from harness.replay._case import ReplayRun, replay_entry
    from harness.replay._diff import Rules, read_sidecar, sidecar_path, write_sidecar

    require_reports(args)
    entries, problems = _read(args.file)
    rules = Rules.parse(read_sidecar(args.file), str(sidecar_path(args.file)))
    for rule in args.ignore or ():
        rules.add(rule, "--ignore")
    secret = resolve_secret(args.secret, required=False)
    if args.verbatim and args.target is None:
        raise CliError("--verbatim sends the recorded signatures: name the TARGET that has the "
                       "original secret")  # fmt: skip
    if args.target is not None and secret is None and not args.verbatim:
        note = "no secret (--secret or $BOTWEBHOOK_SECRET): calls are signed with a throw-away "
        print(f"botwebhook replay: {note}one, which a verifying handler refuses", file=sys.stderr)
    with code_measured(args) as loaded:
        target, secret = _target(args.target, secret, args)
        try:
            loaded(target)
            cases = []
            for index, entry in enumerate(entries):
                name = f"{entry.intent}[{index}]"
                cases.append(replay_entry(entry, target, name=name, secret=secret,
                                          verbatim=args.verbatim, strict=args.strict,
                                          timeout=args.timeout, rules=rules,
                                          twice=not args.once))  # fmt: skip
        finally:
            target.close()
    if args.learn:
        learned = list(dict.fromkeys(rule for case in cases for rule in case.learned))
        written = write_sidecar(args.file, learned)
        print(f"learned {len(learned)} rule(s) of noise: {written} (commit it with the cassette)",
              file=sys.stderr)  # fmt: skip
    shown = redact_secret(secret) if secret else "none"
    run = ReplayRun(cases, list(problems), {"target": target.name, "secret": shown})
    emit(run, args, strict=args.strict)
    return run.exit_code()


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
    p.add_argument("--redact", action="store_true", help="redact what --record writes, signed "
                   "with the test secret")  # fmt: skip
    _test_secret_option(p)
    _tls_client_options(p)
    p.add_argument("--timeout", type=SECONDS, default=10.0, metavar="S",
                   help="the platform's timeout for the forwarded call (default: 10)")  # fmt: skip
    p.set_defaults(handler=cmd_listen)

    r = commands.add_parser(
        "redact",
        help="replace personal data in a cassette with consistent fakes",
        description=(
            "Write a copy of the cassette FILE with every personal datum replaced by a fake of "
            "the same kind, consistent within a conversation: what users typed, ids, client "
            "variables, config API keys, identity headers, and the same values, e-mails and "
            "phone numbers in the answers; LIST values are kept.  Written platform-exact, "
            "0600, and signed with a test secret (--test-secret), never the recording secret "
            "(--secret): nobody can replay it to production.  Lists what was replaced; a body "
            "that is not a platform request is left out.  Exit 2 when a line is unreadable (it "
            "is left out, the rest is written)."
        ),
    )
    r.add_argument("file", metavar="FILE", help="the cassette (JSON Lines)")
    r.add_argument("--out", metavar="FILE", help="where to write (default: FILE.redacted.jsonl)")
    _test_secret_option(r)
    add_secret_option(r)
    r.set_defaults(handler=cmd_redact)

    y = commands.add_parser(
        "replay",
        help="send a cassette's calls again and show what changed",
        description=(
            "Send each recorded request to TARGET again, twice (re-signed with --secret, or "
            "byte for byte with --verbatim), and compare the answers as the platform sees "
            "them: status, what the chat user sees, the Facebook nodes, each context variable, "
            "and the raw bytes with --strict.  What differs between the two identical calls, "
            "or what --ignore and the sidecar FILE.ignore name, is noise, reported apart.  "
            "Exit 0 when nothing but noise changed, 1 a regression, 2 usage problems or "
            "unreadable lines."
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
    y.add_argument(
        "--ignore", action="append", metavar="RULE",
        help="a field whose changes are noise (context.order_id, context.*, text, facebook, "
        "bytes, status) or a pattern inside one (text~/P[0-9A-F]{6}/); repeatable; the "
        "cassette's sidecar FILE.ignore adds its own",
    )  # fmt: skip
    y.add_argument(
        "--learn", action="store_true",
        help="write what varies between two identical calls to the sidecar FILE.ignore, for "
        "you to commit",
    )  # fmt: skip
    y.add_argument(
        "--once", action="store_true",
        help="send each call once, not twice (no noise is learned: every change counts)",
    )  # fmt: skip
    y.add_argument("--timeout", type=SECONDS, default=10.0, metavar="S",
                   help="the platform's timeout (default: 10)")  # fmt: skip
    _tls_client_options(y)
    y.add_argument("--json", action="store_true", help="print the results as JSON")
    report_options(y)
    y.add_argument("--coverage", action="store_true",
                   help="also print what the replayed calls exercised")  # fmt: skip
    code_coverage_option(y)
    y.set_defaults(handler=cmd_replay)
