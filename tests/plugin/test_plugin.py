"""The plugin end to end, in third-party-style projects run with pytester."""

from __future__ import annotations

import textwrap

import pytest
from bw_handlers import emoji_apps

from harness import load_model
from harness.checks import build_matrix

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"

FLASK_APP = f'''
import hashlib, hmac
from flask import Flask, jsonify, request

SECRET = "{SECRET}"
app = Flask(__name__)

COLOURS = {{"red": "Red is the colour of fire.", "blue": "Blue is the colour of the sky."}}

@app.post("/")
def webhook():
    body = request.get_data()
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature", "")):
        return jsonify(error="bad signature"), 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="bad request"), 400
    variables = payload.get("variablesMap")
    if not isinstance(variables, dict):
        variables = {{}}
    values = {{k: v.get("value") for k, v in variables.items() if isinstance(v, dict)}}
    if payload.get("intentName") == "colour":
        return jsonify(text=COLOURS.get(values.get("colour") or "", "Which colour?"))
    return jsonify({{}})
'''

TESTS = """
import pytest_botwebhook

test_contract = pytest_botwebhook.contract_suite()


def test_blue(botwebhook):
    exchange = botwebhook.send(intent="colour", colour="blue", shape="A")
    exchange.assert_ok()
    assert exchange.outcome.user_text == "Blue is the colour of the sky."


def test_whole_matrix(botwebhook):
    botwebhook.check().assert_ok()
"""


@pytest.fixture
def flask_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(webhook_app=FLASK_APP, test_webhook=TESTS)
    pytester.makeini(
        f"""
        [pytest]
        botwebhook_target = webhook_app:app
        botwebhook_secret = {SECRET}
        """
    )
    pytester.syspathinsert()
    return pytester


def test_flask_project_passes(flask_project: pytest.Pytester) -> None:
    result = flask_project.runpytest("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == len(build_matrix()) + 2  # the suite, test_blue, the matrix
    assert "failed" not in outcomes
    assert "errors" not in outcomes


def test_planted_mistake_fails_with_code_and_reproducer(flask_project: pytest.Pytester) -> None:
    broken = FLASK_APP.replace('values = {k: v.get("value")', 'values = {k: v["value"]')
    flask_project.makepyfile(webhook_app=broken)
    result = flask_project.runpytest("-q", "-p", "no:cacheprovider", "-k", "unfilled or blue")
    result.assert_outcomes(failed=2, passed=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(
        [
            "*BW401 error: server error on a valid platform payload*",
            "*KeyError: 'value' at webhook_app.py:*",
            "*reproduce with:*",
            "*curl -sS -i -X POST*--data-binary*",
        ]
    )
    assert SECRET not in result.stdout.str()


def test_failures_point_at_the_users_line(flask_project: pytest.Pytester) -> None:
    flask_project.makepyfile(
        test_webhook="""
        def test_it(botwebhook):
            botwebhook.send(b"[]").assert_ok()
        """
    )
    result = flask_project.runpytest("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*botwebhook.send(b"[]").assert_ok()*', "*BW*"])
    assert "_exchange.py" not in result.stdout.str()


def test_suite_ids_k_and_x(flask_project: pytest.Pytester) -> None:
    result = flask_project.runpytest("--collect-only", "-q", "-k", "test_contract")
    result.stdout.fnmatch_lines(
        [
            "test_webhook.py::test_contract[colour-shapeA]",
            "test_webhook.py::test_contract[colour-shapeB]",
            "*test_contract[[]signature-wrong[]]",
            "*test_contract[[]malformed-invalid_json[]]",
        ]
    )
    ran = flask_project.runpytest("-q", "-k", "colour and escaped")
    ran.assert_outcomes(passed=1, deselected=ran.parseoutcomes()["deselected"])


def test_command_line_suite_lf_and_x(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        ref_app=f"""
        from harness.reference import make_app
        app = make_app(secret="{SECRET}")
        """
    )
    pytester.syspathinsert()
    args = [
        "--botwebhook-suite",
        "--botwebhook-target",
        "ref_app:app",
        "--botwebhook-secret",
        SECRET,
    ]
    collected = pytester.runpytest(*args, "--collect-only", "-q")
    collected.stdout.fnmatch_lines(
        [
            "botwebhook::contract[colour-shapeA]",
            "botwebhook::signature[wrong]",
            "botwebhook::malformed[truncated]",
        ]
    )
    passed = pytester.runpytest(*args, "-q")
    assert passed.parseoutcomes()["passed"] == len(build_matrix())
    wrong = pytester.runpytest(*args[:-1], "wrong-secret", "-q", "-x")
    wrong.assert_outcomes(failed=1)
    wrong.stdout.fnmatch_lines(["*BW303*rejected a correctly signed request*"])
    again = pytester.runpytest(*args[:-1], "wrong-secret", "-q", "--lf")
    outcomes = again.parseoutcomes()
    assert outcomes["failed"] == 1
    assert "passed" not in outcomes


def test_suite_needs_a_target(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--botwebhook-suite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--botwebhook-suite needs a target*"])


ONE_INTENT = """
[[intents]]
name = "colour"
examples = ["my favourite colour is $colour"]

[[intents.variables]]
label = "colour"
entity = "colour"
values = ["red", "blue"]
"""


def test_xdist(flask_project: pytest.Pytester) -> None:
    # One intent keeps it cheap: what is tested is that every worker collects the same.
    (flask_project.path / "botwebhook.toml").write_text(ONE_INTENT)
    model = load_model(flask_project.path / "botwebhook.toml")
    result = flask_project.runpytest_subprocess("-q", "-n", "2", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == len(build_matrix(model)) + 2
    assert "failed" not in outcomes


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "botwebhook_settings [[]session scope[]] --*",
            "botwebhook_target --*",
            "*The webhook under test*",
            "botwebhook_secret --*",
            "botwebhook_seed --*",
            "botwebhook_model --*",
            "botwebhook_faker --*",
            "botwebhook_payload --*",
            "*Build realistic payloads*",
            "botwebhook --*",
            "*The client*",
        ]
    )


def test_marker_overrides_and_rejects_unknown_arguments(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        ref_app=f"""
        from harness.reference import make_app
        app = make_app(secret="{SECRET}")
        other = make_app(secret="other-secret")
        """,
        test_marked=f"""
        import pytest

        pytestmark = pytest.mark.botwebhook(target="ref_app:app", secret="{SECRET}")

        def test_module_level(botwebhook):
            botwebhook.send(intent="colour", shape="A").assert_ok()

        @pytest.mark.botwebhook(target="ref_app:other", secret="other-secret")
        def test_closest_wins(botwebhook):
            botwebhook.send(intent="colour", shape="A").assert_ok()

        @pytest.mark.botwebhook(secret="nope")
        def test_wrong_secret(botwebhook):
            assert botwebhook.send(intent="colour", shape="A").received.status == 401

        @pytest.mark.botwebhook(taget="x")
        def test_typo(botwebhook):
            pass
        """,
    )
    pytester.syspathinsert()
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.botwebhook got an unknown argument 'taget'; "
            "it takes target, secret, model*"
        ]
    )


def test_user_defined_target_fixture_and_payload_factory(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from harness.reference import make_app
        from pytest_botwebhook import TEST_SECRET

        @pytest.fixture
        def botwebhook_target():
            return make_app(secret=TEST_SECRET)
        """
    )
    pytester.makepyfile(
        """
        from pytest_botwebhook import BotWebhookClient, PayloadBuilder

        def test_payload(botwebhook_payload: PayloadBuilder, botwebhook_faker):
            payload = botwebhook_payload(intent="colour", colour="blue", shape="B")
            assert payload.request.variables["colour"].value == "blue"
            assert payload.variant.shape == "B"
            assert botwebhook_faker.sys_number().isdigit()

        def test_client(botwebhook: BotWebhookClient):
            exchange = botwebhook.send(botwebhook.payload(intent="book_table", shape="A",
                                                          unfilled_optional=True))
            exchange.assert_ok()
            assert exchange.outcome.rich

        def test_seeds_differ_per_test(botwebhook_seed, request):
            assert botwebhook_seed != 0
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=3)


def test_no_target_is_a_clear_setup_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(botwebhook):\n    pass\n")
    result = pytester.runpytest("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*botwebhook: no target: pass --botwebhook-target*"])


def test_bad_import_string_is_a_clear_setup_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(botwebhook):\n    pass\n")
    result = pytester.runpytest("-q", "--botwebhook-target", "no_such_mod:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*botwebhook: cannot import 'no_such_mod'*"])


def test_configuration_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            """
            [tool.botwebhook]
            target = "from_pyproject:app"
            secret = "pyproject-secret"
            seed = 5
            timeout = 3

            [tool.pytest.ini_options]
            botwebhook_seed = "7"
            """
        ),
    )
    pytester.makepyfile(
        """
        def test_show(botwebhook_settings, botwebhook_seed, botwebhook_secret, botwebhook_target):
            print("TARGET", botwebhook_target, botwebhook_settings.sources["target"])
            print("SECRET", botwebhook_secret.reveal(), botwebhook_settings.sources["secret"])
            print("SEED", botwebhook_seed, botwebhook_settings.sources["seed"])
            print("TIMEOUT", botwebhook_settings.timeout)
        """
    )
    monkeypatch.delenv("BOTWEBHOOK_SECRET", raising=False)
    result = pytester.runpytest("-s", "-q")
    result.stdout.fnmatch_lines(
        [
            "TARGET from_pyproject:app [[]tool.botwebhook[]]",
            "SECRET pyproject-secret [[]tool.botwebhook[]]",
            "SEED 7 ini botwebhook_seed",
            "TIMEOUT 3.0",
        ]
    )
    monkeypatch.setenv("BOTWEBHOOK_SECRET", "env-secret")
    result = pytester.runpytest(
        "-s", "-q", "--botwebhook-seed", "9", "--botwebhook-target", "cli:app"
    )
    result.stdout.fnmatch_lines(
        [
            "TARGET cli:app --botwebhook-target",
            "SECRET env-secret $BOTWEBHOOK_SECRET",
            "SEED 9 --botwebhook-seed",
        ]
    )
    header = pytester.runpytest("--botwebhook-seed", "9", "--botwebhook-target", "cli:app")
    header.stdout.fnmatch_lines(["botwebhook: target=cli:app, secret=…(10 chars)*seed=9*"])


def test_default_secret_and_report_header(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOTWEBHOOK_SECRET", raising=False)
    pytester.makepyfile(
        """
        from pytest_botwebhook import TEST_SECRET

        def test_default(botwebhook_secret):
            assert botwebhook_secret == TEST_SECRET
            assert "test-secret" in TEST_SECRET and len(TEST_SECRET) == 40
        """
    )
    quiet = pytester.runpytest()
    quiet.assert_outcomes(passed=1)
    assert "botwebhook:" not in quiet.stdout.str()  # nothing changes when unused
    loud = pytester.runpytest("--botwebhook-target", "x:y")
    loud.stdout.fnmatch_lines(["botwebhook: target=x:y, secret=botw…(40 chars)*seed=per test*"])


def test_bad_settings_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(botwebhook_settings):\n    pass\n")
    result = pytester.runpytest("--botwebhook-seed", "abc", "--botwebhook-target", "x:y")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*botwebhook: seed from --botwebhook-seed must be a number*"])


def test_django_and_plain_werkzeug_apps(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        django_hook=f'''
        import hashlib, hmac, json
        from django.conf import settings

        settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"],
                           SECRET_KEY="x", MIDDLEWARE=[])

        from django.http import JsonResponse
        from django.urls import path
        from django.views.decorators.csrf import csrf_exempt
        from django.core.wsgi import get_wsgi_application

        @csrf_exempt
        def webhook(request):
            body = request.body
            sig = "sha256=" + hmac.new(b"{SECRET}", body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(sig, request.headers.get("X-Hub-Signature", "")):
                return JsonResponse({{"error": "signature"}}, status=401)
            try:
                payload = json.loads(body)
            except ValueError:
                return JsonResponse({{"error": "json"}}, status=400)
            if not isinstance(payload, dict):
                return JsonResponse({{"error": "object"}}, status=400)
            return JsonResponse({{"text": "hello from django"}})

        urlpatterns = [path("", webhook)]
        app = get_wsgi_application()
        ''',
        werkzeug_hook=f'''
        from harness.reference import make_app
        app = make_app(secret="{SECRET}")
        ''',
        test_apps=f'''
        import pytest

        @pytest.mark.botwebhook(target="django_hook:app", secret="{SECRET}")
        def test_django(botwebhook):
            botwebhook.check().assert_ok()

        @pytest.mark.botwebhook(target="werkzeug_hook:app", secret="{SECRET}")
        def test_werkzeug(botwebhook):
            botwebhook.check().assert_ok()
        ''',
    )
    pytester.syspathinsert()
    pytester.runpytest("-q").assert_outcomes(passed=2)


def test_a_url_served_by_another_process(pytester: pytest.Pytester) -> None:
    import re
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "serve", "--port", "0", "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            url = re.search(r"listening on (\S+) ", server.stdout.readline())
            assert url
            pytester.makepyfile(
                """
                def test_url(botwebhook):
                    exchange = botwebhook.send(intent="colour", colour="red", shape="A",
                                               signed=True)
                    exchange.assert_ok()
                    assert exchange.outcome.user_text == "Red is the colour of fire."
                """
            )
            result = pytester.runpytest(
                "-q", "--botwebhook-target", url.group(1), "--botwebhook-secret", SECRET
            )
            result.assert_outcomes(passed=1)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(10)


def test_fuzzing_from_pytest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        apps=emoji_apps(SECRET),
        test_fuzzing=f'''
        import pytest
        import pytest_botwebhook
        from hypothesis import HealthCheck, given, settings
        import harness.strategies as bst

        pytestmark = pytest.mark.botwebhook(target="apps:good", secret="{SECRET}")

        test_fuzz = pytest_botwebhook.fuzz_suite(examples=100, seed=1)

        @settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(payload=bst.payloads())
        def test_given(botwebhook, payload):
            botwebhook.conforms(payload)

        @pytest.mark.botwebhook(target="apps:crashes_on_emoji")
        def test_finds_the_emoji(botwebhook):
            report = botwebhook.fuzz(examples=300, seed=2, database=None)
            assert not report.ok
            assert "RuntimeError: emoji" in report.render()
        ''',
    )
    pytester.syspathinsert()
    pytester.runpytest("-q", "-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_mock_server_and_callback_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json, urllib.request
        import requests
        import pytest
        from harness import sign
        from harness.protocol import load_fixture
        from harness.reference import make_app
        from pytest_botwebhook import TEST_SECRET

        def test_mock(botwebhook_mock):
            botwebhook_mock.add("https://bot.example.com/hook")
            body = load_fixture("colour_shape_a")
            requests.post("https://bot.example.com/hook", data=body,
                          headers={"X-Hub-Signature": sign(body, TEST_SECRET)})
            botwebhook_mock.assert_called(times=1)
            botwebhook_mock.assert_all_signed()
            botwebhook_mock.assert_last_intent("colour")

        def test_unmatched_fails_at_teardown(botwebhook_mock):
            botwebhook_mock.add("https://bot.example.com/hook")
            try:
                requests.post("https://elsewhere.example.com/", data=b"{}")
            except requests.ConnectionError:
                pass  # swallowed by the code under test: the fixture still fails

        @pytest.mark.parametrize("round", [1, 2])
        def test_server_state_resets(botwebhook_server, round):
            botwebhook_server.assert_not_called()
            body = load_fixture("passthrough")
            request = urllib.request.Request(botwebhook_server.url, data=body, method="POST",
                                             headers={"X-Hub-Signature": sign(body, TEST_SECRET)})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.load(answer)["text"].startswith("You said:")
            botwebhook_server.assert_called(times=1)

        def test_tls_server(botwebhook_tls_server):
            body = load_fixture("colour_shape_a")
            answer = requests.post(botwebhook_tls_server.url, data=body,
                                   headers={"X-Hub-Signature": sign(body, TEST_SECRET)},
                                   verify=str(botwebhook_tls_server.ca_bundle), timeout=10)
            assert answer.status_code == 200

        def test_callback(botwebhook_callback):
            exchange = botwebhook_callback.deliver(
                make_app(secret=TEST_SECRET), intent="colour", facebook=True
            )
            request = json.loads(exchange.sent.body)
            url = botwebhook_callback.callback_url(request["chatSession"])
            token = request["webhook_token"]
            done = requests.post(url, json={"text": "later", "webhook_token": token})
            assert done.json() == {"status": {"code": 200, "info": "OK"}}
            botwebhook_callback.assert_called_back(request["chatSession"])
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unmatched_fails_at_teardown*",
            "*POST https://elsewhere.example.com/ matches no mocked URL*",
        ]
    )


def test_settings_repr_never_shows_the_secret(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_repr(botwebhook_settings):
            text = repr(botwebhook_settings)
            assert "0123456789abcdef0123456789abcdef01234567" not in text
            assert "0123…(40 chars)" in text
        """
    )
    pytester.runpytest(
        "-q", "--botwebhook-secret", "0123456789abcdef0123456789abcdef01234567"
    ).assert_outcomes(passed=1)


def test_send_takes_the_old_name_of_signed_with_a_warning(flask_project: pytest.Pytester) -> None:
    flask_project.makepyfile(
        test_old_name="""
        import pytest

        def test_old(botwebhook):
            with pytest.warns(DeprecationWarning, match="signed="):
                exchange = botwebhook.send(intent="colour", sign=False)
            assert "X-Hub-Signature" not in exchange.sent.headers

        def test_both(botwebhook):
            with pytest.raises(TypeError, match="signed= only"):
                botwebhook.send(intent="colour", sign=False, signed=False)
        """
    )
    result = flask_project.runpytest("-q", "test_old_name.py")
    result.assert_outcomes(passed=2)


def test_a_failure_names_its_codes_page(flask_project: pytest.Pytester) -> None:
    broken = FLASK_APP.replace('values = {k: v.get("value")', 'values = {k: v["value"]')
    flask_project.makepyfile(webhook_app=broken)
    args = ("-q", "-p", "no:cacheprovider", "-k", "unfilled")
    offline = flask_project.runpytest(*args)
    offline.stdout.fnmatch_lines(["*more: botwebhook explain BW401*"])
    site = "https://docs.example.org/bw/"
    online = flask_project.runpytest(*args, "--botwebhook-docs-url", site)
    online.stdout.fnmatch_lines([f"*more: {site}codes/BW401.html*"])
    again = flask_project.runpytest(*args)  # the address went with its session
    again.stdout.fnmatch_lines(["*more: botwebhook explain BW401*"])
    bad = flask_project.runpytest(*args, "--botwebhook-docs-url", "javascript:x")
    assert bad.ret == pytest.ExitCode.INTERRUPTED  # the contract suite reads it as it collects
    bad.stdout.fnmatch_lines(["*docs_url from --botwebhook-docs-url: expected an http*"])
