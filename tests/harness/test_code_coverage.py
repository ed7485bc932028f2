"""Handler code coverage (``--code-coverage``, ``--botwebhook-code-coverage``).

Every run here is a separate process: coverage.py traces the process that runs
it, and these tests must hold whether or not the suite itself runs under
coverage.  The numbers are counted by hand on ``coverage_handlers/cov_wsgi.py``
(its line numbers are given below): a WSGI handler that verifies first, with an
admin branch no platform call can reach (line 17 to 18), a function only that
branch calls (``admin``, line 26), and a branch only the weather intent can
take (line 20 to 21, for a language no bot speaks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("coverage")

HANDLER = Path(__file__).parents[1] / "helpers" / "coverage_handlers" / "cov_wsgi.py"
SECRET = "code-coverage-secret"
INTENTS = ["--intent", "weather", "--intent", "order_pizza"]


def _botwebhook(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def handler_dir(tmp_path: Path) -> Path:
    shutil.copy(HANDLER, tmp_path / "cov_wsgi.py")
    return tmp_path


def test_check_counts_what_the_payloads_reached_as_counted_by_hand(handler_dir: Path) -> None:
    done = _botwebhook(handler_dir, "check", "cov_wsgi.py:app", "--secret", SECRET, *INTENTS,
                       "--code-coverage", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    code = data["code_coverage"]
    # Function bodies: app has 12 statements (12-23), admin 1 (27), answer 3 (31-33).
    # No payload runs 18 (to admin), 27 (admin's body) nor 21 (Klingon): 13 of 16.
    # Branches: 14, 17, 19, 20 have two each; 17->18 and 20->21 are never taken: 6 of 8.
    assert code["lines"] == {"reached": 13, "total": 16}
    assert code["branches"] == {"taken": 6, "total": 8}
    assert code["files"] == ["cov_wsgi.py"]
    assert code["unreached_functions"] == [{"file": "cov_wsgi.py", "line": 26, "name": "admin"}]
    assert code["unreached_branches"] == [
        {"file": "cov_wsgi.py", "line": 17, "to": 18, "reached_by": ["order_pizza", "weather"]},
        {"file": "cov_wsgi.py", "line": 20, "to": 21, "reached_by": ["weather"]},
    ]
    assert code["unreached_lines"] == [
        {"file": "cov_wsgi.py", "first": 18, "last": 18},
        {"file": "cov_wsgi.py", "first": 21, "last": 21},
    ]
    # Every call is counted under the intent its body names, once.
    assert sum(i["calls"] for i in code["intents"].values()) == data["summary"]["requests"]
    assert code["intents"]["weather"]["calls"] > 0
    assert code["intents"]["order_pizza"]["calls"] > 0
    # A call the signature check refuses runs 12-15 and answer (31-33): 7 lines.
    assert code["intents"]["(not a payload)"]["lines"] == 7
    assert (handler_dir / ".botwebhook-coverage").is_file()


def test_the_text_names_the_unreached_function_and_branches_by_file_and_line(
    handler_dir: Path,
) -> None:
    done = _botwebhook(handler_dir, "check", "cov_wsgi.py:app", "--secret", SECRET, *INTENTS,
                       "--code-coverage")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = done.stdout.split("handler code coverage", 1)[1]
    assert "13 of 16 (81%) of function lines, 6 of 8 (75%) of branches, in cov_wsgi.py" in text
    assert "cov_wsgi.py:26  admin" in text
    assert "cov_wsgi.py:17  never went to line 18  (line reached by order_pizza, weather)" in text
    assert "cov_wsgi.py:20  never went to line 21  (line reached by weather)" in text
    assert "coverage html --data-file=.botwebhook-coverage --show-contexts" in text
    assert done.stderr == ""  # coverage.py's own warnings stay out of the user's way


def test_an_asgi_app_is_measured_on_its_loop_and_by_intent(tmp_path: Path) -> None:
    (tmp_path / "asgi_hook.py").write_text(textwrap.dedent('''\
        import json


        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            body = (await receive())["body"]
            try:
                intent = json.loads(body)["intentName"]
            except (ValueError, KeyError, TypeError):
                intent = None
            if intent == "weather":
                text = weather()
            else:
                text = "ok"
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps({"text": text}).encode()})


        def weather():
            return "sunny"


        def refund():
            return "never"
        '''))  # fmt: skip
    done = _botwebhook(tmp_path, "check", "asgi_hook.py:app", *INTENTS, "--code-coverage",
                       "--json")  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    code = json.loads(done.stdout)["code_coverage"]
    assert code["unreached_functions"] == [{"file": "asgi_hook.py", "line": 25, "name": "refund"}]
    assert code["intents"]["weather"]["lines"] > code["intents"]["order_pizza"]["lines"]
    # Both sides of each test on the intent were taken; only the lifespan's way out (run
    # at startup, outside any call) was never taken by a payload.
    assert [(b["line"], b["to"]) for b in code["unreached_branches"]] == [(5, 6)]


def test_a_call_thread_started_before_the_measure_is_measured_too(handler_dir: Path) -> None:
    script = textwrap.dedent(f'''\
        from harness import deliver, load_target
        from harness.checks import CodeCoverage
        from harness.model import PayloadFactory

        target = load_target("cov_wsgi.py:app")
        payload = PayloadFactory(seed=1).build(intent="weather")
        deliver(target, payload, secret={SECRET!r})  # the call thread starts now
        measure = CodeCoverage.start()
        deliver(target, payload, secret={SECRET!r})
        measure.stop()
        result = measure.result(["cov_wsgi.py"])
        print(result.intents["weather"])
        ''')  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", script], cwd=handler_dir, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 11)"  # one call, 12-14, 16-17, 19-20, 22, 31-33


def test_setup_code_is_left_out_of_the_counts(tmp_path: Path) -> None:
    (tmp_path / "factory_hook.py").write_text(textwrap.dedent('''\
        import json


        def create_app(greeting="hello"):
            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps({"text": greeting}).encode()]

            return app
        '''))  # fmt: skip
    done = _botwebhook(tmp_path, "check", "factory_hook.py:create_app()", "--intent", "weather",
                       "--code-coverage", "--json")  # fmt: skip
    code = json.loads(done.stdout)["code_coverage"]
    assert code["unreached_functions"] == []
    assert code["lines"] == {"reached": 2, "total": 2}  # app's body; create_app ran at setup
    assert any("ran only outside the calls" in note for note in code["notes"])


def test_code_coverage_refuses_a_url_target_in_one_line(tmp_path: Path) -> None:
    done = _botwebhook(tmp_path, "check", "http://127.0.0.1:9/hook", "--code-coverage")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--code-coverage measures an in-process handler" in done.stderr
    assert "coverage run" in done.stderr


def test_without_coverage_installed_it_says_which_extra(handler_dir: Path) -> None:
    script = (
        "import sys; sys.modules['coverage'] = None\n"
        "from harness.cli import main\n"
        "sys.exit(main(['check', 'cov_wsgi.py:app', '--code-coverage']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", script], cwd=handler_dir, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().endswith("pip install 'pytest-botwebhook[coverage]'")
    assert "Traceback" not in done.stderr


# -- the pytest plugin ----------------------------------------------------------------

_TESTS = textwrap.dedent("""\
    import pytest


    @pytest.fixture
    def botwebhook_target():
        from cov_wsgi import app
        return app


    def test_weather(botwebhook):
        botwebhook.send(intent="weather").assert_ok()


    def test_pizza(botwebhook):
        botwebhook.send(intent="order_pizza").assert_ok()
    """)


@pytest.fixture
def webhook_repo(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copy(HANDLER, pytester.path / "cov_wsgi.py")
    pytester.makeini(f"[pytest]\nbotwebhook_secret = {SECRET}\n")
    pytester.makepyfile(test_hook=_TESTS)
    return pytester


def test_the_pytest_summary_names_what_no_test_reached(webhook_repo: pytest.Pytester) -> None:
    result = webhook_repo.runpytest_subprocess("-p", "no:cacheprovider",
                                               "--botwebhook-code-coverage")  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([
        "botwebhook code coverage:",
        "handler code coverage (measured by botwebhook's coverage.py run, with branches):",
        "*of function lines*in cov_wsgi.py",
        "*order_pizza*1*",
        "*weather*1*",
        "*functions no payload reached:*",
        "*cov_wsgi.py:26  admin*",
        "*cov_wsgi.py:17  never went to line 18*",
    ])  # fmt: skip
    assert (webhook_repo.path / ".botwebhook-coverage").is_file()


def test_beside_pytest_cov_there_is_one_tracer_and_no_line_is_lost(
    webhook_repo: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_cov")
    # The handler notes which coverage.py measures it: pytest-cov's, writing .coverage.
    source = (webhook_repo.path / "cov_wsgi.py").read_text()
    (webhook_repo.path / "cov_wsgi.py").write_text(
        source.replace("    data = json.loads(body)\n", "    data = json.loads(body); note()\n")
        + "\n\ndef note():\n    import coverage\n\n    with open('tracer.txt', 'a') as f:\n"
        "        f.write(str(coverage.Coverage.current().get_option('run:data_file')) + '\\n')\n"
    )  # the line numbers stay as they are
    result = webhook_repo.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "pytest_cov", "--cov=.", "--cov-branch",
        "--cov-context=test", "--cov-report=term-missing", "--botwebhook-code-coverage",
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    output = result.stdout.str()
    assert "measured by your coverage.py run, with branches" in output
    assert "cov_wsgi.py:26  admin" in output
    assert not (webhook_repo.path / ".botwebhook-coverage").exists()  # no second tracer
    tracers = set((webhook_repo.path / "tracer.txt").read_text().split())
    assert len(tracers) == 1
    assert tracers.pop().endswith(".coverage")
    # pytest-cov's data has every handler line the calls ran, under the test's context
    # with the intent after it.
    import coverage

    data = coverage.CoverageData(str(webhook_repo.path / ".coverage"))
    data.read()
    handler = next(f for f in data.measured_files() if f.endswith("cov_wsgi.py"))
    assert {12, 13, 14, 16, 17, 19, 20, 22, 23, 31, 32, 33} <= set(data.lines(handler) or ())
    contexts = data.measured_contexts()
    assert "test_hook.py::test_weather|run|botwebhook:weather" in contexts
    assert "test_hook.py::test_pizza|run|botwebhook:order_pizza" in contexts


def test_under_xdist_it_says_to_run_without_n(webhook_repo: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = webhook_repo.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                               "--botwebhook-code-coverage")  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--botwebhook-code-coverage labels the calls of one process*"])
