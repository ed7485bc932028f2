"""The child process of ``botwebhook load``: Locust, headless, through its library API.

Run only as ``python -m harness.load._runner CONFIG RESULT`` (the command line
never imports it: Locust's gevent monkey-patches the standard library).  CONFIG
is a JSON file of the run's settings; the secret comes in
``$BOTWEBHOOK_SECRET``.  The load rises step by step (one step without
stepping); each step is measured after its users are spawned.  RESULT gets the
totals, the fallbacks by finding code and each step's figures, also when the
run is interrupted (SIGINT or SIGTERM).

What a step says is what the chats saw:

- **every call counts**: latency percentiles are over all calls, and a call
  that timed out counts at the timeout, the time the platform waited;
- **a step is within budget** only when the share of chats that got the
  fallback (any failure: 5xx, an answer the platform cannot read, a timeout, so
  any call past the budget) is at most the allowed one (``--max-failures``,
  default none: then p99 is under the budget too);
- rates: attempted calls per second, and the calls that succeeded;
- no chat goes uncounted: at the end of a step no new call starts, and the
  calls still in flight finish (or time out) and count in that step.

Latencies are kept in a histogram (milliseconds, two significant digits above
100 ms, as Locust keeps them), so memory stays flat however long the run.

The child dies with its parent: on Linux the kernel sends it SIGTERM when the
parent dies (``PR_SET_PDEATHSIG``); everywhere, it watches its standard input, a
pipe from the parent, and stops when the pipe closes.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import gevent.os
from locust.env import Environment
from locust.log import setup_logging
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history

from harness.checks._coverage import ProtocolCoverage
from harness.load._user import REDIRECT_FAILURE, BotWebhookUser, Calls, _model

_PERCENTILES = (0.5, 0.95, 0.99)


class Latencies:
    """A histogram of latencies in milliseconds: percentiles over every call kept in
    memory that does not grow with the number of calls."""

    def __init__(self) -> None:
        self.counts: collections.Counter[int] = collections.Counter()
        self.total = 0
        self.max = 0.0

    def add(self, ms: float) -> None:
        self.counts[_bucket(ms)] += 1
        self.total += 1
        self.max = max(self.max, ms)

    def percentile(self, fraction: float) -> float:
        if not self.total:
            return 0.0
        rank = max(1, round(fraction * self.total + 0.5 - 1e-9))
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= rank:
                return float(min(value, self.max))
        return self.max  # pragma: no cover - the counts add up to total


def _bucket(ms: float) -> int:
    """Milliseconds rounded as Locust rounds them: exact below 100, two significant
    digits above (a histogram of at most a few hundred buckets)."""
    value = round(ms)
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return round(value, -digits)


def _code(error: str) -> str:
    return "redirect" if error == REDIRECT_FAILURE else error.split(" ", 1)[0]


class Step:
    """One step's figures as the chats saw them."""

    def __init__(self, budget_ms: float) -> None:
        self.budget_ms = budget_ms
        self.latencies = Latencies()
        self.codes: collections.Counter[str] = collections.Counter()
        self.failed = 0

    def add(self, response_time: float, exception: Any) -> None:
        if exception is None:
            self.latencies.add(response_time)
            return
        code = _code(str(exception))
        self.codes[code] += 1
        if code != "redirect":
            self.failed += 1
        timed_out = code in ("BW105", "BW107")
        # A call that timed out counts at the time the platform waited: the budget.
        self.latencies.add(max(response_time, self.budget_ms) if timed_out else response_time)

    def row(self, users: int, elapsed: float, allowed: dict[str, float]) -> dict[str, Any]:
        calls = self.latencies.total
        row: dict[str, Any] = {
            "users": users,
            "requests": calls,
            "rps": calls / elapsed,
            "ok_rps": (calls - self.failed) / elapsed,
            "fallbacks": self.failed,
            "fallback_share": self.failed / calls if calls else 0.0,
            "failures": dict(self.codes),
            "max": self.latencies.max,
        }
        for fraction in _PERCENTILES:
            row[f"p{int(fraction * 100)}"] = self.latencies.percentile(fraction)
        # A call that took the whole budget timed out: within means under it.
        row["latency_within_budget"] = row["p99"] < self.budget_ms
        row["fallbacks_within_budget"] = within(self.failed, calls, allowed)
        # A call past the budget is a timeout, so a fallback: with none allowed, p99 is
        # under the budget too; with a share allowed, that share may reach it.
        row["within_budget"] = row["fallbacks_within_budget"]
        return row


def within(failed: int, calls: int, allowed: dict[str, float]) -> bool:
    """Whether ``failed`` of ``calls`` chats getting the fallback is allowed:
    ``{"count": N}`` or ``{"share": 0.05}``; none allowed by default."""
    if "share" in allowed:
        return failed <= allowed["share"] * calls
    return failed <= allowed.get("count", 0)


def run(config: dict[str, Any]) -> dict[str, Any]:
    setup_logging("ERROR")
    attributes = {
        "host": config["url"], "model": config.get("model"), "seed": config["seed"],
        "timeout": config["timeout"], "signed": config.get("signed"),
        "passthrough": config.get("passthrough", False), "abstract": False,
        "insecure": bool(config.get("insecure")), "intents": config.get("intents"),
    }  # fmt: skip
    user = type("BotWebhookLoad", (BotWebhookUser,), attributes)
    Calls.coverage = ProtocolCoverage(_model(user), passthrough=bool(config.get("passthrough")),
                                      probes=())  # fmt: skip
    env = Environment(user_classes=[user])
    runner = env.create_local_runner()
    gevent.spawn(stats_history, runner)
    writer = None
    if config.get("csv"):
        writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, config["csv"], full_history=False)
        gevent.spawn(writer.stats_writer)
    budget = config["timeout"] * 1000
    allowed: dict[str, float] = config.get("allowed") or {}
    total = Step(budget)
    current = [Step(budget)]

    def on_request(response_time: float, exception: Any = None, **_: Any) -> None:
        total.add(response_time, exception)
        current[0].add(response_time, exception)

    env.events.request.add_listener(on_request)
    stopped = gevent.event.Event()
    orphaned = gevent.event.Event()

    def stop(*_: Any) -> None:
        stopped.set()

    gevent.signal_handler(signal.SIGINT, stop)
    gevent.signal_handler(signal.SIGTERM, stop)
    gevent.spawn(_watch_parent, stopped, orphaned)
    steps: list[dict[str, Any]] = []
    started = time.time()
    measured = 0.0
    for users in config["steps"]:
        Calls.paused = False
        runner.start(users, spawn_rate=config["spawn_rate"])
        while runner.user_count < users and not stopped.is_set():
            stopped.wait(0.05)
        current[0] = Step(budget)
        began = time.time()
        stopped.wait(config["duration"])
        # No new call; the step's calls still in flight finish or time out, and count:
        # its rates are over the window and that drain, when its calls were answered.
        Calls.paused = True
        _drain(stopped, config["timeout"])
        elapsed = max(time.time() - began, 1e-9)
        row = current[0].row(users, elapsed, allowed)
        steps.append(row)
        measured += elapsed
        if stopped.is_set() or (config.get("find_limit") and not row["within_budget"]):
            break
    runner.quit()
    if orphaned.is_set():
        raise SystemExit(3)  # nobody to report to
    # Rates over the measured windows (not the spawning and draining around them).
    summary = total.row(max((s["users"] for s in steps), default=0), measured or 1e-9, allowed)
    result = {
        "url": config["url"],
        "interrupted": stopped.is_set(),
        "elapsed": time.time() - started,
        "measured": measured,
        **{k: summary[k] for k in ("requests", "rps", "ok_rps", "fallbacks", "fallback_share")},
        "failures": total.failed,
        "max": summary["max"],
        "by_code": summary["failures"],
        "steps": steps,
        "coverage": Calls.coverage.as_dict(),
    }
    for fraction in _PERCENTILES:
        result[f"p{int(fraction * 100)}"] = summary[f"p{int(fraction * 100)}"]
    if writer is not None:
        writer.close_files()
    if config.get("html"):
        from locust.html import get_html_report

        Path(config["html"]).write_text(get_html_report(env, show_download_link=False), "utf-8")
    return result


def _drain(stopped: Any, timeout: float) -> None:
    """Wait for the calls in flight to end: each ends within the client's timeout."""
    deadline = time.time() + timeout + 1
    while Calls.in_flight and time.time() < deadline and not stopped.is_set():
        stopped.wait(0.02)


def _watch_parent(stopped: Any, orphaned: Any) -> None:
    """Stop the run when standard input, a pipe from the parent, closes: the parent
    is gone (however it ended)."""
    while True:
        try:
            data = gevent.os.tp_read(0, 1024)
        except OSError:
            data = b""
        if not data:
            orphaned.set()
            stopped.set()
            return


def _die_with_parent() -> None:
    """On Linux, have the kernel send SIGTERM to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return
    if os.getppid() == 1:  # the parent died before the call above: too late to be told
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    parent = os.getppid()
    _die_with_parent()
    config = json.loads(Path(argv[0]).read_text("utf-8"))
    try:
        result = run(config)
    except SystemExit as exit:
        return int(exit.code or 0)
    except Exception as exc:  # one line for the parent, which prints it
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if os.getppid() != parent:
        return 3  # the parent is gone (its folder with it): nobody to report to
    Path(argv[1]).write_text(json.dumps(result), "utf-8")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: with gevent's hub and thread pool it takes a
    # second or two, and a run must end with its command.  Every file is closed.
    os._exit(code)
