"""Load with Locust: the user class, ``botwebhook load``, distributed mode, and the
isolation of gevent from everything else.  Runs are kept to a few seconds by a
small ``--timeout`` (the budget) and short durations."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from bw_handlers import SECRET
from bw_manual import manual_text
from bw_reports import check_json

from harness import LiveWebhookServer
from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
SLOW = '''
"""Serializes every call on a lock: the latency grows with concurrency."""
import json, threading, time
from werkzeug.wrappers import Request, Response
LOCK = threading.Lock()

@Request.application
def app(request):
    with LOCK:
        time.sleep(0.05)
    return Response(json.dumps({"text": "ok"}), mimetype="application/json")
'''


def botwebhook(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def summary_of(text: str) -> dict[str, Any]:
    """``load --json``, valid against its schema, as one flat summary with its steps."""
    data = check_json("load", text)
    return {**data["summary"], "steps": data["results"], "url": data["target"],
            "secret": data["secret"], "seed": data["seed"], "notes": data["notes"],
            "model": data["model"], "coverage": data["coverage"]}  # fmt: skip


def write_locustfile(folder: Path) -> None:
    """The user's own locustfile: a subclass of the user class, nothing else."""
    (folder / "locustfile.py").write_text(
        "from harness.locust import BotWebhookUser\n\n"
        "class Bot(BotWebhookUser):\n    sign = True\n",
        "utf-8",
    )


def aggregated(stats_csv: Path) -> tuple[int, int]:
    """Requests and failures of Locust's ``Aggregated`` row."""
    row = next(line for line in stats_csv.read_text("utf-8").splitlines() if ",Aggregated," in line)
    fields = row.split(",")
    return int(fields[2]), int(fields[3])


@pytest.fixture
def slow_app(tmp_path: Path) -> str:
    (tmp_path / "slow.py").write_text(SLOW, "utf-8")
    return f"{tmp_path / 'slow.py'}:app"


# -- isolation ----------------------------------------------------------------------------


def test_nothing_but_the_load_modules_imports_locust_or_gevent() -> None:
    allowed = {"harness/locust.py", "harness/load/_user.py", "harness/load/_runner.py"}
    for path in [*(ROOT / "harness").rglob("*.py"), *(ROOT / "pytest_botwebhook").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in ("locust", "gevent") or name in (
                    "harness.locust",
                    "harness.load._user",
                    "harness.load._runner",
                ):
                    where = path.relative_to(ROOT).as_posix()
                    assert where in allowed, f"{where} imports {name}"


def test_the_package_the_cli_and_the_plugin_never_load_gevent() -> None:
    code = (
        "import sys, harness, harness.cli, harness.conversations, harness.checks, "
        "harness.mocks, harness.strategies, pytest_botwebhook, pytest_botwebhook.plugin\n"
        "from harness.cli import build_parser; build_parser()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('gevent', 'locust')]\n"
        "print(bad)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


def test_without_the_extra_load_says_which_one_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    assert main(["load", "http://127.0.0.1:9/"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'pytest-botwebhook[load]'" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not a url"], "not a URL"),
        (["ftp://example.com/"], "'ftp://example.com/' is not a URL to load"),
        (["http://[::1/"], "is not valid"),
        (["http://127.0.0.1:9/", "--serve", "app.py:app"], "give the URL to load, or --serve"),
        ([], "give the URL to load, or --serve"),
        (["http://127.0.0.1:9/", "--users", "0"], "--users"),
        (["http://127.0.0.1:9/", "--spawn-rate", "nan"], "--spawn-rate"),
        (["http://127.0.0.1:9/", "--duration", "-3s"], "--duration"),
        (["http://127.0.0.1:9/", "--max-p99", "soon"], "--max-p99"),
        (["http://127.0.0.1:9/", "--model", "missing.toml"], "missing.toml"),
        (["http://127.0.0.1:9/", "--plot", "p.png"], "--plot draws latency against concurrency"),
        (["http://127.0.0.1:9/", "--users", "4", "--step-users", "5"], "more than --users 4"),
        (["http://127.0.0.1:9/", "--html", "."], "--html '.' is a folder"),
        (["http://127.0.0.1:9/", "--csv", "missing/run"], "the folder 'missing' does not exist"),
        (
            ["http://127.0.0.1:9/", "--step-users", "1", "--plot", "missing/p.png"],
            "--plot 'missing/p.png': the folder 'missing' does not exist",
        ),
        (["http://127.0.0.1:9/", "--step-users", "1", "--plot", "."], "--plot '.' is a folder"),
        (["http://127.0.0.1:9/", "--max-failures", "some"], "is not a number of chats"),
        (["http://127.0.0.1:9/", "--max-failures", "150%"], "is not a number of chats"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["load", *args])
    except SystemExit as exc:  # argparse refuses the value itself
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1, err


# -- runs -------------------------------------------------------------------------------------


def test_a_conforming_handler_under_light_load_has_no_failures(tmp_path: Path) -> None:
    with LiveWebhookServer(secret=SECRET) as server:
        run = botwebhook(
            "load", server.url, "--users", "3", "--spawn-rate", "30", "--duration", "1.5s",
            "--secret", SECRET, "--sign", "always", "--max-failures", "0", "--max-p99", "2s",
            "--json", "--csv", str(tmp_path / "run"), "--html", str(tmp_path / "run.html"),
            cwd=tmp_path,
        )  # fmt: skip
        verdicts = {call.verdict for call in server.calls}
        calls = len(server.calls)
    assert run.returncode == 0, run.stdout + run.stderr
    result = summary_of(run.stdout)
    assert result["requests"] > 20
    assert result["failures"] == 0
    assert result["by_code"] == {}
    assert result["secret"].startswith(SECRET[:4])
    assert SECRET not in run.stdout
    # The survey's calls came first (two per intent); then the run's, every one of them
    # counted: the calls in flight at the end of the step finished and count in it.
    assert result["survey_calls"] == 24
    assert calls - result["survey_calls"] == result["requests"]
    assert result["within_budget"] is True
    assert result["ok_rps"] == result["rps"] > 0
    assert verdicts == {"valid"}  # every call signed as the platform signs
    assert (tmp_path / "run_stats.csv").read_text().count("\n") > 1
    assert "<html" in (tmp_path / "run.html").read_text()
    # The calls' protocol coverage came back from the Locust child with its result.
    kinds = result["coverage"]["kinds"]
    assert kinds["intent × shape"]["exercised"] > 0
    assert kinds["response"]["cells"]["text"] > 0


def test_a_handler_serialized_on_a_lock_breaks_the_budget_as_bw105(
    tmp_path: Path, slow_app: str
) -> None:
    run = botwebhook(
        "load", "--serve", slow_app, "--users", "9", "--step-users", "3", "--spawn-rate", "50",
        "--duration", "1.5s", "--timeout", "0.4s", "--find-limit", "--max-failures", "0",
        "--plot", str(tmp_path / "p.png"),
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "BW105 slower than the platform's read timeout" in out
    # Each call waits for the others' 50 ms: about 0.15 s at 3 users, 0.3 s at 6 and
    # 0.45 s at 9.  The budget (0.4 s) lies between 3 and 9 users with a margin on both
    # sides; at 6 users a busy machine decides, so either limit is the truth.
    limit = re.search(r"limit     fallbacks \(a call past 0\.4 s is one\) within the allowed "
                      r"share up to (\d+) users; it broke at (\d+) users", out)  # fmt: skip
    assert limit is not None, out
    assert (int(limit[1]), int(limit[2])) in ((3, 6), (6, 9)), out
    assert "FAILED    " in out
    assert "over --max-failures 0" in out
    assert "BW401" not in out
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def test_ctrl_c_prints_the_summary_so_far_and_leaves_no_server(
    tmp_path: Path, slow_app: str
) -> None:
    calls = tmp_path / "calls"
    Path(slow_app.rsplit(":", 1)[0]).write_text(
        SLOW + f"\nRAW = app\ndef app(environ, start_response):\n"
        f"    with open({str(calls)!r}, 'a') as calls:\n        calls.write('.')\n"
        "    return RAW(environ, start_response)\n",
        "utf-8",
    )
    command = [sys.executable, "-m", "harness.cli", "load", "--serve", slow_app, "--users", "2",
               "--duration", "60s", "--timeout", "1s"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path)  # fmt: skip
    deadline = time.monotonic() + 60
    # Past the survey's 24 calls (2 per intent of the catalogue): the load has begun.
    while time.monotonic() < deadline and (not calls.exists() or calls.stat().st_size < 40):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert "interrupted, the summary so far" in out
    url = out.split("botwebhook load: ", 1)[1].split(" ", 1)[0]
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_ctrl_c_before_the_load_begins_is_one_line_and_leaves_no_server(
    tmp_path: Path, slow_app: str
) -> None:
    command = [sys.executable, "-m", "harness.cli", "load", "--serve", slow_app, "--users", "2",
               "--duration", "60s", "--timeout", "1s", "--json"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path)  # fmt: skip
    time.sleep(0.8)  # the server is up, Locust is still being imported
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    if out:  # the load had begun after all: then its summary so far
        assert summary_of(out)["interrupted"] is True
    else:
        assert err.strip().splitlines()[-1] == "botwebhook load: interrupted"


def test_distributed_master_and_worker_aggregate_stats_and_failure_codes(
    tmp_path: Path,
) -> None:
    """One master and one worker on 127.0.0.1, both pointing at the user class."""
    write_locustfile(tmp_path)
    from bw_handlers import conforming, reply

    def answer(payload: dict[str, object]) -> object:
        return reply({"error": "no"}, 500) if payload["intentName"] == "colour" else reply({})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BOTWEBHOOK_SECRET": SECRET}
    locust = [sys.executable, "-m", "locust", "-f", "locustfile.py"]
    with LiveWebhookServer(handler=conforming(answer)) as server:
        master = subprocess.Popen(
            [*locust, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port",
             str(port), "--headless", "--expect-workers", "1", "-u", "4", "-r", "4", "-t", "3s",
             "--host", server.url, "--csv", "dist", "--only-summary"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        worker = subprocess.Popen(
            [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            master.communicate(timeout=60)
            worker.communicate(timeout=30)
        finally:
            for process in (master, worker):
                if process.poll() is None:
                    process.kill()
        served = server.received  # every call, also those the log no longer keeps
    requests, failures = aggregated(tmp_path / "dist_stats.csv")
    assert requests > 10
    assert 0 <= served - requests <= 4  # every call came from the worker (4 may be in flight)
    assert 0 < failures < requests
    failed = (tmp_path / "dist_failures.csv").read_text("utf-8")
    assert "BW401 server error on a valid platform payload" in failed
    assert "colour" in failed


def test_the_user_class_is_documented(tmp_path: Path) -> None:
    """harness.locust is public; it is imported in a child (gevent patches the process)."""
    manual = tmp_path / "manual.md"
    manual.write_text(manual_text(), "utf-8")
    code = (
        "import harness.locust as m, re, pathlib, sys\n"
        "readme = pathlib.Path(sys.argv[1]).read_text()\n"
        "assert m.__doc__ and m.BotWebhookUser.__doc__\n"
        "print([n for n in m.__all__ if not re.search(rf'\\b{n}\\b', readme)])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(manual)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


def test_an_asgi_app_is_served_for_the_run(tmp_path: Path) -> None:
    styles = ROOT / "tests" / "helpers" / "styles"
    run = botwebhook(
        "load", "--serve", f"{styles / 'asgi_apps.py'}:fastapi_ok", "--secret", SECRET,
        "--users", "2", "--duration", "1s", "--max-failures", "0", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    result = summary_of(run.stdout)
    assert result["requests"] > 10
    assert result["failures"] == 0


def test_the_user_class_runs_unchanged_with_processes(tmp_path: Path) -> None:
    write_locustfile(tmp_path)
    env = {**os.environ, "BOTWEBHOOK_SECRET": SECRET}
    with LiveWebhookServer(secret=SECRET) as server:
        run = subprocess.run(
            [sys.executable, "-m", "locust", "-f", "locustfile.py", "--headless", "--processes",
             "2", "-u", "4", "-r", "4", "-t", "2s", "--host", server.url, "--csv", "procs",
             "--only-summary"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        verdicts = {call.verdict for call in server.calls}
    assert run.returncode == 0, run.stdout + run.stderr
    requests, failures = aggregated(tmp_path / "procs_stats.csv")
    assert requests > 10
    assert failures == 0
    assert verdicts == {"valid"}


def test_certificates_are_verified_as_the_platform_does(tmp_path: Path) -> None:
    with LiveWebhookServer(secret=SECRET, tls=True) as server:
        common = ["load", server.url, "--users", "1", "--duration", "1s", "--secret", SECRET,
                  "--json"]  # fmt: skip
        untrusted = botwebhook(*common, cwd=tmp_path)
        trusted = botwebhook(*common, "--insecure", cwd=tmp_path)
    refused = summary_of(untrusted.stdout)
    assert refused["failures"] == refused["requests"] > 0
    assert set(refused["by_code"]) == {"BW100"}  # the TLS failure: the chat's fallback
    accepted = summary_of(trusted.stdout)
    assert accepted["requests"] > 0
    assert accepted["failures"] == 0


def test_a_served_apps_prints_stay_off_the_summary(tmp_path: Path) -> None:
    (tmp_path / "noisy.py").write_text(
        "def app(environ, start_response):\n"
        "    print('NOISY HANDLER OUTPUT')\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n",
        "utf-8",
    )
    run = botwebhook("load", "--serve", f"{tmp_path / 'noisy.py'}:app", "--users", "1",
                     "--duration", "1s", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "NOISY" not in run.stdout + run.stderr
    assert "fallback  none" in run.stdout


def test_a_single_intent_webhook_on_a_sub_route_is_loaded_with_its_intent_only(
    tmp_path: Path,
) -> None:
    """The first run with no configuration: the path from the route table, and the
    catalogue's intents the handler does not serve left out (said once)."""
    app = ROOT / "tests" / "helpers" / "realworld" / "rw_weather_restful.py"
    run = botwebhook(
        "load", "--serve", f"{app}:app", "--users", "2", "--spawn-rate", "20",
        "--duration", "1s", "--timeout", "2s", "--secret", SECRET, "--json",
        cwd=tmp_path,
    )  # fmt: skip
    result = summary_of(run.stdout)
    assert result["url"].endswith("/getWeather"), result["url"]
    assert result["model"] == "the built-in catalogue (12 intents)"
    assert any(n.startswith("BW110 warning: 11 intents not served") for n in result["notes"])
    assert result["requests"] > 0
    assert "BW401" not in result["by_code"]  # only weather was loaded
    assert "BW101" not in result["by_code"]
    text = botwebhook(
        "load", "--serve", f"{app}:app", "--users", "1", "--duration", "0.5s",
        "--timeout", "2s", "--intent", "weather", "--path", "/getWeather",
        cwd=tmp_path,
    )  # fmt: skip
    assert "model: the built-in catalogue, intents weather (1 intent)" in text.stdout
    assert "BW110" not in text.stdout


def test_load_refuses_a_path_with_a_url(tmp_path: Path) -> None:
    run = botwebhook("load", "http://127.0.0.1:9/", "--path", "/x", cwd=tmp_path)
    assert run.returncode == 2
    assert "--path is for an app served with --serve" in run.stderr


LOCKED = """
import json, threading, time
from werkzeug.wrappers import Request, Response
LOCK = threading.Lock()

@Request.application
def app(request):
    with LOCK:
        time.sleep(0.03)  # about 33 calls a second, one at a time
    return Response(json.dumps({"text": "ok"}), mimetype="application/json")
"""


@pytest.fixture
def locked_app(tmp_path: Path) -> str:
    (tmp_path / "locked.py").write_text(LOCKED, "utf-8")
    return f"{tmp_path / 'locked.py'}:app"


def test_more_users_than_a_server_cap_give_bw105_never_bw401(
    tmp_path: Path, locked_app: str
) -> None:
    """80 users, more than the 64 connections the old served server took: the server we
    serve with is sized for the run, so every fallback is the handler's queue."""
    run = botwebhook(
        "load", "--serve", locked_app, "--users", "80", "--spawn-rate", "400",
        "--duration", "2s", "--timeout", "1s", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr  # chats got the fallback
    result = summary_of(run.stdout)
    assert set(result["by_code"]) == {"BW105"}, result["by_code"]
    assert result["served"]["harness_limits"] == {}
    assert set(result["served"]["statuses"]) == {"200"}  # the handler never failed
    assert result["served"]["connection_limit"] > 80
    assert result["within_budget"] is False
    assert result["p99"] >= 1000  # the timeouts count, at the budget
    assert result["ok_rps"] < result["rps"]


def test_the_limit_is_where_the_queue_passes_the_budget(tmp_path: Path, locked_app: str) -> None:
    """One call at a time, 30 ms each: 20 chats wait about 0.6 s, 40 about 1.2 s, past
    the 1 s budget (the bounds are wide: the machine may be busy with other tests)."""
    run = botwebhook(
        "load", "--serve", locked_app, "--users", "80", "--step-users", "20",
        "--spawn-rate", "400", "--duration", "2s", "--timeout", "1s", "--find-limit", "--json",
        "--max-failures", "5%",  # a stray pause of the machine is not the handler's limit
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    result = summary_of(run.stdout)
    steps = json.dumps({"steps": result["steps"], "by_code": result["by_code"]})
    assert (result["limit_users"], result["broke_at_users"]) == (20, 40), steps
    assert [s["users"] for s in result["steps"]] == [20, 40]  # --find-limit stops there
    first, second = result["steps"]
    assert first["within_budget"], first
    assert first["fallbacks"] <= 0.05 * first["requests"]
    assert 12 <= first["ok_rps"] <= 40  # about 1 / 30 ms: the handler's own rate
    assert 250 <= first["p50"] <= 900  # about 20 x 30 ms of queue
    assert not second["within_budget"]
    assert "BW401" not in result["by_code"]


def test_a_share_of_fallbacks_can_be_allowed(tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(
        "import itertools\n"
        "CALLS = itertools.count()\n"
        "def app(environ, start_response):\n"
        "    bad = next(CALLS) % 2  # every other call fails\n"
        "    status = '500 Internal Server Error' if bad else '200 OK'\n"
        "    start_response(status, [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n",
        "utf-8",
    )
    common = ["load", "--serve", f"{tmp_path / 'flaky.py'}:app", "--users", "2",
              "--duration", "1s", "--json"]  # fmt: skip
    strict = botwebhook(*common, cwd=tmp_path)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    result = summary_of(strict.stdout)
    assert set(result["by_code"]) == {"BW401"}
    assert 0.2 < result["fallback_share"] < 0.8
    assert "none is allowed" in result["thresholds_crossed"][0]
    lenient = botwebhook(*common, "--max-failures", "90%", cwd=tmp_path)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert summary_of(lenient.stdout)["thresholds_crossed"] == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (one waiting to be reaped has ended)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_locust_child_dies_with_the_command(tmp_path: Path, locked_app: str, sig: int) -> None:
    """However the command ends: the app it serves is in its own process, and the Locust
    child stops within a second or two (the kernel tells it on Linux, and it watches a
    pipe from the command everywhere)."""
    command = [sys.executable, "-m", "harness.cli", "load", "--serve", locked_app, "--users",
               "5", "--duration", "60s", "--timeout", "1s"]  # fmt: skip
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=tmp_path)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        child = None
        while child is None and time.monotonic() < deadline:
            child = next((c for c in _children(parent.pid) if _running(c)), None)
            time.sleep(0.1)
        assert child is not None, "the Locust child never started"
        time.sleep(2)  # the run is under way
        parent.send_signal(sig)
        parent.wait(10)
        ended = time.monotonic() + 2
        while _running(child) and time.monotonic() < ended:
            time.sleep(0.05)
        assert not _running(child), "the Locust child outlived its command"
    finally:
        for pid in [parent.pid, *(c for c in _children(parent.pid))]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_memory_stays_flat_through_a_run(tmp_path: Path) -> None:
    """A fast handler under load, about a thousand calls a second: neither the command
    (with the served app) nor the Locust child keeps a record per call."""
    (tmp_path / "fast.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        '    return [b\'{"text": "ok"}\']\n',
        "utf-8",
    )
    command = [sys.executable, "-m", "harness.cli", "load", "--serve", f"{tmp_path}/fast.py:app",
               "--users", "8", "--spawn-rate", "100", "--duration", "9s", "--json"]  # fmt: skip
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=tmp_path)  # fmt: skip

    def rss(pid: int) -> int:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0  # pragma: no cover

    try:
        time.sleep(5)  # the survey done, the users spawned: warmed up
        child = next(c for c in _children(parent.pid) if _running(c))
        before = rss(parent.pid), rss(child)
        time.sleep(4)
        after = rss(parent.pid), rss(child)
        out, _ = parent.communicate(timeout=60)
    finally:
        if parent.poll() is None:
            parent.kill()
    result = summary_of(out)
    assert result["requests"] > 1000
    grown = [(a - b) / 2**20 for a, b in zip(after, before, strict=True)]
    assert max(grown) < 12, f"RSS grew by {grown} MiB over {result['requests']} calls"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pseudo-terminal")
def test_progress_on_a_terminal_counts_whole_seconds(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    (tmp_path / "fast.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n",
        "utf-8",
    )
    leader, follower = pty.openpty()
    # A terminal of 120 columns (a new one has none, and tqdm draws nothing in 0).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    command = [sys.executable, "-m", "harness.cli", "load", "--serve", f"{tmp_path}/fast.py:app",
               "--users", "2", "--duration", "3s"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, cwd=tmp_path)
    os.close(follower)
    seen = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        process.wait(60)
        os.close(leader)
    text = seen.decode("utf-8", "replace")
    import re

    counts = re.findall(r"\| ?([0-9.]+)/([0-9.]+) \[", text)
    assert counts, text[-500:]
    assert all("." not in done and "." not in total for done, total in counts), counts


def test_an_allowed_share_of_timeouts_keeps_a_step_within_budget(tmp_path: Path) -> None:
    """A call past the budget is a fallback like any other: with a share allowed, p99 may
    reach the budget and the step is still within it (once, p99 overrode the share)."""
    (tmp_path / "sometimes_slow.py").write_text(
        "import itertools, time\n"
        "CALLS = itertools.count()\n"
        "def app(environ, start_response):\n"
        "    if next(CALLS) % 4 == 3:\n"
        "        time.sleep(0.5)  # past the 0.3 s budget\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n",
        "utf-8",
    )
    run = botwebhook(
        "load", "--serve", f"{tmp_path / 'sometimes_slow.py'}:app", "--users", "2",
        "--step-users", "2", "--find-limit", "--duration", "2s", "--timeout", "0.3s",
        "--max-failures", "50%", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    step = summary_of(run.stdout)["steps"][0]
    assert step["p99"] >= 300
    assert 0.1 < step["fallback_share"] <= 0.5
    assert step["within_budget"], step
    assert summary_of(run.stdout)["limit_users"] == 2


def test_a_locust_user_with_the_old_sign_attribute_still_signs_with_a_warning() -> None:
    if importlib.util.find_spec("locust") is None:
        pytest.skip("Locust is not installed (the load extra)")
    code = (
        "import importlib, warnings\n"
        "user = importlib.import_module('harness.load._user')\n"
        "class Old(user.BotWebhookUser):\n    sign = False\n"
        "class New(user.BotWebhookUser):\n    signed = True\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    print(user._signed(Old), user._signed(New), user._signed(user.BotWebhookUser))\n"
        "print([str(w.message) for w in seen if w.category is DeprecationWarning])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, warned = out.stdout.splitlines()[-2:]
    assert first == "False True None"
    assert "Old.sign is now Old.signed" in warned
