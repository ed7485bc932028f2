"""Forward, record, redact and replay: the full loop over real sockets, the cassette
format and its errors, redaction, the mocks' record=, and fuzzing from reality."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
import requests
from bw_handlers import SECRET
from bw_listen import Listening, platform_post
from bw_reports import check_json

from harness import LiveWebhookServer, PayloadFactory, WebhookMock, build_payload, sign, verify
from harness.cli import main
from harness.platform import platform_headers
from harness.protocol import TEST_SECRET, WebhookRequest
from harness.replay import (
    FORMAT,
    CassetteEntry,
    CassetteWriter,
    Redactor,
    read_cassette,
    replay_entry,
)

HANDLER = """
import hashlib, hmac, json
from werkzeug.wrappers import Request, Response
SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"
CHANGED = {changed}

@Request.application
def app(request):
    body = request.get_data()
    mine = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mine, request.headers.get("X-Hub-Signature", "")):
        return Response("bad signature", status=401)
    payload = json.loads(body)
    query = payload["chatResult"]["query"]
    text = "You said it." if CHANGED else f"You said: {{query}}"
    update = {{"variables": {{"last": {{"value": query}}}}}}
    return Response(json.dumps({{"text": text, "context": update}}), status=200,
                    headers={{"X-Handler": "yes"}}, mimetype="application/json")
"""


@pytest.fixture
def handlers(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "same.py").write_text(HANDLER.format(changed=False), "utf-8")
    (tmp_path / "changed.py").write_text(HANDLER.format(changed=True), "utf-8")
    return {"same": f"{tmp_path / 'same.py'}:app", "changed": f"{tmp_path / 'changed.py'}:app"}


def test_the_full_loop_listen_redact_replay(
    tmp_path: Path, handlers: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    listening = Listening(tmp_path, handlers["same"])
    port = listening.port
    factory = PayloadFactory(seed=11)
    bodies = [factory.build(shape="A", facebook=False).body for _ in range(4)]
    answers = []
    try:
        for body in bodies:
            answers.append(platform_post(f"http://127.0.0.1:{port}/", body))
        refused = platform_post(f"http://127.0.0.1:{port}/", bodies[0], secret="x" * 40)
    finally:
        out = listening.stop()
    # The platform got the handler's answer unchanged.
    for body, answer in zip(bodies, answers, strict=True):
        query = json.loads(body)["chatResult"]["query"]
        assert answer.status_code == 200
        assert answer.headers["X-Handler"] == "yes"
        assert json.loads(answer.content)["text"] == f"You said: {query}"
    assert refused.status_code == 401  # not the platform's signature: not forwarded
    lines = out.splitlines()
    assert lines[0].startswith(f"listening on http://127.0.0.1:{port}/")
    seen = ("the user would see: 'You said:", 'the user would see: "You said:')
    assert sum(": 200 in " in line and any(s in line for s in seen) for line in lines) == 4
    assert any("refused a call with a wrong signature" in line for line in lines)
    entries, problems = read_cassette(tmp_path / "rec.jsonl")
    assert problems == []
    assert [e.request_body for e in entries] == bodies  # exact bytes, the refused one left out
    assert all(verify(e.request_body, e.header("X-Hub-Signature"), SECRET) for e in entries)
    assert SECRET not in (tmp_path / "rec.jsonl").read_text()
    # Redact, then replay: no diff against the same handler, a diff against a changed one.
    assert main(["redact", str(tmp_path / "rec.jsonl"), "--out", str(tmp_path / "red.jsonl"),
                 "--secret", SECRET]) == 0  # fmt: skip
    listed = capsys.readouterr().out
    assert "chatResult.query" in listed
    assert "chatSession" in listed
    redacted, _ = read_cassette(tmp_path / "red.jsonl")
    for before, after in zip(entries, redacted, strict=True):
        old, new = json.loads(before.request_body), json.loads(after.request_body)
        assert old["chatResult"]["query"] != new["chatResult"]["query"]
        assert old["chatSession"] != new["chatSession"]
        assert old["intentName"] == new["intentName"]  # nothing else changed
        assert WebhookRequest.from_bytes(after.request_body).to_bytes() == after.request_body
        # Signed with the test secret: nobody can replay a committed cassette to production.
        assert not verify(after.request_body, after.header("X-Hub-Signature"), SECRET)
        assert verify(after.request_body, after.header("X-Hub-Signature"), TEST_SECRET)
        assert new["chatResult"]["query"] in after.response_body.decode()  # answer redacted too
    red = str(tmp_path / "red.jsonl")
    assert main(["replay", red, handlers["same"], "--secret", SECRET]) == 0
    assert "4 call(s) replayed: 4 unchanged, 0 changed" in capsys.readouterr().out
    junit = tmp_path / "replay.xml"
    code = main(["replay", red, handlers["changed"], "--secret", SECRET, "--junit-xml", str(junit)])
    out = capsys.readouterr().out
    assert code == 1
    assert "the chat user sees: 'You said: " in out
    assert "-> 'You said it.'" in out
    assert 'failures="4"' in junit.read_text()
    # Byte for byte, its test signatures are refused where the recording secret is checked.
    assert main(["replay", red, handlers["same"], "--secret", SECRET, "--verbatim"]) == 1


def test_killing_listen_keeps_every_completed_call(
    tmp_path: Path, handlers: dict[str, str]
) -> None:
    listening = Listening(tmp_path, handlers["same"])
    factory = PayloadFactory(seed=5)
    try:
        done = [platform_post(f"http://127.0.0.1:{listening.port}/", factory.build(shape="A").body)
                for _ in range(5)]  # fmt: skip
    finally:
        listening.stop(signal.SIGKILL)  # no chance to clean up
    assert all(answer.status_code == 200 for answer in done)
    entries, problems = read_cassette(tmp_path / "rec.jsonl")
    assert (len(entries), problems) == (5, [])


def test_a_cassette_line_that_cannot_be_read_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    good = CassetteEntry("POST", "http://x/", [("Content-Type", "application/json")],
                         build_payload(seed=1).body, 200, [], b'{"text": "ok"}')  # fmt: skip
    with CassetteWriter(path) as writer:
        writer.write(good)
    line = path.read_text().strip()
    data = json.loads(line)
    future = json.dumps({**data, "format": FORMAT + 1})
    truncated = line.replace(data["request"]["body"], data["request"]["body"][:-3])
    path.write_text("\n".join([line, "{not json", future, truncated, line, ""]), "utf-8")
    entries, problems = read_cassette(path)
    assert len(entries) == 2  # the rest is still read
    assert [str(p) for p in problems] == [
        f"{path}:2: not JSON (Expecting property name enclosed in double quotes)",
        f"{path}:3: format version 2 is not one this version reads (1; hint: record it "
        "again, or upgrade pytest-botwebhook)",
        f"{path}:4: request.body: not valid base64 (is the line cut short?)",
    ]


def test_replay_goes_on_after_unreadable_lines_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    body = build_payload(seed=2, shape="A").body
    with CassetteWriter(path) as writer:
        writer.write(CassetteEntry("POST", "http://x/", [], body, 200, [], b'{"text": "x"}'))
    path.write_text(path.read_text() + "garbage\n", "utf-8")
    assert main(["replay", str(path)]) in (1, 2)  # the reference handler answers otherwise
    out = capsys.readouterr().out
    assert f"unreadable: {path}:2: not JSON" in out
    assert "1 call(s) replayed" in out


def test_redaction_is_consistent_within_a_conversation_and_lists_what_it_replaced() -> None:
    factory = PayloadFactory(seed=3)
    first = json.loads(factory.build(intent="remember_note", shape="A", facebook=False).body)
    second = json.loads(factory.build(intent="remember_note", shape="A", facebook=False).body)
    second["chatSession"] = first["chatSession"]  # the same conversation
    note = first["variablesMap"]["note"]["value"]
    second["variablesMap"]["note"]["value"] = second["memoryVariables"][0]["value"] = note
    from harness.protocol import gson_dumps

    redactor = Redactor()
    out = []
    for data in (first, second):
        body = gson_dumps(data)
        entry = CassetteEntry("POST", "u", [("X-Hub-Signature", "sha256=" + "0" * 64)], body,
                              200, [], json.dumps({"text": f"Noted: {note}"}).encode())  # fmt: skip
        out.append(redactor.entry(entry))
    a, b = (json.loads(e.request_body) for e in out)
    assert a["variablesMap"]["note"]["value"] == b["variablesMap"]["note"]["value"] != note
    assert a["chatSession"] == b["chatSession"] != first["chatSession"]
    assert a["webhook_token"] != b["webhook_token"]
    assert out[0].header("X-Hub-Signature") is None  # no secret: unsigned, replay re-signs
    assert "memoryVariables[0].value" in out[0].redacted
    assert "variablesMap['note'].value" in out[0].redacted
    assert (
        json.loads(out[1].response_body)["text"] == f"Noted: {b['variablesMap']['note']['value']}"
    )


def test_list_values_are_the_bots_own_words_and_are_kept() -> None:
    body = build_payload(intent="colour", shape="A", seed=4, values={"colour": "blue"}).body
    entry = Redactor().entry(CassetteEntry("POST", "u", [], body, 200, [], b"{}"))
    data = json.loads(entry.request_body)
    assert data["variablesMap"]["colour"]["value"] == "blue"
    assert data["chatResult"]["context"]["colour"] == "blue"


def test_the_mocks_record_in_the_same_format(tmp_path: Path) -> None:
    body = build_payload(seed=6, shape="A").body
    with WebhookMock(secret=SECRET, record=tmp_path / "mock.jsonl") as mock:
        mock.add("https://bot.example.com/hook")
        requests.post("https://bot.example.com/hook", data=body,
                      headers=platform_headers(body, sign(body, SECRET)), timeout=5)  # fmt: skip
    with LiveWebhookServer(secret=SECRET, record=tmp_path / "live.jsonl") as server:
        platform_post(server.url, body)
    for name in ("mock.jsonl", "live.jsonl"):
        (entry,), problems = read_cassette(tmp_path / name)
        assert problems == []
        assert entry.request_body == body
        assert entry.status == 200
        case = replay_entry(entry, _reference(), secret=SECRET)
        assert not case.regression, case.report()


def _reference() -> Any:
    from harness import load_target
    from harness.reference import make_app

    return load_target(make_app(secret=SECRET))


def test_fuzz_tries_recorded_calls_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A handler that breaks only on a value real users sent is found from the cassette."""
    (tmp_path / "picky.py").write_text(
        "import json\nfrom werkzeug.wrappers import Request, Response\n"
        "@Request.application\n"
        "def app(request):\n"
        "    try:\n"
        "        p = json.loads(request.get_data())\n"
        "        query = p['chatResult']['query']\n"
        "    except Exception:\n"
        "        return Response('bad request', status=400)\n"
        "    if 'zanzibar-7' in query:\n"
        "        raise ValueError('zanzibar')\n"
        "    return Response('{\"text\": \"ok\"}', mimetype='application/json')\n",
        "utf-8",
    )
    data = json.loads(build_payload(seed=8, shape="A").body)
    data["chatResult"]["query"] = "book the zanzibar-7 trip"
    from harness.protocol import gson_dumps

    body = gson_dumps(data)
    with CassetteWriter(tmp_path / "real.jsonl") as writer:
        writer.write(CassetteEntry("POST", "u", [], body, 200, [], b'{"text": "ok"}'))
    picky, real = f"{tmp_path / 'picky.py'}:app", str(tmp_path / "real.jsonl")
    code = main(["fuzz", picky, "--seed-from", real, "--examples", "5", "--seed", "1",
                 "--no-database", "--save-dir", str(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "ValueError: zanzibar" in out


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_listen_over_tls_records_redacted_calls(tmp_path: Path, handlers: dict[str, str]) -> None:
    listening = Listening(tmp_path, handlers["same"], "--tls", "--redact")
    port = listening.port
    body = PayloadFactory(seed=21).build(shape="A", facebook=False).body
    try:
        answer = requests.post(
            f"https://127.0.0.1:{port}/", data=body,
            headers=platform_headers(body, sign(body, SECRET)), timeout=10, verify=False,
        )  # fmt: skip
    finally:
        out = listening.stop()
    assert out.startswith(f"listening on https://127.0.0.1:{port}/")
    assert "(redacted)" in out.splitlines()[0]
    query = json.loads(body)["chatResult"]["query"]
    assert json.loads(answer.content)["text"] == f"You said: {query}"  # the platform: unchanged
    (entry,), _ = read_cassette(tmp_path / "rec.jsonl")
    recorded = json.loads(entry.request_body)
    assert recorded["chatResult"]["query"] != query  # the cassette: redacted
    assert "chatResult.query" in entry.redacted
    assert query not in entry.response_body.decode()
    assert verify(entry.request_body, entry.header("X-Hub-Signature"), TEST_SECRET)
    assert not verify(entry.request_body, entry.header("X-Hub-Signature"), SECRET)


def test_replay_as_json_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.jsonl"
    body = build_payload(seed=2, intent="colour", shape="A").body
    from harness import deliver

    got = deliver(_reference(), body, secret=SECRET).received
    assert got is not None
    with CassetteWriter(path) as writer:
        writer.write(CassetteEntry("POST", "u", [], body, got.status, list(got.headers.items()),
                                   got.body))  # fmt: skip
    reference = tmp_path / "ref.py"
    reference.write_text(
        f"from harness.reference import make_app\napp = make_app(secret={SECRET!r})\n"
    )
    assert main(["replay", str(path), f"{reference}:app", "--secret", SECRET, "--json"]) == 0
    data = check_json("replay", capsys.readouterr().out)
    assert (data["summary"]["replayed"], data["summary"]["changed"]) == (1, 0)
    assert data["results"][0]["name"] == "colour[0]"
    assert data["secret"].endswith("chars)")  # redacted, never in full
    assert SECRET not in json.dumps(data)
    assert main(["replay", str(tmp_path / "none.jsonl")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["replay", str(path), "--verbatim"]) == 2
    assert "--verbatim sends the recorded signatures" in capsys.readouterr().err


def test_the_live_line_shows_the_handlers_output_beside_its_finding() -> None:
    from werkzeug.test import Client

    from harness import load_target
    from harness.replay import Forwarder, describe_exchange

    def crashing(environ: Any, start_response: Any) -> Any:
        print("about to read the colour")
        raise KeyError("colour")

    lines: list[str] = []
    forwarder = Forwarder(
        load_target(crashing, capture=True), secret=SECRET,
        on_exchange=lambda exchange, elapsed: lines.append(describe_exchange(exchange, elapsed)),
    )  # fmt: skip
    body = build_payload(seed=3, intent="colour", shape="A").body
    answer = Client(forwarder).post(
        "/", data=body, headers=platform_headers(body, sign(body, SECRET))
    )
    assert answer.status_code == 500  # the platform gets the handler's answer, unchanged
    (line,) = lines
    assert line.startswith("colour: 500 in ")
    assert "BW401 error" in line
    assert "  | about to read the colour" in line


def test_replay_verifies_an_https_target_and_takes_a_ca_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = build_payload(seed=9, intent="colour", shape="A").body
    from harness import deliver

    got = deliver(_reference(), body, secret=SECRET).received
    assert got is not None
    path = tmp_path / "c.jsonl"
    with CassetteWriter(path) as writer:
        writer.write(CassetteEntry("POST", "u", [], body, got.status, list(got.headers.items()),
                                   got.body))  # fmt: skip
    with LiveWebhookServer(secret=SECRET, tls=True) as server:
        untrusted = main(["replay", str(path), server.url, "--secret", SECRET])
        out = capsys.readouterr().out
        trusted = main(["replay", str(path), server.url, "--secret", SECRET,
                        "--ca-bundle", str(server.ca_bundle)])  # fmt: skip
    assert untrusted == 1
    assert "status: 200 -> no answer" in out
    assert "BW100" in out
    assert trusted == 0, capsys.readouterr().out


def test_one_judge_for_checks_the_recorder_and_replay() -> None:
    """A gzip answer the platform did not ask for cannot be read: a check, a mock's
    recorder and replay say the same, as they all take the answer in one place."""
    import gzip

    from harness import deliver, load_target
    from harness.platform import FAILED_DESERIALIZE
    from harness.replay import CassetteEntry, recorded_outcome

    body = build_payload(seed=2).body
    packed = gzip.compress(b'{"text": "hi"}')
    headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    entry = CassetteEntry("POST", "http://x/", [], body, 200, headers, packed)
    assert recorded_outcome(entry).failure == FAILED_DESERIALIZE

    def gzipped(environ: object, start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [packed]

    with WebhookMock() as mock:
        mock.add("https://hooks.example.com/", handler=gzipped)
        requests.post("https://hooks.example.com/", data=body, timeout=10)
    assert mock.last.outcome is not None
    assert mock.last.outcome.failure == FAILED_DESERIALIZE
    with LiveWebhookServer(handler=gzipped) as server:
        exchange = deliver(load_target(server.url), body, secret=SECRET)
    assert exchange.outcome.failure == FAILED_DESERIALIZE
    assert recorded_outcome(CassetteEntry("POST", "u", [], body, 503, [], b"")).failure == (
        "Webhook call failed (HTTP code 503)"
    )
