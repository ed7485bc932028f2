"""The child process of ``botwebhook load``: Locust, headless, through its library API.

Run only as ``python -m harness._load_runner CONFIG RESULT`` (the command line
never imports it: Locust's gevent monkey-patches the standard library).  CONFIG
is a JSON file of the run's settings; the secret comes in
``$BOTWEBHOOK_SECRET``.  The load rises step by step (one step without
stepping); each step is measured after its users are spawned.  RESULT gets the
totals, the failures by finding code and each step's latency, also when the run
is interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.log import setup_logging
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history

from harness.locust import REDIRECT_FAILURE, BotWebhookUser

_PERCENTILES = (0.5, 0.95, 0.99)


def _percentile(times: list[float], fraction: float) -> float:
    if not times:
        return 0.0
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _code(error: str) -> str:
    return "redirect" if error == REDIRECT_FAILURE else error.split(" ", 1)[0]


def run(config: dict[str, Any]) -> dict[str, Any]:
    setup_logging("ERROR")
    attributes = {
        "host": config["url"], "model": config.get("model"), "seed": config["seed"],
        "timeout": config["timeout"], "sign": config.get("sign"),
        "passthrough": config.get("passthrough", False), "abstract": False,
        "insecure": bool(config.get("insecure")), "intents": config.get("intents"),
    }  # fmt: skip
    user = type("BotWebhookLoad", (BotWebhookUser,), attributes)
    env = Environment(user_classes=[user])
    runner = env.create_local_runner()
    gevent.spawn(stats_history, runner)
    writer = None
    if config.get("csv"):
        writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, config["csv"], full_history=False)
        gevent.spawn(writer.stats_writer)
    step: dict[str, Any] = {"times": [], "codes": {}}

    def on_request(response_time: float, exception: Any = None, **_: Any) -> None:
        step["times"].append(response_time)
        if exception is not None:
            code = _code(str(exception))
            step["codes"][code] = step["codes"].get(code, 0) + 1

    env.events.request.add_listener(on_request)
    stopped = gevent.event.Event()

    def stop(*_: Any) -> None:
        stopped.set()

    gevent.signal_handler(signal.SIGINT, stop)
    gevent.signal_handler(signal.SIGTERM, stop)
    budget = config["timeout"] * 1000
    steps: list[dict[str, Any]] = []
    started = time.time()
    for users in config["steps"]:
        runner.start(users, spawn_rate=config["spawn_rate"])
        while runner.user_count < users and not stopped.is_set():
            stopped.wait(0.05)
        step["times"], step["codes"] = [], {}
        began = time.time()
        stopped.wait(config["duration"])
        times, elapsed = list(step["times"]), max(time.time() - began, 1e-9)
        row = {"users": users, "requests": len(times), "rps": len(times) / elapsed,
               "failures": dict(step["codes"]), "max": max(times, default=0.0)}  # fmt: skip
        for fraction in _PERCENTILES:
            row[f"p{int(fraction * 100)}"] = _percentile(times, fraction)
        row["within_budget"] = row["p99"] < budget
        steps.append(row)
        if stopped.is_set() or (config.get("find_limit") and not row["within_budget"]):
            break
    runner.quit()
    total = env.stats.total
    result = {
        "url": config["url"],
        "interrupted": stopped.is_set(),
        "elapsed": time.time() - started,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.num_requests / max(time.time() - started, 1e-9),
        "max": total.max_response_time if total.num_requests else 0.0,
        "by_code": {},
        "steps": steps,
    }
    for fraction in _PERCENTILES:
        value = total.get_response_time_percentile(fraction) if total.num_requests else 0
        result[f"p{int(fraction * 100)}"] = value
    for error in env.stats.errors.values():
        code = _code(str(error.error))
        result["by_code"][code] = result["by_code"].get(code, 0) + error.occurrences
    if writer is not None:
        writer.close_files()
    if config.get("html"):
        from locust.html import get_html_report

        Path(config["html"]).write_text(get_html_report(env, show_download_link=False), "utf-8")
    return result


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text("utf-8"))
    try:
        result = run(config)
    except Exception as exc:  # one line for the parent, which prints it
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(json.dumps(result), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
