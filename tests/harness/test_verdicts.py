"""Verdicts users can trust: the threat model, bounded runs, captured output.

Every verdict is tested against handlers written in different styles
(``tests/helpers/styles``): Flask the usual way, a Django view, a bare WSGI
function.  Each verifies first and parses defensively, so each must check
clean, everywhere a verdict is made.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bw_handlers as H
import pytest
from bw_reports import check_json
from werkzeug.wrappers import Request, Response

from harness import deliver, fuzz, load_target, run_check
from harness.checks import WsgiTarget, build_matrix
from harness.cli import main
from harness.protocol import load_fixture

SECRET = H.SECRET
STYLES = Path(__file__).resolve().parent.parent / "helpers" / "styles"
CONFORMING = [
    f"{STYLES / 'flask_typical.py'}:app",
    f"{STYLES / 'django_typical.py'}:app",
    f"{STYLES / 'wsgi_typical.py'}:application",
]
# Django settings are configured once per process: its handler runs in a process of its own.
IN_PROCESS = [spec for spec in CONFORMING if "django" not in spec]
DJANGO = CONFORMING[1]


def botwebhook(*argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


PARSES_FIRST = f"{STYLES / 'flask_parses_first.py'}:app"


# -- 1. a finding is an error only when it can happen in production ----------------------


@pytest.mark.parametrize("spec", IN_PROCESS, ids=["flask", "wsgi"])
def test_conforming_styles_check_clean(spec: str) -> None:
    report = run_check(load_target(spec), secret=SECRET)
    assert report.findings == [], [f.evidence for f in report.findings]
    assert report.exit_code(strict=True) == 0
    assert report.advice == []


@pytest.mark.parametrize("spec", IN_PROCESS, ids=["flask", "wsgi"])
def test_conforming_styles_check_clean_from_the_command_line(
    spec: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", spec, "--secret", SECRET]) == 0
    out, err = capsys.readouterr()
    assert "no findings" in out
    assert err == ""  # quiet: the handler's prints are captured, not dumped


@pytest.mark.parametrize("spec", IN_PROCESS, ids=["flask", "wsgi"])
def test_conforming_styles_fuzz_clean(spec: str) -> None:
    report = fuzz(load_target(spec), secret=SECRET, examples=120, seed=3, database=None)
    assert report.ok, report.render()


def test_a_conforming_django_view_checks_and_fuzzes_clean(tmp_path: Path) -> None:
    check = botwebhook("check", DJANGO, "--secret", SECRET, "--strict")
    assert check.returncode == 0, check.stdout
    assert "no findings" in check.stdout
    assert check.stderr == ""
    found = botwebhook(
        "fuzz", DJANGO, "--secret", SECRET, "--examples", "120", "--seed", "3", "--no-database",
        "--save-dir", str(tmp_path),
    )  # fmt: skip
    assert found.returncode == 0, found.stdout
    assert "no failure" in found.stdout


@pytest.mark.parametrize("spec", CONFORMING, ids=["flask", "django", "wsgi"])
def test_conforming_styles_pass_the_pytest_suite(spec: str, pytester: pytest.Pytester) -> None:
    run = pytester.runpytest_subprocess if spec == DJANGO else pytester.runpytest
    result = run(
        "--botwebhook-suite", "--botwebhook-target", spec, "--botwebhook-secret", SECRET, "-q"
    )
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes, result.stdout.str()
    assert outcomes["passed"] == len(build_matrix())


def test_a_handler_that_parses_first_gets_bw402_everywhere(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_check(load_target(PARSES_FIRST), secret=SECRET)
    assert {f.code for f in report.findings} == {"BW402"}
    (finding,) = report.findings
    assert finding.scenario == "malformed[json_array]"
    assert "sent with no signature, as anyone could send it" in finding.evidence
    assert "AttributeError" in finding.evidence
    assert main(["check", PARSES_FIRST, "--secret", SECRET]) == 1
    capsys.readouterr()
    found = fuzz(load_target(PARSES_FIRST), secret=SECRET, examples=150, seed=1, database=None)
    # Each distinct crash (its exception and where) is its own failure, all of them BW402.
    assert {f.code for f in found.failures} == {"BW402"}
    assert {f.phase for f in found.failures} == {"attacker"}
    result = pytester.runpytest(
        "--botwebhook-suite", "--botwebhook-target", PARSES_FIRST, "--botwebhook-secret", SECRET
    )
    result.assert_outcomes(failed=1, passed=len(build_matrix()) - 1)


def test_malformed_probes_carry_no_signature_on_a_signed_target() -> None:
    report = run_check(WsgiTarget(H.GOOD), secret=SECRET, robustness=True)
    malformed = [e for e in report.exchanges if e.expect == "malformed"]
    robustness = [e for e in report.exchanges if e.expect == "robustness"]
    assert len(malformed) == len(robustness) == 6
    assert all("X-Hub-Signature" not in e.sent.headers for e in malformed)
    assert all(e.sent.headers["X-Hub-Signature"].startswith("sha256=") for e in robustness)
    assert all(e.received is not None and e.received.status == 401 for e in malformed)


def test_the_robustness_probe_is_an_opt_in_warning() -> None:
    flask = load_target(CONFORMING[0])
    assert not any(s.expect == "robustness" for s in build_matrix())
    report = run_check(flask, secret=SECRET, robustness=True)
    assert {f.code for f in report.findings} == {"BW403"}
    assert all(f.severity == "warning" for f in report.findings)
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
    # A handler that verifies first but crashes on what it cannot parse: the same.
    garbage = run_check(WsgiTarget(H.CRASHES_ON_GARBAGE), secret=SECRET, robustness=True)
    assert {f.code for f in garbage.findings} == {"BW403"}
    assert run_check(WsgiTarget(H.CRASHES_ON_GARBAGE), secret=SECRET).findings == []


def test_robustness_needs_a_secret_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", CONFORMING[0], "--probe", "robustness"]) == 2
    assert "--probe robustness sends malformed bodies signed" in capsys.readouterr().err


def test_conforms_sends_malformed_bytes_as_an_attacker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from hypothesis import HealthCheck, given, settings
        from harness import strategies as bst

        @pytest.fixture
        def botwebhook_target():
            return {CONFORMING[0]!r}

        @pytest.fixture
        def botwebhook_secret():
            return {SECRET!r}

        CHECKS = [HealthCheck.function_scoped_fixture]

        @settings(max_examples=40, deadline=None, suppress_health_check=CHECKS)
        @given(body=bst.malformed_bodies())
        def test_malformed(botwebhook, body):
            exchange = botwebhook.conforms(body)
            assert "X-Hub-Signature" not in exchange.sent.headers

        @settings(max_examples=20, deadline=None, suppress_health_check=CHECKS)
        @given(payload=bst.payloads())
        def test_valid(botwebhook, payload):
            botwebhook.conforms(payload)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


# -- 3. every run is bounded in time -------------------------------------------------------


@Request.application  # type: ignore[arg-type]
def _sleepy(request: Request) -> Response:
    time.sleep(3)
    return H.reply({"text": "late"})


def test_an_in_process_call_is_abandoned_at_the_timeout() -> None:
    started = time.perf_counter()
    exchange = deliver(WsgiTarget(_sleepy), load_fixture("colour_shape_a"), timeout=0.3)
    assert time.perf_counter() - started < 2.5  # not the handler's 3 s
    assert [f.code for f in exchange.findings] == ["BW105"]
    assert exchange.delivery.timed_out


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A URL that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_target_that_never_answers_stops_early(silent_url: str) -> None:
    report = run_check(load_target(silent_url), timeout=0.3)
    assert report.stopped is not None
    assert "the first 3 calls all failed (Read timed out)" in report.stopped
    assert report.not_run >= len(build_matrix(signature_probes=False)) - 4
    assert {f.code for f in report.findings} == {"BW105"}
    assert report.exit_code() == 1
    assert len(report.advice) == 1
    assert "--keep-going" in report.advice[0]


def test_keep_going_sends_everything(silent_url: str) -> None:
    few = build_matrix(signature_probes=False)[:6]
    report = run_check(load_target(silent_url), timeout=0.2, scenarios=few, keep_going=True)
    assert report.stopped is None
    assert [e.scenario for e in report.exchanges] == [s.id for s in few]


class _Counter:
    """A handler that notes how many calls it is in at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return H.GOOD(environ, start_response)


@pytest.mark.parametrize("workers", [1, 4])
def test_workers_bound_the_calls_in_flight_and_the_order_stays(workers: int) -> None:
    handler = _Counter()
    scenarios = build_matrix()[:16]
    report = run_check(WsgiTarget(handler), secret=SECRET, scenarios=scenarios, workers=workers)
    assert handler.most == workers
    assert [e.scenario for e in report.exchanges] == [s.id for s in scenarios]
    assert report.findings == []


def test_bad_workers_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from harness import BotWebhookError

    with pytest.raises(BotWebhookError, match="positive int for workers, got 0"):
        run_check(WsgiTarget(H.GOOD), workers=0)
    with pytest.raises(SystemExit) as stopped:
        main(["check", "--workers", "0"])
    assert stopped.value.code == 2
    assert "--workers: 0 is not a whole number from 1 to 64" in capsys.readouterr().err


def test_ctrl_c_keeps_the_report_of_what_was_done(capsys: pytest.CaptureFixture[str]) -> None:
    calls = []

    @Request.application  # type: ignore[arg-type]
    def interrupted(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return H.GOOD(request.environ, lambda *a: None) and H.reply({"text": "ok"})

    report = run_check(WsgiTarget(interrupted), secret=SECRET, workers=1)
    assert report.interrupted
    assert 0 < len(report.exchanges) < len(build_matrix())
    assert report.not_run == len(build_matrix()) - len(report.exchanges)
    ids = [s.id for s in build_matrix()]
    done = [e.scenario for e in report.exchanges]
    assert done == sorted(done, key=ids.index)  # in matrix order


def test_ctrl_c_on_the_command_line_prints_the_report_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "stops.py"
    app.write_text(
        "calls = []\n"
        "def app(environ, start_response):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 5:\n"
        "        raise KeyboardInterrupt\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{}']\n"
    )
    assert main(["check", f"{app}:app", "--workers", "1"]) == 130
    out = capsys.readouterr().out
    assert "interrupted:" in out
    assert "not sent" in out


# -- 4. the handler's output is captured -------------------------------------------------------


NOISY = """
import sys, logging
log = logging.getLogger("noisy")
log.addHandler(logging.StreamHandler())  # standard error, as logging.basicConfig() does
log.propagate = False

def app(environ, start_response):
    print("printed by the handler")
    sys.stderr.write("written to stderr\\n")
    log.warning("logged by the handler")
    if environ.get("CONTENT_LENGTH") == "0":
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{}']
    start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])
    return [b'boom']
"""


def test_output_is_captured_and_shown_with_the_finding(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "noisy.py"
    app.write_text(NOISY)
    few = ["--keep-going", "--workers", "2"]
    assert main(["check", f"{app}:app", *few]) == 1
    out, err = capfd.readouterr()
    assert err == ""
    assert "the handler's output:" in out
    assert "    | printed by the handler" in out
    assert "    | written to stderr" in out
    assert "    | logged by the handler" in out
    assert out.count("printed by the handler") <= 4  # with the first finding of each code

    assert main(["check", f"{app}:app", *few, "--json"]) == 1
    data = check_json("check", capfd.readouterr().out)
    assert all("printed by the handler" in f["output"] for f in data["findings"])
    assert all("logged by the handler" in s["output"] for s in data["results"])

    assert main(["check", f"{app}:app", *few, "--show-output"]) == 1
    out, err = capfd.readouterr()
    assert "the handler's output:" not in out
    assert err.count("written to stderr") > 100  # let through, live


def test_a_flask_traceback_is_kept_with_its_finding() -> None:
    # In a process of its own: under pytest, Flask logs to pytest's handlers instead.
    done = botwebhook("check", PARSES_FIRST, "--secret", SECRET, "--verbose")
    assert done.returncode == 1
    assert done.stderr == ""  # not one line of the traceback on the terminal
    assert "the handler's output:" in done.stdout
    assert "    | Traceback (most recent call last):" in done.stdout  # --verbose: all of it
    assert "    | AttributeError: 'list' object has no attribute 'get'" in done.stdout


def test_long_output_is_clipped_in_the_text_report(tmp_path: Path) -> None:
    app = tmp_path / "chatty.py"
    app.write_text(
        "def app(environ, start_response):\n"
        "    for i in range(500):\n"
        "        print('line', i)\n"
        "    start_response('500 Internal Server Error', [])\n"
        "    return [b'']\n"
    )
    from harness.checks import render_text

    target = load_target(f"{app}:app", capture=True)
    report = run_check(target, scenarios=build_matrix()[:1])
    text = render_text(report)
    assert "[... 488 earlier lines]" in text
    assert "| line 499" in text
    assert "| line 10\n" not in text
    assert "| line 10\n" in render_text(report, verbose=True)


def test_inside_pytest_capture_is_left_to_pytest() -> None:
    assert WsgiTarget(H.GOOD).capture is False
    assert WsgiTarget(H.GOOD, capture=True).capture is True


# -- 5. smaller fixes ---------------------------------------------------------------------------


ASYNC_APP = """
async def app(scope, receive, send):
    pass

class Asgi:
    async def __call__(self, scope, receive, send):
        pass

instance = Asgi()

def no_args():
    return "hello"

class OtherArgs:
    def __call__(self, a, b, c):
        return None

other = OtherArgs()
"""


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("no_args", "cannot be called as app(environ, start_response)"),
        ("other", "cannot be called as app(environ, start_response)"),
    ],
)
def test_objects_that_are_not_wsgi_apps_are_refused(
    attr: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "notwsgi.py"
    module.write_text(ASYNC_APP)
    assert main(["check", f"{module}:{attr}"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("attr", ["app", "instance"])
def test_asgi_objects_are_called_as_asgi(
    attr: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "asgi_noop.py"
    module.write_text(ASYNC_APP)
    assert main(["check", f"{module}:{attr}", "--keep-going"]) == 1  # it answers nothing
    out = capsys.readouterr().out
    assert "BW401" in out
    assert "the ASGI app returned without starting a response" in out


@pytest.mark.parametrize("spec", ["os:getcwd", "os:system"])
def test_standard_functions_are_refused(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", spec]) == 2
    assert "not a WSGI application" in capsys.readouterr().err


def test_sign_with_an_empty_secret_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(b"{}")
    assert main(["sign", str(body), "--secret", ""]) == 2
    assert "the secret is empty" in capsys.readouterr().err


def test_fuzz_help_says_the_seed_is_random(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["fuzz", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "random seed (default: random" in out
    assert "(default: 0)" not in out


def test_live_server_fixtures_honour_an_overridden_secret(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def botwebhook_secret():
            return "my-own-secret-from-conftest-0000000000000"
        """
    )
    pytester.makepyfile(
        """
        import requests
        from harness.protocol import load_fixture
        from harness import sign

        SECRET = "my-own-secret-from-conftest-0000000000000"

        def test_plain(botwebhook_server):
            body = load_fixture("colour_shape_a")
            answer = requests.post(botwebhook_server.url, data=body,
                                   headers={"X-Hub-Signature": sign(body, SECRET)}, timeout=5)
            assert answer.status_code == 200
            assert botwebhook_server.secret == SECRET

        def test_tls(botwebhook_tls_server):
            body = load_fixture("colour_shape_a")
            answer = requests.post(botwebhook_tls_server.url, data=body,
                                   headers={"X-Hub-Signature": sign(body, SECRET)},
                                   verify=str(botwebhook_tls_server.ca_bundle), timeout=5)
            assert answer.status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
