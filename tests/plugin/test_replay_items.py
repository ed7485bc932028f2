"""Replaying cassettes in pytest: ``replay_suite()`` and ``--botwebhook-replay``."""

from __future__ import annotations

from pathlib import Path

import pytest
from bw_handlers import SECRET

from harness import build_payload, sign
from harness.platform import platform_headers
from harness.replay import CassetteEntry, CassetteWriter


def cassette(path: Path) -> None:
    """Two calls recorded from the reference handler, and one unreadable line."""
    from harness import deliver, load_target
    from harness.reference import make_app

    target = load_target(make_app(secret=SECRET))
    path.parent.mkdir(parents=True, exist_ok=True)
    with CassetteWriter(path) as writer:
        for seed, intent in ((1, "colour"), (2, "weather")):
            body = build_payload(seed=seed, intent=intent, shape="A").body
            got = deliver(target, body, secret=SECRET).received
            assert got is not None
            headers = platform_headers(body, sign(body, SECRET))
            answer = list(got.headers.items())
            entry = CassetteEntry("POST", "https://bot/", list(headers.items()), body,
                                  got.status, answer, got.body)  # fmt: skip
            writer.write(entry)
    with path.open("a") as handle:
        handle.write("not json\n")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    cassette(pytester.path / "tests" / "cassettes" / "real.jsonl")
    pytester.makeconftest(
        f"""
        import pytest
        from harness.reference import make_app

        CHANGED = False

        @pytest.fixture
        def botwebhook_target():
            if CHANGED:
                import json
                def app(environ, start_response):
                    start_response("200 OK", [("Content-Type", "application/json")])
                    return [json.dumps({{"text": "changed"}}).encode()]
                return app
            return make_app(secret={SECRET!r})

        @pytest.fixture
        def botwebhook_secret():
            return {SECRET!r}
        """
    )
    pytester.makepyfile(
        test_replay="""
        import pytest_botwebhook

        test_replay = pytest_botwebhook.replay_suite("tests/cassettes/*.jsonl")
        """
    )
    return pytester


def test_one_item_per_recorded_call_named_by_intent_and_index(project: pytest.Pytester) -> None:
    collected = project.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    out = collected.stdout.str()
    assert "test_replay.py::test_replay[colour[0]]" in out
    assert "test_replay.py::test_replay[weather[1]]" in out
    result = project.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)  # the unreadable line fails, naming it
    assert "real.jsonl:3: not JSON" in result.stdout.str()


def test_a_changed_handler_fails_with_the_diff(project: pytest.Pytester) -> None:
    conftest = project.path / "conftest.py"
    conftest.write_text(conftest.read_text().replace("CHANGED = False", "CHANGED = True"))
    result = project.runpytest("-q", "-p", "no:cacheprovider", "-k", "colour")
    result.assert_outcomes(failed=1, deselected=2)
    out = result.stdout.str()
    assert "the chat user sees: " in out
    assert "-> 'changed'" in out
    assert "Traceback" not in out


def test_the_command_line_option_needs_no_test_file(pytester: pytest.Pytester) -> None:
    cassette(pytester.path / "real.jsonl")
    (pytester.path / "handler.py").write_text(
        f"from harness.reference import make_app\napp = make_app(secret={SECRET!r})\n"
    )
    args = ["--botwebhook-replay", "real.jsonl", "--botwebhook-target", "handler.py:app",
            "--botwebhook-secret", SECRET, "-p", "no:cacheprovider"]  # fmt: skip
    collected = pytester.runpytest(*args, "--collect-only", "-q")
    assert "botwebhook-replay::colour[0]" in collected.stdout.str()
    result = pytester.runpytest(*args, "-q")
    result.assert_outcomes(passed=2, failed=1)
    assert "real.jsonl:3: not JSON" in result.stdout.str()
