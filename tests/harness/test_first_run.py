"""The first run on handlers other people write: every verdict true, with no
configuration.

The handlers under ``tests/helpers/realworld`` are written the way webhooks for
this platform are written in public repositories (a Flask-RESTful resource on a
sub-route, the platform's own public example, an aiohttp app over http, a
Lambda behind an API-Gateway-style wrapper, a password generator), and run
unchanged, with only the glue that starts them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from bw_cli import run as cli
from bw_reports import check_json, check_junit
from bw_servers import serving

import harness
from harness.checks import routes_of, survey
from harness.errors import BotModelError, TargetError
from harness.model import builtin_model, edge_values, scope_model
from harness.reference import make_app

REAL = Path(__file__).resolve().parents[1] / "helpers" / "realworld"
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def handler(name: str, attr: str = "app") -> str:
    return f"{REAL / name}:{attr}"


def check(spec: str, **kw: Any) -> harness.Report:
    target = harness.load_target(spec, path=kw.pop("path", None))
    try:
        return harness.run_check(target, secret=kw.pop("secret", SECRET), **kw)
    finally:
        target.close()


def codes(report: harness.Report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if severity is None or f.severity == severity}


# -- 1. the path -------------------------------------------------------------------------


def test_a_flask_restful_resource_on_a_sub_route_is_found_and_judged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "check", handler("rw_weather_restful.py"), "--secret", SECRET)
    assert code == 1
    assert "at POST /getWeather (the only route that takes a POST; / takes none)" in out
    # It verifies nothing: the probes, built on a payload it accepted, say so.
    assert "BW301 error" in out
    assert "BW302 error" in out
    assert "BW101" not in out  # no flood of 404s
    assert "BW110 warning: an intent is not served by this handler (11 intents)" in out
    assert "BW401" not in out


def test_several_routes_that_take_a_post_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(capsys, "check", handler("rw_two_routes.py"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "/hooks/orders, /hooks/weather" in err
    assert "--path /hooks/orders" in err
    code, out, _ = cli(capsys, "check", handler("rw_two_routes.py"), "--path", "/hooks/weather")
    assert "at POST /hooks/weather\n" in out
    assert "BW108" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--path", "getWeather"], "expected a path that starts with / for path, got 'getWeather'"),
        (["--path", "/a b"], "expected a path that starts with / for path, got '/a b'"),
    ],
)
def test_a_bad_path_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = cli(capsys, "check", handler("rw_weather_restful.py"), *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_path_with_a_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "check", "http://127.0.0.1:9/", "--path", "/hook")
    assert code == 2
    assert "a URL carries its own path" in err
    assert "http://127.0.0.1:9/hook" in err


def test_no_webhook_at_the_path_is_one_finding_and_no_probe_rests_on_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(
        capsys, "check", handler("rw_weather_verified.py"), "--path", "/", "--secret", SECRET
    )
    assert code == 1
    assert (
        "BW108 error: no webhook at this path: every valid payload got 404 or 405 (1 target)" in out
    )
    assert "the app's routes: GET /, POST /hooks/weather" in out
    assert "BW101" not in out
    for probe in ("BW301", "BW302", "BW402"):
        assert probe not in out
    assert "were not judged: no valid payload was accepted" in out
    assert "1 error," in out


def test_no_webhook_at_a_url_says_to_check_the_url() -> None:
    from werkzeug.wrappers import Response

    def not_here(environ: Any, start_response: Any) -> Any:
        return Response("Not Found", status=404)(environ, start_response)

    with serving(not_here) as (url, _):
        report = check(url + "webhook")
    assert [f.code for f in report.findings] == ["BW108"]
    assert "check the URL: it must be the one the bot calls" in report.findings[0].evidence
    assert report.notes[0].startswith("the signature and malformed-input probes were not judged")


def test_the_path_from_python_the_ini_and_the_pyproject_table(pytester: pytest.Pytester) -> None:
    assert harness.load_target(handler("rw_two_routes.py"), path="/hooks/orders").url.endswith(
        "/hooks/orders"
    )
    with pytest.raises(TargetError, match="say which is the webhook"):
        harness.load_target(handler("rw_two_routes.py"))
    pytester.makeini(
        f"[pytest]\nbotwebhook_target = {handler('rw_two_routes.py')}\n"
        "botwebhook_path = /hooks/weather\n"
    )
    pytester.makepyfile(
        "def test_path(botwebhook):\n"
        "    assert botwebhook.target.url.endswith('/hooks/weather')\n"
        "    assert botwebhook.send(intent='weather').received.status == 200\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["botwebhook: target=*, path=/hooks/weather, *"])
    (pytester.path / "tox.ini").unlink()
    pytester.makepyprojecttoml(
        f'[tool.botwebhook]\ntarget = "{handler("rw_two_routes.py")}"\npath = "/hooks/orders"\n'
    )
    pytester.makepyfile(
        "def test_path(botwebhook):\n    assert botwebhook.target.url.endswith('/hooks/orders')\n"
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_routes_are_read_from_each_framework() -> None:
    from fastapi import FastAPI
    from flask import Flask
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route

    flask = Flask("f")
    flask.add_url_rule("/hook", "hook", lambda: "", methods=["POST"])
    flask.add_url_rule("/item/<int:n>", "item", lambda n: "", methods=["POST"])
    assert [str(r) for r in routes_of(flask) or []] == ["POST /hook", "POST /item/<int:n>"]
    assert harness.load_target(flask).url.endswith("/hook")  # the parameter route is never chosen

    api = FastAPI()

    @api.post("/webhook")
    async def hook() -> dict[str, str]:
        return {"text": "ok"}

    assert harness.load_target(api).url.endswith("/webhook")

    async def endpoint(request: Any) -> Any:
        raise AssertionError  # pragma: no cover - never called

    star = Starlette(routes=[Mount("/bots", routes=[Route("/hook", endpoint, methods=["POST"])])])
    assert harness.load_target(star).url.endswith("/bots/hook")
    assert routes_of(lambda environ, start: []) is None  # a bare callable: called at /


def test_a_django_view_on_a_sub_route_is_found(tmp_path: Path) -> None:
    # In a process of its own: Django's settings are configured once per process.
    (tmp_path / "hooks.py").write_text(
        "from django.conf import settings\n"
        "settings.configure(ROOT_URLCONF='hooks', ALLOWED_HOSTS=['*'], SECRET_KEY='x',"
        " MIDDLEWARE=[])\n"
        "from django.core.wsgi import get_wsgi_application\n"
        "from django.http import JsonResponse\n"
        "from django.urls import path\n"
        "from django.views.decorators.csrf import csrf_exempt\n"
        "hook = csrf_exempt(lambda request: JsonResponse({'text': 'ok'}))\n"
        "urlpatterns = [path('hooks/bot/', hook), path('item/<int:n>/', hook)]\n"
        "app = get_wsgi_application()\n"
    )
    script = (
        "import harness\n"
        "from harness.checks import routes_of\n"
        "target = harness.load_target('hooks.py:app')\n"
        "print(target.url, [str(r) for r in routes_of(target.app)])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "https://localhost/hooks/bot/ ['ANY /hooks/bot/', 'ANY /item/<int:n>/']"
    )


# -- 2. intents: the catalogue, --intent, the header -----------------------------------


def test_the_platforms_public_example_on_the_first_run(capsys: pytest.CaptureFixture[str]) -> None:
    """As its notes describe it: Flask-RESTful, POST /, parse before verify, only colour."""
    code, out, _ = cli(capsys, "check", handler("rw_example.py"), "--secret", SECRET)
    assert code == 1
    assert "model: the built-in catalogue (12 intents)" in out
    assert "BW401" not in out  # no error for the intents it does not serve
    assert "BW110 warning: an intent is not served by this handler (11 intents)" in out
    assert out.count("KeyError: 'colour' at rw_example.py:") >= 3  # each with its reason
    assert "BW302 error: accepted a request with no signature" in out  # its real defects
    assert "BW402 error: server error on unsigned malformed input" in out
    data = check_json("check", cli(capsys, "check", handler("rw_example.py"), "--secret",
                                   SECRET, "--json")[1])  # fmt: skip
    served = [f for f in data["findings"] if f["code"] == "BW110"]
    assert len(served) == 11
    assert {f["severity"] for f in served} == {"warning"}
    assert data["model"] == "the built-in catalogue (12 intents)"
    assert data["path"] == "/"


def test_a_single_intent_webhook_that_refuses_others_is_clean_of_errors() -> None:
    report = check(handler("rw_single_intent.py"))
    assert codes(report, "error") == set()
    assert codes(report) == {"BW110"}
    assert report.exit_code() == 0
    assert all("got 400" in f.evidence for f in report.run_findings)
    covered = [e for e in report.exchanges if e.covered_by]
    assert covered
    assert all(e.findings == [] for e in covered)


def test_a_declared_intent_not_served_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys, "check", handler("rw_example.py"), "--secret", SECRET,
        "--intent", "colour", "--intent", "book_table",
    )  # fmt: skip
    assert code == 1
    assert "model: the built-in catalogue, intents colour, book_table (2 intents)" in out
    assert "BW110 error: an intent is not served by this handler (1 intent)" in out
    assert "intent 'book_table' is not served" in out


def test_only_the_named_intents_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _ = cli(
        capsys, "check", handler("rw_weather_restful.py"), "--intent", "weather",
        "--secret", SECRET,
    )  # fmt: skip
    assert "BW110" not in out
    report = check(handler("rw_weather_restful.py"), intents=["weather"])
    contract = [e for e in report.exchanges if e.expect == "contract"]
    assert {json.loads(e.sent.body)["intentName"] for e in contract} == {"weather"}


def test_an_unknown_intent_is_one_line_naming_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "check", handler("rw_weather_restful.py"), "--intent", "getWeather")
    assert code == 2
    assert "unknown intent 'getWeather'" in err
    assert "the built-in catalogue has no such intent" in err
    assert "declared in a model file" in err
    with pytest.raises(BotModelError, match="did you mean 'weather'"):
        scope_model(None, ["wether"])


def test_the_header_says_when_a_model_file_nearby_is_not_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = tmp_path / "bot"
    bot.mkdir()
    (bot / "weatherbot.py").write_text((REAL / "rw_weather_verified.py").read_text())
    (bot / "botwebhook.toml").write_text('[[intents]]\nname = "weather"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, out, _ = cli(capsys, "check", str(bot / "weatherbot.py") + ":app", "--secret", SECRET)
    assert "model: the built-in catalogue (12 intents)" in out
    assert "note: the built-in catalogue is in use, but" in out
    assert "botwebhook.toml declares a bot model: pass --model" in out
    monkeypatch.chdir(bot)  # here it is found and used
    _, out, _ = cli(capsys, "check", "weatherbot.py:app", "--secret", SECRET)
    assert "model: botwebhook.toml (1 intent)" in out
    assert "note:" not in out.split("\n\n")[0]


def test_junit_names_the_model_and_covers_calls_with_one_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junit = tmp_path / "r.xml"
    cli(capsys, "check", handler("rw_single_intent.py"), "--secret", SECRET,
        "--junit-xml", str(junit))  # fmt: skip
    suite = check_junit(junit.read_text())
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["model"] == "the built-in catalogue (12 intents)"
    assert properties["path"] == "/"
    names = [case.get("name") for case in suite.iter("testcase")]
    assert "intent[colour]" in names
    covered = suite.findall("testcase/skipped[@type='covered']")
    assert covered
    assert "covered by BW110 intent[" in covered[0].get("message", "")
    warned = suite.findall("testcase/skipped[@type='warning']")  # the BW110 cases themselves
    assert warned
    assert warned[0].get("message", "").startswith("BW110 warning")
    assert suite.get("failures") == "0"


def test_fuzz_leaves_out_the_intents_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    report = harness.fuzz(
        harness.load_target(handler("rw_example.py")), secret=SECRET, examples=60, seed=3,
        database=None,
    )  # fmt: skip
    assert {f.code for f in report.run_findings} == {"BW110"}
    assert all(f.severity == "warning" for f in report.run_findings)
    keys = {f.exchange.received.exception for f in report.failures if f.exchange.received}
    assert not any("KeyError: 'colour'" in (k or "") for k in keys)  # never "not served" again
    assert {f.code for f in report.failures} >= {"BW302"}  # its real defect still found
    assert "the 11 intents not served (BW110) were not fuzzed" in report.render()


def test_the_suite_reports_an_intent_not_served_once(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nbotwebhook_target = {handler('rw_single_intent.py')}\n"
                     f"botwebhook_secret = {SECRET}\n")  # fmt: skip
    result = pytester.runpytest("--botwebhook-suite", "-p", "no:cacheprovider", "-rs")
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes
    assert outcomes["skipped"] > 100
    result.stdout.fnmatch_lines(["*botwebhook: BW110 warning: intent 'colour' is not served*"])
    # Declared, it fails once: the first item of the intent, the others skipped.
    result = pytester.runpytest(
        "--botwebhook-suite", "--botwebhook-intent", "order_pizza,colour", "-p", "no:cacheprovider"
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1
    result.stdout.fnmatch_lines(["*BW110 error: an intent is not served by this handler*"])


def test_the_intent_setting_from_the_pyproject_table(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        f'[tool.botwebhook]\ntarget = "{handler("rw_single_intent.py")}"\n'
        f'secret = "{SECRET}"\nintent = ["order_pizza"]\n'
    )
    pytester.makepyfile(
        "import pytest_botwebhook\ntest_contract = pytest_botwebhook.contract_suite()\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert "skipped" not in outcomes
    result.stdout.fnmatch_lines(["botwebhook: model=the built-in catalogue, intents order_pizza*"])


# -- 3. probes on an accepted payload ----------------------------------------------------


def test_a_crash_on_the_first_intent_no_longer_hides_a_missing_signature_check() -> None:
    report = check(handler("rw_crash_first_intent.py"))
    assert {"BW301", "BW302"} <= codes(report, "error")
    probes = [e for e in report.exchanges if e.scenario.startswith("signature[")]
    assert probes
    assert all(json.loads(e.sent.body)["intentName"] != "colour" for e in probes)


def test_no_payload_accepted_means_the_probes_are_not_judged() -> None:
    from werkzeug.wrappers import Request, Response

    @Request.application  # type: ignore[arg-type]
    def broken(request: Request) -> Response:
        request.get_json(force=True)["nothing"]  # a crash on everything, junk included
        return Response("{}")  # pragma: no cover

    report = check(broken)  # type: ignore[arg-type]
    assert codes(report) == {"BW401"}  # no BW301/BW302/BW402 on such a target
    assert not [e for e in report.exchanges if e.expect != "contract"]
    assert report.notes[0].startswith("the signature and malformed-input probes were not judged")


# -- 4. plain http, hints ----------------------------------------------------------------


@contextmanager
def aiohttp_serving(app: Any) -> Iterator[str]:
    """An aiohttp app on 127.0.0.1 and an ephemeral port, on its own loop."""
    from aiohttp import web

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_an_aiohttp_app_over_plain_http_gets_no_error(capsys: pytest.CaptureFixture[str]) -> None:
    import rw_aiohttp  # type: ignore[import-not-found]

    with aiohttp_serving(rw_aiohttp.make_app()) as base:
        code, out, _ = cli(capsys, "check", f"{base}/webhook", "--timeout", "5")
    assert code == 0, out
    assert "BW402 warning: server error on unsigned malformed input" in out
    assert "answer 400 to anything that is not a platform payload" in out
    assert "BW110 warning" in out
    assert "BW401" not in out


def test_bw401_hints_follow_the_traceback_not_the_variant() -> None:
    from werkzeug.wrappers import Request, Response

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        data = request.get_json()
        if data["intentName"] == "colour":
            data["clientVariables"]["plan"]  # Facebook chats have none
        if data["intentName"] == "book_table":
            int(data["variablesMap"]["guests"]["value"])  # "two", "2,5"...
        return Response('{"text": "ok"}')

    report = check(app)  # type: ignore[arg-type]
    crashes = [f for f in report.findings if f.code == "BW401"]
    facebook = [f for f in crashes if "KeyError: 'clientVariables'" in f.evidence]
    assert facebook
    assert all("Facebook chats have no clientVariables" in f.hint for f in facebook)
    typed = [f for f in crashes if "ValueError" in f.evidence]
    assert typed
    for finding in typed:
        assert "of guests (sys.number) is text a user typed" in finding.hint
        assert "Facebook" not in finding.hint  # the value, not the variant, was the cause


def test_a_self_signed_certificate_points_at_ca_bundle_and_insecure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("cryptography")
    with serving(make_app(secret=SECRET), tls=True) as (url, _):
        code, out, _ = cli(capsys, "check", url, "--secret", SECRET, "--timeout", "3")
    assert code == 1
    assert "--ca-bundle FILE" in out
    assert "--insecure" in out
    assert "check that it is running" not in out


def test_converse_over_plain_http_gives_the_same_advice_as_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    conversation = tmp_path / "test_colour.conversation.yaml"
    conversation.write_text(
        "name: colour\nturns:\n  - user: my favourite colour is blue\n    intent: colour\n"
    )
    with serving(make_app(secret=SECRET)) as (url, _):
        code, out, _ = cli(capsys, "converse", url, str(conversation))
    assert code == 1
    assert "the platform sends no X-Hub-Signature to http:// endpoints" in out
    assert "201, 202 and 204" not in out
    assert "model: the built-in catalogue (12 intents)" in out
    junit = tmp_path / "c.xml"
    with serving(make_app(secret=SECRET)) as (url, _):
        cli(capsys, "converse", url, str(conversation), "--junit-xml", str(junit))
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert properties["model"] == "the built-in catalogue (12 intents)"


# -- 5. a crash behind a 200 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "envelope"),
    [
        ("rw_lambda.py", "AWS Lambda's error envelope: KeyError: 'value'"),
        ("rw_express_page.py", "Express's default error page: KeyError: 'clientVariables'"),
        ("rw_error_trace.py", "an error with its stack trace: 'value'"),
    ],
)
def test_a_crash_report_behind_a_200_is_an_error(name: str, envelope: str) -> None:
    report = check(handler(name))
    crashed = [f for f in report.findings if f.code == "BW109"]
    assert crashed, report.by_code().keys()
    assert all(f.severity == "error" for f in crashed)
    assert any(envelope in f.evidence for f in crashed), [f.evidence for f in crashed]
    assert "BW206" not in codes(report)  # not "unknown key errorMessage": the crash says it
    assert report.exit_code() == 1


def test_google_cloud_functions_error_answer_behind_a_200_is_a_crash_report() -> None:
    from harness.checks import deliver

    def crashed(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"Error: could not handle the request\n"]

    exchange = deliver(harness.load_target(crashed), harness.build_payload(), secret=SECRET)
    assert [f.code for f in exchange.findings] == ["BW109"]
    assert "Google Cloud Functions' error answer" in exchange.findings[0].evidence


def test_an_answer_with_an_error_key_but_no_trace_is_no_crash_report() -> None:
    from harness.checks import deliver

    def answer(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"text": "Sorry, that failed.", "error": "no table left"}']

    exchange = deliver(harness.load_target(answer), harness.build_payload(), secret=SECRET)
    assert "BW109" not in {f.code for f in exchange.findings}


# -- 6. edge values ----------------------------------------------------------------------


def test_the_password_bot_crashes_on_two_and_stalls_on_four_million(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(
        capsys, "check", handler("rw_password.py"), "--model", str(REAL / "password.toml"),
        "--secret", SECRET, "--timeout", "1", "--verbose",
    )  # fmt: skip
    assert code == 1
    assert "at POST /password" in out
    assert "ValueError: invalid literal for int() with base 10: 'two'" in out
    assert "the value 'two' of length (sys.number) is text a user typed" in out
    assert "contract[password-edge_values-5]" in out  # 4000000: past the read timeout
    assert "BW105 error: slower than the platform's read timeout" in out


def test_the_careful_password_bot_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys, "check", handler("rw_password_safe.py"), "--model", str(REAL / "password.toml"),
        "--secret", SECRET, "--timeout", "2",
    )  # fmt: skip
    assert code == 0, out
    assert "no findings" in out


def test_edge_values_cover_the_range_users_type() -> None:
    weather, guests = builtin_model().intent("weather"), builtin_model().intent("book_table")
    numbers = edge_values(guests.variable("guests"), "EN")
    assert {"0", "-2", "2.5", "2,5", "4000000", "two"} <= set(numbers)
    assert "two" not in edge_values(guests.variable("guests"), "ES")  # words in English only
    assert "St. John's" in edge_values(weather.variable("city"), "EN")
    colour = builtin_model().intent("colour").variable("colour")
    assert edge_values(colour, "EN") == ("red", "green", "blue", "yellow")  # every LIST value
    ids = [s.id for s in harness.checks.build_matrix() if "edge_values" in s.id]
    assert "contract[book_table-edge_values-1]" in ids


def test_the_fuzz_strategies_draw_edge_values() -> None:
    from hypothesis import find, settings

    import harness.strategies as bst

    found = find(
        bst.payloads(),
        lambda p: (
            "edge_values" in p.variant.features
            and p.request.variables.get("guests") is not None
            and p.request.variables["guests"].value == "4000000"
        ),
        settings=settings(max_examples=5000, database=None),
    )
    assert found.request.intent_name == "book_table"


# -- 7. a flat context, strict everywhere -----------------------------------------------


def test_a_flat_context_is_an_error_everywhere(pytester: pytest.Pytester) -> None:
    flat = f"{Path(__file__).resolve().parents[1] / 'helpers' / 'bw_handlers.py'}:FLAT_CONTEXT"
    report = check(flat)
    assert codes(report, "error") == {"BW201"}
    pytester.makeini(f"[pytest]\nbotwebhook_target = {flat}\nbotwebhook_secret = {SECRET}\n")
    pytester.makepyfile(
        "import pytest_botwebhook\ntest_contract = pytest_botwebhook.contract_suite()\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "colour-shapeA")
    result.assert_outcomes(failed=1)


def test_the_strict_flag_applies_to_contract_suite_items(pytester: pytest.Pytester) -> None:
    long_text = f"{Path(__file__).resolve().parents[1] / 'helpers' / 'bw_handlers.py'}:LONG_TEXT"
    pytester.makeini(f"[pytest]\nbotwebhook_target = {long_text}\nbotwebhook_secret = {SECRET}\n")
    pytester.makepyfile(
        "import pytest_botwebhook\ntest_contract = pytest_botwebhook.contract_suite()\n"
    )
    pytester.runpytest("-p", "no:cacheprovider", "-k", "colour-shapeA").assert_outcomes(passed=1)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "colour-shapeA",
                                "--botwebhook-strict")  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BW202 warning*"])


# -- 8. the default test secret ----------------------------------------------------------


def test_the_default_test_secret_is_named_when_the_handler_refuses_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(f"[pytest]\nbotwebhook_target = {handler('rw_weather_verified.py')}\n")
    pytester.makepyfile(
        "def test_send(botwebhook):\n    botwebhook.send(intent='weather').assert_ok()\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*BW303*",
        "*no secret was configured, so this call was signed with the default test secret*"
        "--botwebhook-secret, the ini option botwebhook_secret*",
    ])  # fmt: skip
    result.stdout.fnmatch_lines(["botwebhook: *default: the test secret, as none was configured*"])


# -- conforming handlers stay clean ------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        handler("rw_weather_verified.py"),
        handler("rw_password_safe.py"),
        f"{Path(__file__).resolve().parents[1] / 'helpers' / 'styles' / 'flask_typical.py'}:app",
        f"{Path(__file__).resolve().parents[1] / 'helpers' / 'styles' / 'wsgi_typical.py'}"
        ":application",
    ],
)
def test_conforming_handlers_are_clean_on_the_first_run(spec: str) -> None:
    report = check(spec, timeout=3)
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == [], [(f.code, f.evidence) for f in errors][:3]
    looked = survey(harness.load_target(spec), None, secret=SECRET)
    assert looked.accepted is not None
    assert not looked.no_webhook


def test_the_survey_says_what_it_left_out() -> None:
    looked = survey(harness.load_target(handler("rw_single_intent.py")), None, secret=SECRET)
    assert len(looked.not_served) == 11
    assert "order_pizza" not in looked.not_served
    assert looked.notes() == [
        "BW110 warning: 11 intents not served by this handler, left out of the run: "
        + ", ".join(looked.not_served)
    ]
    served = looked.served(builtin_model())
    assert served is not None
    assert [i.name for i in served.intents] == ["order_pizza"]
