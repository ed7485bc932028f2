"""ASGI handlers in-process: FastAPI, Starlette, a bare callable, a class, Django
ASGI; lifespan, the timeout cancelling the app's task, captured output, and the
plugin, the suite, fuzzing and the mocks driven through an ASGI app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import asgi_apps as A
import pytest
import requests

from harness import LiveWebhookServer, WebhookMock, fuzz, load_target, run_check, sign
from harness.checks import AsgiTarget, build_matrix
from harness.errors import TargetError
from harness.protocol import load_fixture

SECRET = A.SECRET
STYLES = Path(__file__).resolve().parent.parent / "helpers" / "styles"


def check(app: object, **options: object):  # type: ignore[no-untyped-def]
    target = load_target(app)
    try:
        return run_check(target, secret=SECRET, **options)  # type: ignore[arg-type]
    finally:
        target.close()


@pytest.mark.parametrize(
    "app", [A.fastapi_ok, A.starlette_ok, A.bare_ok, A.class_ok], ids=["fastapi", "starlette",
                                                                        "bare", "class"]
)  # fmt: skip
def test_conforming_asgi_apps_check_clean(app: object) -> None:
    target = load_target(app)
    assert isinstance(target, AsgiTarget)
    target.close()
    report = check(app)
    assert report.findings == [], [f.evidence for f in report.findings]


@pytest.mark.parametrize(
    ("app", "code", "where"),
    [
        (A.fastapi_crash, "BW401", "KeyError: 'value' at asgi_apps.py:"),
        (A.starlette_crash, "BW401", "KeyError: 'clientVariables' at asgi_apps.py:"),
        (A.class_crash, "BW401", "KeyError: 'chatId' at asgi_apps.py:"),
    ],
    ids=["fastapi", "starlette", "class"],
)
def test_a_planted_defect_names_the_apps_own_line(app: object, code: str, where: str) -> None:
    report = check(app)
    assert {f.code for f in report.findings} == {code}
    assert all(where in f.evidence for f in report.findings), report.findings[0].evidence


def test_the_lifespan_runs_once_before_the_first_call_and_shuts_down_at_close() -> None:
    assert A.pool == {}
    target = load_target(A.fastapi_ok)
    report = run_check(target, secret=SECRET, scenarios=build_matrix()[:8])
    assert report.findings == []  # the handler asserts its pool is open
    assert A.pool == {"connection": "open"}
    target.close()
    assert A.pool == {}  # shutdown ran


def test_a_failing_startup_is_the_target_failing_to_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = load_target(A.failing_startup)
    with pytest.raises(TargetError, match=r"failed to start: .*RuntimeError: cannot reach"):
        run_check(target, secret=SECRET)
    target.close()
    from harness.cli import main

    assert main(["check", f"{STYLES / 'asgi_apps.py'}:failing_startup"]) == 2
    err = capsys.readouterr().err
    assert "failed to start" in err
    assert len(err.strip().splitlines()) == 1


def test_the_timeout_cancels_the_apps_task() -> None:
    A.cancelled.clear()
    target = load_target(A.slow)
    started = time.perf_counter()
    from harness import deliver

    exchange = deliver(target, load_fixture("colour_shape_a"), secret=SECRET, timeout=0.3)
    assert time.perf_counter() - started < 2
    assert [f.code for f in exchange.findings] == ["BW105"]
    deadline = time.perf_counter() + 2
    while not A.cancelled and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert A.cancelled == ["cancelled"]  # the app saw a cancellation, not a hung worker
    target.close()


def test_concurrent_calls_and_their_output_stay_apart() -> None:
    target = load_target(A.bare_ok, capture=True)
    report = run_check(target, secret=SECRET, scenarios=build_matrix()[:12], workers=4)
    target.close()
    assert report.findings == []
    printed = [e.output for e in report.exchanges]
    assert printed == ["bare handler: one call\n"] * 12  # one line each, in its own call


def test_django_asgi_checks_clean_and_its_defect_is_found() -> None:
    # In a process of its own: Django's settings are configured once per process.
    spec = f"{STYLES / 'django_asgi.py'}:app"
    argv = [sys.executable, "-m", "harness.cli", "check", spec, "--secret", SECRET]
    clean = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout
    assert "no findings" in clean.stdout
    planted = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={**os.environ, "BW_PLANTED": "1"}
    )
    assert planted.returncode == 1
    assert "KeyError: 'chatId' at django_typical.py:" in planted.stdout  # the view's own line


def test_fuzzing_an_asgi_app() -> None:
    target = load_target(A.starlette_crash)
    report = fuzz(target, secret=SECRET, examples=100, seed=2, database=None)
    target.close()
    assert [f.code for f in report.failures] == ["BW401"]
    assert "facebook" in report.failures[0].exchange.variant


def test_mocks_take_asgi_handlers() -> None:
    body = load_fixture("colour_shape_a")
    headers = {"X-Hub-Signature": sign(body, SECRET)}
    with WebhookMock(secret=SECRET) as mock:
        mock.add("https://bot.example.com/", handler=A.starlette_ok)  # it routes "/"
        assert requests.post("https://bot.example.com/", data=body, headers=headers).json() == {
            "text": "ok"
        }
        mock.assert_called(times=1)
    with LiveWebhookServer(secret=SECRET, handler=A.fastapi_ok) as server:
        answer = requests.post(server.url, data=body, headers=headers, timeout=5)
        assert answer.json() == {"text": "ok"}
        assert server.last.verdict == "valid"


def test_the_plugin_suite_and_fixture_drive_an_asgi_app(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(STYLES)
    pytester.makepyfile(
        f"""
        import pytest
        import pytest_botwebhook

        @pytest.fixture
        def botwebhook_target():
            from asgi_apps import fastapi_ok
            return fastapi_ok

        @pytest.fixture
        def botwebhook_secret():
            return {SECRET!r}

        def test_send(botwebhook):
            botwebhook.send(intent="colour", shape="A").assert_ok()

        def test_matrix(botwebhook):
            botwebhook.check().assert_ok()

        def test_fuzz(botwebhook):
            botwebhook.fuzz(examples=30, seed=1, database=None).assert_ok()
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
    suite = pytester.runpytest(
        "--botwebhook-suite", "--botwebhook-target", "asgi_apps:starlette_ok",
        "--botwebhook-secret", SECRET, "-p", "no:cacheprovider", "-q", "-k", "botwebhook",
    )  # fmt: skip
    assert suite.parseoutcomes()["passed"] == len(build_matrix())


def test_the_app_receives_the_exact_bytes_and_headers_over_https() -> None:
    seen: dict[str, object] = {}

    async def recording(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        message = await receive()  # type: ignore[operator]
        seen.update(scheme=scope["scheme"], headers=dict(scope["headers"]), body=message["body"])  # type: ignore[arg-type,index]
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    from harness import deliver

    body = load_fixture("book_table_shape_b")
    target = load_target(recording)
    exchange = deliver(target, body, secret=SECRET)
    target.close()
    assert exchange.findings == []
    assert seen["body"] == body  # byte for byte
    assert seen["scheme"] == "https"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers[b"x-hub-signature"] == sign(body, SECRET).encode()
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert headers[b"user-agent"].startswith(b"Jersey/2.27")
