"""The client against servers that misbehave: every call ends in bounded time and
memory, with a clear finding, and never shows the secret."""

from __future__ import annotations

import resource
import time

import pytest
from bw_hostile import hostile

from harness import deliver, load_target, run_check
from harness.checks import build_matrix
from harness.cli import main
from harness.protocol import load_fixture

SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
TIMEOUT = 0.5

# (behaviour, finding codes, words in the evidence)
CASES = [
    ("never", {"BW105"}, "Read timed out"),
    ("endless", {"BW107"}, "still arriving after 1 s"),
    ("trickle", {"BW107"}, "still arriving after 1 s"),
    ("stall", {"BW105"}, "Read timed out"),
    ("reset", {"BW100"}, "the answer broke off"),
    ("truncated", {"BW100"}, "the answer broke off"),
    ("gzip_bomb", {"BW103"}, "Content-Encoding gzip"),
    ("invalid_utf8", set(), ""),
    ("http10_no_length", set(), ""),
    ("redirect_loop", {"BW106"}, "more than 20 redirects"),
    ("redirect_to_404", {"BW101"}, "answered 404 after 1 redirect (307 to"),
    ("huge", {"BW208"}, "the answer is 100 MB, larger than 10 MB"),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("name", "codes", "evidence"), CASES, ids=[c[0] for c in CASES])
def test_one_call_is_bounded_and_judged(name: str, codes: set[str], evidence: str) -> None:
    from bw_hostile import _bomb

    _bomb()  # made once, before the clock starts
    with hostile(name) as server:
        started = time.perf_counter()
        exchange = deliver(
            load_target(server.url), load_fixture("colour_shape_a"), secret=SECRET,
            signed=True, timeout=TIMEOUT,
        )  # fmt: skip
        took = time.perf_counter() - started
    assert took < 2 * TIMEOUT + 2, f"{name} took {took:.1f} s"
    assert {f.code for f in exchange.findings} == codes, exchange.findings
    if evidence:
        assert any(evidence in f.evidence for f in exchange.findings), exchange.findings
    if exchange.received is not None:
        assert len(exchange.received.body) <= 10 * 1024 * 1024


@pytest.mark.parametrize("name", ["endless", "huge", "gzip_bomb"])
def test_a_whole_check_stays_bounded_in_memory(name: str) -> None:
    from bw_hostile import _bomb

    _bomb()  # made once, before the peak is read
    before = _rss_mb()
    with hostile(name) as server:
        scenarios = build_matrix()[:8]
        report = run_check(
            load_target(server.url), secret=SECRET, timeout=TIMEOUT, scenarios=scenarios,
            signed=True, keep_going=True,
        )  # fmt: skip
    assert len(report.exchanges) == len(scenarios)
    kept = sum(len(e.received.body) for e in report.exchanges if e.received is not None)
    assert kept <= len(scenarios) * 64 * 1024  # only what the report needs
    assert _rss_mb() - before < 400  # a few 10 MB reads at a time, never 100s of MB each


@pytest.mark.parametrize("name", ["reset", "truncated", "trickle", "never", "redirect_loop"])
def test_send_and_check_print_a_finding_not_a_traceback(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with hostile(name) as server:
        code = main(["send", server.url, "--secret", SECRET, "--sign", "always",
                     "--timeout", str(TIMEOUT)])  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 1
        assert "Traceback" not in out + err
        assert SECRET not in out + err
        code = main(["check", server.url, "--secret", SECRET, "--sign", "always",
                     "--timeout", str(TIMEOUT)])  # fmt: skip
        out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    assert SECRET not in out + err
    assert "BW1" in out


def test_no_secret_in_any_output_even_with_locals(pytester: pytest.Pytester) -> None:
    helpers = __import__("pathlib").Path(__file__).resolve().parent.parent / "helpers"
    pytester.syspathinsert(helpers)
    pytester.makepyfile(
        f"""
        import pytest
        from bw_hostile import hostile
        from harness.protocol import load_fixture
        from harness import load_target, deliver, run_check
        from harness import fuzz
        from harness.reference import make_app
        from harness import LiveWebhookServer, WebhookMock, BotWebhookError

        SECRET = "{SECRET}"

        @pytest.mark.parametrize("name", ["reset", "truncated", "trickle", "redirect_loop"])
        def test_url_errors(name):
            with hostile(name) as server:
                exchange = deliver(load_target(server.url), load_fixture("colour_shape_a"),
                                   secret=SECRET, signed=True, timeout=0.5)
                exchange.assert_ok()

        def test_bad_body_inside_deliver():
            deliver(load_target(make_app(secret=SECRET)), "not bytes", secret=SECRET)

        def test_bad_target_inside_run_check():
            run_check("not a target", secret=SECRET)

        def test_bad_examples_inside_fuzz():
            fuzz(load_target(make_app(secret=SECRET)), secret=SECRET, examples=0)

        def test_handler_and_server_reprs():
            with LiveWebhookServer(secret=SECRET) as server:
                assert False, (server, make_app(secret=SECRET), WebhookMock(secret=SECRET).secret)
        """
    )
    result = pytester.runpytest("-l", "--tb=long", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 8
    text = result.stdout.str() + result.stderr.str()
    assert "secret = <Secret 2fb7…(40 chars)>" in text  # our frames hold the redacted form
    shown = text.replace(f'SECRET = "{SECRET}"', "").replace(f"SECRET = '{SECRET}'", "")
    assert SECRET not in shown  # only in the test file's own source line


def test_send_prints_a_huge_answer_once_and_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    with hostile("huge") as server:
        code = main(["send", server.url, "--timeout", str(TIMEOUT * 4)])
    out, err = capsys.readouterr()
    assert code == 0  # a warning (BW208), not an error
    assert "BW208 warning" in out
    assert "more bytes)" in out  # what was left out is said
    assert len(out) < 20_000  # not 100 MB, and not twice
    assert err == ""


def test_a_connection_reset_before_the_tls_handshake_leaves_no_socket_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that resets a new connection before the client wraps it: Python up to 3.12
    drops the half-made TLS socket unclosed (CPython gh-113280). The URL target closes it.
    The reset is simulated where ``SSLSocket`` first meets it, in ``getpeername``."""
    import gc
    import socket
    import ssl
    import warnings

    def reset(self: ssl.SSLSocket) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        monkeypatch.setattr(ssl.SSLSocket, "getpeername", reset)
        target = load_target(f"https://127.0.0.1:{listener.getsockname()[1]}/", insecure=True)
        exchange = deliver(target, load_fixture("colour_shape_a"), secret=SECRET)
        target.close()
        monkeypatch.undo()
        gc.collect()
    assert exchange.failure is not None
    assert "reset" in exchange.failure
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
