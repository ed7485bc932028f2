"""``botwebhook load``: Locust, headless, against a URL or an app served for the run.

Locust runs in a child process (``harness.load._runner``): its gevent
monkey-patches the standard library, so this process never imports it.  This
side checks the input, serves ``--serve`` apps, shows progress, forwards Ctrl-C
and prints the summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.cli._common import (
    SECRET_ENV,
    CliError,
    add_secret_option,
    emit,
    number,
    require_output,
    resolve_secret,
)
from harness.cli._pages import docs_url_option

__all__ = ["register"]

EXTRA = "pip install 'pytest-botwebhook[load]'"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(low: float, high: float) -> Any:
    """An argparse type: a duration (``500ms``, ``10s``, ``2m``, or plain seconds)."""

    def parse(text: str) -> float:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)?\s*", text)
        value = float(match.group(1)) * _UNITS[match.group(2) or "s"] if match else -1.0
        if not low < value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a duration from {low:g} s (excluded) to {high:g} s "
                "(e.g. 500ms, 10s, 2m)"
            )
        return value

    return parse


def _steps(args: argparse.Namespace) -> list[int]:
    step = args.step_users
    if step is None and args.find_limit:
        step = max(1, args.users // 5)
    if step is None:
        return [args.users]
    if step > args.users:
        raise CliError(f"--step-users {step} is more than --users {args.users}")
    out = list(range(step, args.users + 1, step))
    return out if out[-1] == args.users else [*out, args.users]


def cmd_load(args: argparse.Namespace) -> int:
    from harness.load._report import LoadResult, crossed, plot
    from harness.protocol._signing import redact_secret

    if importlib.util.find_spec("locust") is None:
        raise CliError(f"botwebhook load needs Locust, which is an extra: {EXTRA}")
    if (args.url is None) == (args.serve is None):
        raise CliError("give the URL to load, or --serve app.py:app to serve an app for the run")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise CliError(f"--plot needs matplotlib, which is in the load extra: {EXTRA}")
    if args.plot and not (args.step_users or args.find_limit):
        raise CliError("--plot draws latency against concurrency: add --step-users N or "
                       "--find-limit")  # fmt: skip
    _require_outputs(args)
    steps = _steps(args)
    model_path = _model_path(args.model)
    model = _scoped(model_path, args.intents)
    secret = resolve_secret(args.secret, required=False)
    if args.path is not None and args.serve is None:
        raise CliError("--path is for an app served with --serve; a URL carries its own path")
    server = None
    try:
        if args.serve is not None:
            server, path = _serve(args.serve, args.path, max(steps))
            url = server.url.rstrip("/") + path
        else:
            url = _checked_url(args.url)
        signed = {None: None, "always": True, "never": False}[args.sign]
        if args.serve is not None and signed is None:
            signed = True  # a served app stands for the real https endpoint: signed calls
        looked = None
        if not args.passthrough:
            looked = _survey(url, model, secret, signed, args)
            if looked.no_webhook:
                from harness.checks._report import run_finding_lines

                print("\n".join([f"botwebhook load: {url}", *run_finding_lines(looked.findings)]))
                return 1
        intents = list(args.intents or ())
        if looked is not None and looked.not_served:
            from harness.model._catalogue import builtin_model

            served = looked.served(model or builtin_model())
            intents = [i.name for i in served.intents] if served is not None else intents
        config = {
            "url": url, "steps": steps, "spawn_rate": args.spawn_rate,
            "duration": args.duration, "seed": args.seed, "timeout": args.timeout,
            "model": model_path, "signed": signed, "passthrough": args.passthrough,
            "csv": args.csv, "html": args.html, "find_limit": args.find_limit,
            "insecure": args.insecure, "intents": intents or None,
            "allowed": args.max_failures or {},
        }  # fmt: skip
        result, interrupted = _run_child(config, secret, args)
    finally:
        if server is not None:
            server.stop()
    if server is not None:
        result["served"] = server.summary()
    from harness.model._files import describe_model, model_notes

    result["secret"] = redact_secret(secret) if secret else "none"
    result["seed"] = args.seed
    result["model"] = describe_model(model)
    result["notes"] = [*model_notes(model), *(looked.notes() if looked is not None else [])]
    result["survey_calls"] = len(looked.report.exchanges) if looked and looked.report else 0
    result["allowed"] = args.max_failures or {}
    broken = crossed(result, args.max_p99, args.max_failures)
    if looked is not None:  # a declared intent not served fails the run, as in check
        broken += [
            f"{f.code} error: {f.evidence}" for f in looked.findings if f.severity == "error"
        ]
    run = LoadResult(result, args.timeout, broken, bool(interrupted or result["interrupted"]))
    emit(run, args)
    if args.plot:
        plot(result, Path(args.plot), budget=args.timeout)
    return run.exit_code()


def failures_allowed(text: str) -> dict[str, float]:
    """``--max-failures``: a number of chats (``5``) or a share of them (``5%``)."""
    raw = text.strip()
    try:
        if raw.endswith("%"):
            share = float(raw[:-1]) / 100
            if not 0 <= share <= 1:
                raise ValueError
            return {"share": share}
        count = int(raw)
        if count < 0:
            raise ValueError
        return {"count": count}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of chats (e.g. 0, 20) or a share of them (e.g. 5%)"
        ) from None


def _require_outputs(args: argparse.Namespace) -> None:
    """Every file the run writes, refused before it starts when it cannot be written:
    a folder that is missing or not writable, or a folder given for a file."""
    require_output("--html", args.html, example="load.html")
    require_output("--junit-xml", args.junit_xml)
    require_output("--plot", args.plot, example="load.png")
    require_output("--csv", args.csv, kind="prefix")


def _model_path(given: str | None) -> str | None:
    """The model file, checked here so that a bad one is one line, not a child's traceback."""
    from harness.model._files import find_model, load_model

    if given is not None:
        load_model(given)
        return str(Path(given).resolve())
    find_model(".")  # the child finds the same one: a broken one fails here, in one line
    return None


def _scoped(model_path: str | None, intents: list[str] | None) -> Any:
    """The model the run uses (None: the built-in catalogue), limited to ``--intent``."""
    from harness.model._files import find_model, load_model, scope_model

    model = load_model(model_path) if model_path else find_model(".")
    return scope_model(model, intents)


def _survey(
    url: str, model: Any, secret: Any, signed: bool | None, args: argparse.Namespace
) -> Any:
    """Two valid payloads per intent before the run: intents the handler does not serve
    are left out of the load (and said once), a target with no webhook is not loaded."""
    from harness.checks._survey import survey
    from harness.delivery._loader import load_target

    target = load_target(url, insecure=args.insecure)
    try:
        return survey(
            target, model, secret=secret, signed=signed, timeout=args.timeout, seed=args.seed
        )
    finally:
        target.close()


def _checked_url(url: str) -> str:
    from harness.delivery._loader import load_target

    if not re.match(r"https?://", url, re.IGNORECASE):
        raise CliError(
            f"{url!r} is not a URL to load (hint: http(s)://host:port/path, or serve an app "
            "with --serve app.py:app)"
        )
    load_target(url).close()  # one clear line for a malformed URL
    return url


def _serve(spec: str, path: str | None, users: int) -> tuple[Any, str]:
    """The app served for the run, behind a production server sized for ``users``
    (``harness.load._server``), and the path its webhook is at (``--path``, else found
    from its route table, as for an in-process check)."""
    from harness.delivery._loader import load_target
    from harness.load._server import ServedApp

    target = load_target(spec, path=path) if "://" not in spec else load_target(spec)
    if not target.in_process:
        target.close()
        raise CliError(f"--serve {spec!r}: give an app (app.py:app), not a URL")
    app = target.app  # type: ignore[attr-defined]
    chosen: str = target.path  # type: ignore[attr-defined]
    target.close()
    missing = [m for m in ("waitress", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise CliError(f"--serve needs {' and '.join(missing)}, in the load extra: {EXTRA}")
    return ServedApp(app, users=users).start(), chosen


def _run_child(
    config: dict[str, Any], secret: Any, args: argparse.Namespace
) -> tuple[dict[str, Any], bool]:
    from harness.cli._progress import seconds_bar

    with tempfile.TemporaryDirectory(prefix="botwebhook-load-") as folder:
        config_file, result_file = Path(folder, "config.json"), Path(folder, "result.json")
        config_file.write_text(json.dumps(config), "utf-8")
        env = dict(os.environ)
        if secret:
            revealed = secret.reveal()
            env[SECRET_ENV] = revealed if isinstance(revealed, str) else revealed.decode()
        command = [sys.executable, "-m", "harness.load._runner", str(config_file), str(result_file)]
        # Its standard input is a pipe from here: when this process ends, however it ends,
        # the pipe closes and the child stops (and on Linux the kernel tells it too).
        child = subprocess.Popen(command, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        spawn = max(config["steps"]) / config["spawn_rate"]
        expected = len(config["steps"]) * (config["duration"] + spawn)
        deadline = time.monotonic() + expected + 2 * config["timeout"] + 60
        interrupted = False
        with seconds_bar(expected, enabled=not args.json) as tick:
            try:
                while child.poll() is None:
                    if time.monotonic() > deadline:
                        child.kill()
                        break
                    time.sleep(0.2)
                    tick(0.2)
            except KeyboardInterrupt:
                interrupted = True
                child.send_signal(signal.SIGINT)
                try:
                    child.wait(2 * config["timeout"] + 10)
                except subprocess.TimeoutExpired:
                    child.kill()
        errors = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
        child.wait()
        if not result_file.exists():
            if interrupted:  # before Locust began: there is no summary to print
                raise KeyboardInterrupt
            last = errors.strip().splitlines()[-1] if errors.strip() else "no output"
            raise CliError(f"the Locust run failed: {last}")
        result: dict[str, Any] = json.loads(result_file.read_text("utf-8"))
        return result, interrupted


def register(commands: Any) -> None:
    p = commands.add_parser(
        "load",
        help="load a webhook under the platform's 10 s budget, with Locust (the load extra)",
        description=(
            "Run Locust headless against URL (or an app served for the run with --serve): "
            "users each send realistic signed payloads of every variant, as the platform "
            "does for concurrent chats.  The summary gives the calls and rates (attempted and "
            "answered), latency over every call against the budget (--timeout, the platform's "
            "10 s; a timeout counts at the budget) and how many chats would have got the "
            "fallback, by finding code.  --step-users/--find-limit raise the load step by step "
            "and report the highest concurrency within budget: p99 under it and fallbacks "
            "within --max-failures.  Exit codes follow Locust's: 0 when no chat got the "
            "fallback (or no more than --max-failures allows) and no threshold is crossed, 1 "
            f"otherwise, 2 for usage problems, 130 on Ctrl-C.  Needs: {EXTRA}"
        ),
    )
    p.add_argument("url", nargs="?", metavar="URL", help="the webhook URL (http or https)")
    p.add_argument("--serve", metavar="APP", help="serve this WSGI or ASGI app (app.py:app) "
                   "on 127.0.0.1 for the run, behind waitress or uvicorn sized for it, and load "
                   "it")  # fmt: skip
    add_secret_option(p)
    p.add_argument("--model", metavar="FILE", help="bot model: botwebhook.toml or pyproject.toml")
    p.add_argument(
        "--path", metavar="/PATH",
        help="with --serve: where the app takes its webhook (default: / when it takes a POST, "
        "else the one route that does)",
    )  # fmt: skip
    p.add_argument(
        "--intent", action="append", dest="intents", metavar="NAME",
        help="only this intent of the model (or of the built-in catalogue); repeatable",
    )  # fmt: skip
    p.add_argument("--users", type=number(int, 1, 100_000), default=10, metavar="N",
                   help="concurrent chats at most (default: 10)")  # fmt: skip
    p.add_argument("--spawn-rate", type=number(float, 0, 10_000), default=10.0, metavar="R",
                   help="users started per second (default: 10)")  # fmt: skip
    p.add_argument("--duration", type=seconds(0, 86_400), default=30.0, metavar="D",
                   help="how long to measure (each step, when stepping); e.g. 30s, 2m "
                   "(default: 30s)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument(
        "--timeout",
        type=seconds(0, 3600),
        default=10.0,
        metavar="D",
        help="the platform's connect and read timeout, and the budget (default: 10s)",
    )
    p.add_argument(
        "--sign",
        choices=("always", "never"),
        help="force X-Hub-Signature on or off (default: https URLs and --serve)",
    )
    p.add_argument("--passthrough", action="store_true", help="URL is a passthrough endpoint")
    p.add_argument("--insecure", action="store_true",
                   help="do not verify TLS certificates (the platform does)")  # fmt: skip
    p.add_argument(
        "--step-users",
        type=number(int, 1, 100_000),
        metavar="N",
        help="raise the load N users at a time up to --users, measuring each step",
    )
    p.add_argument("--find-limit", action="store_true",
                   help="step the load (by --step-users, default a fifth of --users) and stop "
                   "at the first step whose p99 breaks the budget")  # fmt: skip
    p.add_argument(
        "--max-p99",
        type=seconds(0, 3600),
        metavar="D",
        help="exit 1 when the p99 latency is over D, e.g. 5s",
    )
    p.add_argument(
        "--max-failures",
        type=failures_allowed,
        metavar="N|N%",
        help="chats allowed to get the fallback (5xx, timeout, an unreadable answer), as a "
        "number or a share (5%%); default none: any fallback fails the run (exit 1), as "
        "Locust fails a run with failures.  A step is within budget only within it",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    docs_url_option(p)
    p.add_argument("--coverage", action="store_true",
                   help="also print which cells of the bot model the calls exercised")  # fmt: skip
    p.add_argument("--junit-xml", metavar="FILE",
                   help="also write a JUnit XML report (a case for the thresholds)")  # fmt: skip
    p.add_argument("--csv", metavar="PREFIX", help="Locust's CSV files (PREFIX_stats.csv, ...)")
    p.add_argument("--html", metavar="FILE", help="Locust's HTML report")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="latency percentiles against concurrency, with the budget line "
        "(with --step-users or --find-limit; needs matplotlib, in the load extra)",
    )
    p.set_defaults(handler=cmd_load)
