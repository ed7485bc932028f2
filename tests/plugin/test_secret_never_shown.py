"""Issue 24: the secret fixture never prints in full, and the command line never
echoes a secret it did not understand."""

from __future__ import annotations

import re

import pytest

from harness.cli import main

SECRET = "2fb71ab6aa0c7d5d1e3b2a9c8f7e6d5c4b3a2918"

_FAILING = """
import hmac, hashlib, os
from harness import sign
from harness.reference import make_app

app = make_app(secret=os.environ["BOTWEBHOOK_SECRET"])

def test_locals(botwebhook_secret):
    body = b'{}'
    header = sign(body, botwebhook_secret)          # the harness takes it as it is
    key = botwebhook_secret.reveal().encode()       # code of the user's own takes this
    assert header == "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    del key
    assert botwebhook_secret == os.environ["BOTWEBHOOK_SECRET"]  # equal to the plain text
    assert botwebhook_secret == "something else"    # fails: the message must not show it

def test_client(botwebhook, botwebhook_secret):
    assert botwebhook.secret == botwebhook_secret
    botwebhook.send().assert_ok()                   # signed with it, accepted
    assert False, "show the locals"

def test_settings(botwebhook_settings):
    assert False, botwebhook_settings
"""


@pytest.mark.parametrize("flag", ["-l", "--showlocals", "-vv", "--tb=long"])
def test_secret_fixture_never_prints_in_full(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    monkeypatch.setenv("BOTWEBHOOK_SECRET", SECRET)
    pytester.makepyfile(bot_app=_FAILING)
    pytester.syspathinsert()
    result = pytester.runpytest(
        flag, "bot_app.py", "-p", "no:cacheprovider", "--botwebhook-target", "bot_app:app"
    )
    result.assert_outcomes(failed=3)
    output = result.stdout.str() + result.stderr.str()
    assert SECRET not in output
    assert SECRET[:12] not in output
    assert "<Secret 2fb7…(40 chars)>" in output  # shown redacted, so one can tell it apart
    if flag in ("-l", "--showlocals"):
        assert re.search(r"botwebhook_secret *= <Secret 2fb7…\(40 chars\)>", output)


def test_a_plain_text_override_still_works(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from harness.reference import make_app

        app = make_app(secret="{SECRET}")

        @pytest.fixture
        def botwebhook_secret():
            return "{SECRET}"

        def test_it(botwebhook, botwebhook_mock):
            assert botwebhook.secret == "{SECRET}"
            assert "{SECRET}" not in repr(botwebhook.secret)
            assert botwebhook_mock.secret == "{SECRET}"
            botwebhook.send().assert_ok()
        """
    )
    pytester.syspathinsert()
    result = pytester.runpytest("--botwebhook-target", "test_a_plain_text_override_still_works:app")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "argv",
    [
        ["payload", "--secret", SECRET],
        ["fixtures", f"--secret={SECRET}"],
        ["payload", "--secr", SECRET],  # argparse's abbreviation
        ["--secret", SECRET],  # taken for the command name
        ["payload", "--test-secret", "short-one"],
        ["check", "harness.reference:app", f"--bogus-{SECRET}"],
        ["sign", SECRET, "--secret", "x"],  # a secret typed where a file goes
    ],
)
def test_cli_errors_never_echo_a_secret(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOTWEBHOOK_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(argv) if argv[0] != "sign" else exited_sign(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert SECRET not in err
    assert "short-one" not in err
    assert "…(" in err  # the value is named, redacted


def exited_sign(argv: list[str]) -> None:
    raise SystemExit(main(argv))


def test_usage_line_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli import build_parser

    parser = build_parser()
    parser.parse_known_args(["payload", "--secret", SECRET])
    monkeypatch.setattr("sys.argv", ["botwebhook", "--secret", SECRET])
    assert SECRET not in parser.format_usage() + parser.format_help()


def test_a_short_secret_does_not_eat_words(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["payload", "--secret", "a"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --secret …(1 chars)" in err
