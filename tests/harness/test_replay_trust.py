"""Record and replay that can be trusted: noise is not a regression, redaction
neither corrupts nor leaks nor re-signs for production, ``listen`` never changes
what the platform gets, and a hostile cassette is one line per bad entry."""

from __future__ import annotations

import http.client
import json
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from bw_cli import run as cli
from bw_handlers import SECRET
from bw_listen import Listening, platform_post
from bw_reports import check_json

from harness import PayloadFactory, build_payload, sign, verify
from harness.protocol import TEST_SECRET
from harness.replay import CassetteEntry, CassetteWriter, Redactor, read_cassette, sidecar_path

REAL = Path(__file__).resolve().parents[1] / "helpers" / "realworld"
PIZZA = f"{REAL / 'rw_pizza.py'}:app"
PERSONAL = {
    "name": "Maria Fernandes",
    "email": "Maria.Fernandes@Example.org",
    "phone": "07700 900456",
    "phones": ["07700 900111", "+44 20 7946 0958"],
    "customer_number": 987654,
}


def pizza_bodies() -> list[bytes]:
    """Platform-exact calls of one conversation: two orders, then tracking the last one,
    from a customer whose client sends who they are."""
    factory = PayloadFactory(seed=3)
    bodies = []
    session = None
    for intent, values in (("order_pizza", {"size": "small"}), ("order_pizza", {}),
                           ("track_order", {})):  # fmt: skip
        # Not the trigger-intent path: its variables carry no value_type (no LIST).
        data = json.loads(factory.build(intent=intent, shape="A", facebook=False, trigger=False,
                                        values=values or None, text="plain").body)  # fmt: skip
        data["clientVariables"] = dict(PERSONAL)
        session = session or data["chatSession"]
        data["chatSession"] = session
        if intent == "order_pizza" and values:
            data["chatResult"]["query"] = "small"  # the bare answer to a prompt: a LIST value
            data["variablesMap"]["size"]["value"] = "small"
            data["memoryVariables"][[v["label"] for v in data["memoryVariables"]].index("size")][
                "value"] = "small"  # fmt: skip
        bodies.append(json.dumps(data).encode())
    return bodies


def record_pizza(tmp_path: Path, *extra: str) -> tuple[Path, str]:
    """Run the pizza bot's conversation through listen, recording it; the track call
    carries the order id the previous answer set, as the platform would."""
    listening = Listening(tmp_path, PIZZA, *extra)
    order_id = None
    try:
        for body in pizza_bodies():
            data = json.loads(body)
            if order_id and data["intentName"] == "track_order":
                data["chatResult"]["context"]["order_id"] = order_id
                body = json.dumps(data).encode()
            answer = _post_with_identity(listening.url, body)
            assert answer.status_code == 200, answer.text
            update = json.loads(answer.content).get("context", {}).get("variables", {})
            order_id = (update.get("order_id") or {}).get("value", order_id)
    finally:
        out = listening.stop()
    return tmp_path / "rec.jsonl", out


def _post_with_identity(url: str, body: bytes) -> Any:
    import requests

    from harness.platform import platform_headers

    headers = platform_headers(body, sign(body, SECRET))
    headers.update({"Cookie": "sid=maria-123", "X-Forwarded-For": "203.0.113.9"})
    return requests.post(url, data=body, headers=headers, timeout=10)


# -- replay: noise is not a regression ---------------------------------------------------


def test_a_stateful_bot_replays_unchanged_with_its_noise_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette, _ = record_pizza(tmp_path)
    code, out, _ = cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET)
    assert code == 0, out
    assert "3 call(s) replayed: 3 unchanged (2 with noise only), 0 changed" in out
    assert "noise: context.order_id: " in out
    assert "varies between two identical calls" in out
    assert "only words that vary between two identical calls" in out
    code, out, _ = cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET, "--json")
    data = check_json("replay", out)
    assert data["summary"]["changed"] == 0
    assert data["summary"]["noise_only"] == 2
    first = data["results"][0]
    assert isinstance(first["line"], int)
    assert first["file"] == str(cassette)
    order = next(d for d in first["differences"] if d["field"] == "context.order_id")
    assert order["noise"] is True
    assert order["recorded"] != order["now"]


def test_a_dropped_context_update_is_a_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette, _ = record_pizza(tmp_path)
    monkeypatch.setenv("PIZZA_REGRESSION", "1")
    code, out, _ = cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET)
    assert code == 1
    assert "context.order_id: " in out
    assert "-> none (no longer set: the handler's update for it is missing" in out
    assert "deleted (was" not in out


def test_learn_writes_the_noise_to_a_sidecar_that_replay_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette, _ = record_pizza(tmp_path)
    code, _, err = cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET, "--learn")
    assert code == 0
    assert "learned " in err
    sidecar = sidecar_path(cassette)
    rules = [line for line in sidecar.read_text().splitlines() if not line.startswith("#")]
    assert "context.order_id" in rules
    assert any(rule.startswith("text~/(?<=order\\ )[0-9A-Z]{7}/") for rule in rules), rules
    # Sent once, nothing is learned: the sidecar alone keeps the ids from failing it.
    code, out, _ = cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET, "--once")
    assert code == 0, out
    sidecar.unlink()
    assert cli(capsys, "replay", str(cassette), PIZZA, "--secret", SECRET, "--once")[0] == 1
    code, out, _ = cli(
        capsys, "replay", str(cassette), PIZZA, "--secret", SECRET, "--once",
        "--ignore", "context.order_id", "--ignore", r"text~/P[0-9A-F]{6}/",
    )  # fmt: skip
    assert code == 0, out


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("nonsense", "'nonsense' is not an ignore rule"),
        ("text~/(/", "is not a regular expression"),
        ("status~/2../", "a pattern applies to text only"),
    ],
)
def test_a_bad_ignore_rule_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str, message: str
) -> None:
    cassette = tmp_path / "c.jsonl"
    with CassetteWriter(cassette) as writer:
        writer.write(CassetteEntry("POST", "https://x/", [], build_payload(seed=1).body, 200, [],
                                   b"{}"))  # fmt: skip
    code, _, err = cli(capsys, "replay", str(cassette), "--ignore", rule)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_replay_items_take_the_ini_rules_and_the_sidecar(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    cassette, _ = record_pizza(tmp_path)
    (pytester.path / "calls.jsonl").write_bytes(cassette.read_bytes())
    pytester.makeini(
        f"[pytest]\nbotwebhook_target = {PIZZA}\nbotwebhook_secret = {SECRET}\n"
        "botwebhook_replay_ignore =\n    context.order_id\n    text~/P[0-9A-F]{6}/\n"
    )
    result = pytester.runpytest("--botwebhook-replay", "calls.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


# -- redact: complete, never corrupting, never replayable to production ------------------


def test_record_redact_replay_leaves_no_personal_data_and_no_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette, _ = record_pizza(tmp_path)
    redacted = tmp_path / "red.jsonl"
    code, out, _ = cli(capsys, "redact", str(cassette), "--out", str(redacted))
    assert code == 0, out
    text = redacted.read_text()
    decoded = "\n".join(
        (e.request_body + e.response_body).decode() + json.dumps(e.request_headers)
        + json.dumps(e.response_headers)
        for e in read_cassette(redacted)[0]
    )  # fmt: skip
    planted_data = ("Maria", "Fernandes", "maria-123", "203.0.113.9", "07700 900456",
                    "07700 900111", "7946 0958", "987654", "theme=dark", "session=abc")  # fmt: skip
    for planted in planted_data:
        assert planted.lower() not in decoded.lower(), planted
        assert planted.lower() not in text.lower(), planted
    entries, _ = read_cassette(redacted)
    for entry in entries:
        assert not verify(entry.request_body, entry.header("X-Hub-Signature"), SECRET)
        assert verify(entry.request_body, entry.header("X-Hub-Signature"), TEST_SECRET)
    small = json.loads(entries[0].request_body)
    assert small["chatResult"]["query"] == "small"  # a LIST value, kept even as the whole query
    assert b"small pizza(s)" in entries[0].response_body  # and in the answer
    track = json.loads(entries[2].request_body)["chatResult"]["context"]["order_id"]
    assert track in entries[1].response_body.decode()  # the same fake in answer and request
    assert len(track) == 7  # id-shaped, not a sentence
    assert track[0].isalpha()
    assert oct(redacted.stat().st_mode & 0o777) == "0o600"
    code, out, _ = cli(capsys, "replay", str(redacted), PIZZA, "--secret", TEST_SECRET)
    assert code == 1, out  # the pizza bot verifies with its own secret: nothing gets in
    code, out, _ = cli(capsys, "replay", str(redacted), _with_test_secret(tmp_path),
                       "--secret", TEST_SECRET)  # fmt: skip
    assert code == 0, out


def _with_test_secret(tmp_path: Path) -> str:
    """The pizza bot as its test suite runs it: with the test secret."""
    source = (REAL / "rw_pizza.py").read_text().replace(SECRET, TEST_SECRET)
    (tmp_path / "pizza_under_test.py").write_text(source)
    return f"{tmp_path / 'pizza_under_test.py'}:app"


def test_redaction_drops_what_is_not_a_platform_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.jsonl"
    good = build_payload(seed=2, shape="A", facebook=False).body
    with CassetteWriter(cassette) as writer:
        for body in (good, b"not json at all", b"[1, 2]", b'{"chatResult": []}',
                     b'{"chatResult": {"context": [1]}, "clientVariables": [1]}'):  # fmt: skip
            writer.write(CassetteEntry("POST", "https://x/", [], body, 200, [], b"{}"))
    code, out, err = cli(capsys, "redact", str(cassette), "--out", str(tmp_path / "r.jsonl"))
    assert code == 0
    assert "wrote 2 redacted call(s)" in out
    assert err.count("left out: ") == 3
    assert "Traceback" not in out + err
    assert b"not json at all" not in (tmp_path / "r.jsonl").read_bytes()


def test_redact_refuses_the_recording_secret_and_bad_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.jsonl"
    with CassetteWriter(cassette) as writer:
        writer.write(CassetteEntry("POST", "https://x/", [], build_payload().body, 200, [], b"{}"))
    for argv, message in (
        (["--secret", SECRET, "--test-secret", SECRET], "--test-secret is the secret the traffic"),
        (["--out", str(tmp_path)], "is a folder"),
        (["--out", str(tmp_path / "missing" / "r.jsonl")], "does not exist"),
    ):
        code, _, err = cli(capsys, "redact", str(cassette), *argv)
        assert code == 2, argv
        assert message in err
        assert len(err.strip().splitlines()) == 1


def test_redacted_fakes_keep_their_kind_and_case() -> None:
    redactor = Redactor()
    body = json.loads(build_payload(seed=4, intent="call_contact", shape="A", facebook=False).body)
    body["variablesMap"]["person"]["value"] = body["memoryVariables"][0]["value"] = "Maria"
    body["chatResult"]["context"]["person"] = "Maria"
    answer = b'{"text": "Calling MARIA now; maria knows."}'
    entry = CassetteEntry("POST", "https://x/", [], json.dumps(body).encode(), 200, [], answer)
    out = redactor.entry(entry)
    assert out is not None
    fake = json.loads(out.request_body)["variablesMap"]["person"]["value"]
    assert fake != "Maria"
    assert fake.istitle()  # a name for a name
    assert f"Calling {fake.upper()} now; {fake.lower()} knows." in out.response_body.decode()


# -- listen: never changes what the platform gets ----------------------------------------


ECHO = """
import json
from werkzeug.wrappers import Request, Response

@Request.application
def app(request):
    seen = {k.lower(): v for k, v in request.headers.items()}
    answer = Response(json.dumps({"text": "ok", "seen": seen}), mimetype="application/json")
    answer.headers.add("Set-Cookie", "a=1")
    answer.headers.add("Set-Cookie", "b=2")
    return answer
"""


@pytest.fixture
def echo_url(tmp_path: Path) -> str:
    (tmp_path / "echo.py").write_text(ECHO)
    return f"{tmp_path / 'echo.py'}:app"


@pytest.mark.parametrize("over", ["in-process", "http"])
def test_listen_forwards_end_to_end_headers_only_and_adds_nothing(
    tmp_path: Path, echo_url: str, over: str
) -> None:
    from harness import LiveWebhookServer, load_target

    served = None
    if over == "http":  # forwarded over a real connection: urllib3 must add nothing either
        served = LiveWebhookServer(handler=load_target(echo_url).app).start()  # type: ignore[attr-defined]
        echo_url = served.url
    listening = Listening(tmp_path, echo_url, env={"BOTWEBHOOK_SECRET": None}, record=None)
    try:
        body = build_payload(seed=5).body
        connection = http.client.HTTPConnection("127.0.0.1", listening.port, timeout=10)
        connection.putrequest("POST", "/", skip_accept_encoding=True)
        sent = (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"),
                ("Proxy-Authorization", "Basic eA=="), ("X-Kept", "yes"))  # fmt: skip
        for name, value in sent:
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        seen = json.loads(answer.read())["seen"]
        cookies = answer.headers.get_all("Set-Cookie")
        connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", listening.port, timeout=10)
        connection.request("GET", "/")
        refused = connection.getresponse()
        refused.read()
    finally:
        out = listening.stop()
        if served is not None:
            served.stop()
    assert seen["x-kept"] == "yes"
    for name in ("x-hop", "proxy-authorization", "user-agent", "accept-encoding"):
        assert name not in seen, name
    assert cookies == ["a=1", "b=2"]  # two stay two
    assert refused.status == 405
    assert "refused a GET (405)" in out


def test_recording_that_fails_never_fails_the_call(tmp_path: Path, echo_url: str) -> None:
    def small_files() -> None:  # the disk fills up after about one line
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    listening = Listening(tmp_path, echo_url, "--redact", env={"BOTWEBHOOK_SECRET": None},
                          preexec_fn=small_files)  # fmt: skip
    bodies = [build_payload(seed=n).body for n in range(3)]
    bodies.append(b"[1, 2, 3]")  # not a platform request: redaction cannot take it
    bodies.append(
        build_payload(seed=9).body.replace(b'"language":"', b'"x":"\\ud800","language":"')
    )
    try:
        statuses = [platform_post(listening.url, body).status_code for body in bodies]
    finally:
        listening.stop()
    assert statuses == [200] * len(bodies)  # what the handler answered, every time
    assert "this call was not recorded" in listening.stderr
    assert "Traceback" not in listening.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/PID/fd")
def test_two_thousand_calls_leave_the_descriptors_flat(tmp_path: Path) -> None:
    from harness import LiveWebhookServer

    with LiveWebhookServer(secret=SECRET) as server:
        listening = Listening(tmp_path, server.url, record=None)
        fds = Path(f"/proc/{listening.process.pid}/fd")
        body = build_payload(seed=1).body
        try:
            for _ in range(50):
                platform_post(listening.url, body)
            before = len(list(fds.iterdir()))

            def calls(n: int) -> None:
                for _ in range(n):
                    assert platform_post(listening.url, body).status_code == 200

            workers = [threading.Thread(target=calls, args=(500,)) for _ in range(4)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            after = len(list(fds.iterdir()))
        finally:
            listening.stop()
    assert after - before <= 8, (before, after)


def test_a_trickling_handler_gets_the_platform_a_504_at_the_timeout(tmp_path: Path) -> None:
    import contextlib
    import socket
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def trickle() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(30):
            time.sleep(0.2)
            with contextlib.suppress(OSError):
                connection.sendall(b"x")
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    listening = Listening(tmp_path, f"http://127.0.0.1:{port}/", "--timeout", "1", record=None)
    try:
        started = time.monotonic()
        answer = platform_post(listening.url, build_payload().body)
        took = time.monotonic() - started
    finally:
        listening.stop()
        server.close()
    assert answer.status_code == 504
    assert took < 3


def test_listen_refuses_a_body_over_its_cap(tmp_path: Path, echo_url: str) -> None:
    listening = Listening(tmp_path, echo_url, env={"BOTWEBHOOK_SECRET": None}, record=None)
    try:
        answer = platform_post(listening.url, b"{" + b" " * (2 * 1024 * 1024) + b"}")
    finally:
        listening.stop()
    assert answer.status_code == 413


# -- cassettes: files users commit -------------------------------------------------------


def test_a_cassette_is_0600_never_through_a_link_and_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    with CassetteWriter(path) as writer:
        writer.write(CassetteEntry("POST", "https://x/", [], b"{}", 200, [], b"{}"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    code, _, err = cli(capsys, "listen", "--forward-to", "http://127.0.0.1:9/", "--record",
                       str(link), "--port", "0")  # fmt: skip
    assert code == 2
    assert "is a symbolic link: refused" in err
    assert target.read_text() == ""
    code, _, err = cli(capsys, "redact", str(path), "--out", str(link))
    assert code == 2
    assert "symbolic link" in err
    code, _, err = cli(capsys, "listen", "--forward-to", "http://127.0.0.1:9/", "--record",
                       "/dev/null", "--port", "0")  # fmt: skip
    assert code == 2
    assert "not a regular file" in err


def test_a_torn_last_line_does_not_take_the_next_one_with_it(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    entry = CassetteEntry("POST", "https://x/", [], build_payload().body, 200, [], b"{}")
    with CassetteWriter(path) as writer:
        writer.write(entry)
    with path.open("a") as handle:
        handle.write('{"format": 1, "request": {"meth')  # killed mid-line
    with CassetteWriter(path) as writer:
        writer.write(entry)
    entries, problems = read_cassette(path)
    assert len(entries) == 2
    assert [p.line for p in problems] == [2]


HOSTILE = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "huge_int": '{"format": 1, "elapsed_ms": ' + "9" * 5000 + "}",
    "list_for_number": None,  # filled below: a good line with elapsed_ms a list
    "crlf_method": None,
    "status_text": None,
    "headers_not_pairs": None,
}


def _hostile(tmp_path: Path) -> Path:
    good = _good_line(tmp_path)
    lines = [json.dumps(good)]
    for name, line in HOSTILE.items():
        if line is None:
            bad = json.loads(json.dumps(good))
            if name == "list_for_number":
                bad["elapsed_ms"] = [1, 2]
            elif name == "crlf_method":
                bad["request"]["method"] = "POST\r\nX-Injected: 1"
            elif name == "status_text":
                bad["response"]["status"] = "200"
            else:
                bad["request"]["headers"] = [["a", "b", "c"]]
            line = json.dumps(bad)
        lines.append(line)
    lines.append('{"format": 1, "padding": "' + "x" * (17 * 1024 * 1024) + '"}')
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _good_line(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "good.jsonl"
    with CassetteWriter(path) as writer:
        writer.write(CassetteEntry("POST", "https://x/", [("Content-Type", "application/json")],
                                   build_payload(seed=6, shape="A").body, 200, [],
                                   b'{"text": "ok"}'))  # fmt: skip
    line: dict[str, Any] = json.loads(path.read_text())
    return line


@pytest.mark.parametrize("entry_point", ["replay", "redact", "fuzz", "pytest"])
def test_a_hostile_cassette_is_one_line_per_bad_entry_everywhere(
    tmp_path: Path, entry_point: str, pytester: pytest.Pytester
) -> None:
    cassette = _hostile(pytester.path if entry_point == "pytest" else tmp_path)
    bad = len(HOSTILE) + 1  # and the line over the cap
    if entry_point == "pytest":
        pytester.makepyfile(
            ref="from harness.reference import make_app\n"
            "app = make_app(secret='botwebhook-test-secret-not-for-productio')\n"
        )
        pytester.makeini("[pytest]\nbotwebhook_target = ref.py:app\n")
        result = pytester.runpytest("--botwebhook-replay", cassette.name, "-p", "no:cacheprovider")
        failed_lines = [line for line in result.stdout.lines
                        if line.startswith("FAILED botwebhook-replay::line-")]  # fmt: skip
        assert len(failed_lines) == bad, result.stdout.lines[-12:]
        assert "INTERNALERROR" not in result.stdout.str()
        assert "Traceback" not in result.stdout.str()
        return
    command = {
        "replay": ["replay", str(cassette)],
        "redact": ["redact", str(cassette), "--out", str(tmp_path / "r.jsonl")],
        "fuzz": ["fuzz", "--seed-from", str(cassette), "--examples", "5", "--no-database"],
    }[entry_point]
    done = subprocess.run([sys.executable, "-m", "harness.cli", *command], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert done.returncode in (0, 1, 2)
    for number in range(2, bad + 2):
        assert f"hostile.jsonl:{number}:" in output, (number, output[-2000:])
    assert "longer than 16 MiB: skipped unread" in output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status")
def test_bursts_of_large_bodies_leave_listen_small(tmp_path: Path) -> None:
    """32 bodies of 1 MB at once, four times, recorded: memory comes back (before the
    fix, a thread's arena each kept hundreds of MB)."""
    (tmp_path / "ref.py").write_text(
        f"from harness.reference import make_app\napp = make_app(secret={SECRET!r})\n"
    )
    listening = Listening(tmp_path, f"{tmp_path / 'ref.py'}:app")

    def rss() -> int:
        status = Path(f"/proc/{listening.process.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmRSS:")) // 1024  # fmt: skip

    data = json.loads(build_payload(seed=1).body)
    data["chatResult"]["context"]["big"] = "x" * (1000 * 1024)
    body = json.dumps(data).encode()
    try:
        assert platform_post(listening.url, body).status_code == 200
        before = rss()
        for _ in range(4):
            burst = [threading.Thread(target=platform_post, args=(listening.url, body),
                                      kwargs={"timeout": 30}) for _ in range(32)]  # fmt: skip
            for thread in burst:
                thread.start()
            for thread in burst:
                thread.join()
        after = rss()
    finally:
        listening.stop()
    assert after - before < 80, f"{before} MB before, {after} MB after"
