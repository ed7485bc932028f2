"""Generated conversations: what the strategy covers, that conforming handlers of every
style pass them, and that a failure on a later turn is shrunk to the shortest
conversation and printed as a document that reproduces it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from bw_handlers import SECRET, conforming, reply
from hypothesis import HealthCheck, find, given, settings

from harness import load_target
from harness.conversations import (
    ConversationSpec,
    fuzz_conversations,
    load_conversations,
    run_conversation,
    to_yaml,
)
from harness.model import builtin_model
from harness.strategies import conversations

STYLES = Path(__file__).resolve().parent.parent / "helpers" / "styles"
IN_PROCESS = [f"{STYLES / 'flask_typical.py'}:app", f"{STYLES / 'wsgi_typical.py'}:application"]
DJANGO = f"{STYLES / 'django_typical.py'}:app"
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _reached(predicate: Any) -> ConversationSpec:
    found: ConversationSpec = find(
        conversations(), predicate, settings=settings(max_examples=2000, database=None)
    )
    return found


def _prompt_misses(spec: ConversationSpec) -> bool:
    return any(not t.intents and not t.entities for t in spec.turns)


def test_the_strategy_reaches_every_path() -> None:
    assert _reached(lambda s: s.channel == "facebook")
    assert _reached(lambda s: s.language != "EN")
    assert _reached(lambda s: bool(s.client_variables))
    assert _reached(lambda s: len({t.intents for t in s.turns if t.intents}) >= 3)
    assert _reached(lambda s: any(not t.intents and t.entities for t in s.turns))  # prompted
    assert _reached(_prompt_misses)  # an answer the platform cannot use: it prompts again
    gave_up = _reached(lambda s: s.turns[-1].user in ("hmm", "I don't know", "what?", "no idea")
                       and sum(not t.intents and not t.entities for t in s.turns) >= 3)  # fmt: skip
    assert gave_up.turns


@QUICK
@given(conversations())
def test_generated_conversations_read_back_from_their_document(spec: ConversationSpec) -> None:
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "test_g.conversation.yaml"
        file.write_text(to_yaml(spec), "utf-8")
        (back,) = load_conversations(file)
    assert [(t.user, t.intents, t.entities) for t in back.turns] == [
        (t.user, t.intents, t.entities) for t in spec.turns
    ]
    assert (back.channel, back.client_variables) == (spec.channel, spec.client_variables)


@pytest.mark.parametrize("spec", IN_PROCESS, ids=["flask", "wsgi"])
def test_conforming_styles_pass_generated_conversations(spec: str) -> None:
    target = load_target(spec)
    try:
        report = fuzz_conversations(target, secret=SECRET, examples=40, seed=5, database=None)
    finally:
        target.close()
    assert report.ok, report.render()
    assert report.phases["conversations"] == 40


def test_a_conforming_django_view_passes_generated_conversations(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "harness.cli", "fuzz", DJANGO, "--secret", SECRET,
         "--examples", "5", "--conversations", "30", "--seed", "3", "--no-database",
         "--save-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert found.returncode == 0, found.stdout + found.stderr
    assert "30 conversations" in found.stdout


def _second_colour_crashes(payload: dict[str, Any]) -> Any:
    """Fine on any one call; breaks when the chat's context already holds its mark."""
    context = payload["chatResult"]["context"]
    if payload["intentName"] == "colour" and "seen" in context:
        return reply({"error": "boom"}, 500)
    return reply({"text": "ok", "context": {"variables": {"seen": {"value": "yes"}}}})


def test_a_later_turn_failure_is_shrunk_to_the_shortest_conversation(tmp_path: Path) -> None:
    target = load_target(conforming(_second_colour_crashes))
    report = fuzz_conversations(
        target, secret=SECRET, examples=60, seed=1, database=None, save_dir=tmp_path
    )
    assert not report.ok
    failure = report.failures[0]
    assert failure.code == "BW401"
    assert failure.conversation is not None
    assert failure.transcript is not None
    saved = failure.saved
    assert saved is not None
    assert saved.name.endswith(".conversation.yaml")
    (spec,) = load_conversations(saved)
    assert len(spec.turns) == 2  # any intent that sets the mark, then colour
    assert spec.turns[-1].intents == ("colour",)
    rendered = report.render()
    assert "shrunk to the shortest that fails" in rendered
    assert "as a conversation file document (ready to save):" in rendered
    # The document reproduces the failure as a conversation file.
    result = run_conversation(spec, target, secret=SECRET)
    assert result.failed_turn == 2
    assert "BW401" in (result.failure or "")


def test_fuzz_conversations_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.cli import main

    monkeypatch.chdir(tmp_path)
    flask = f"{STYLES / 'flask_typical.py'}:app"
    code = main(["fuzz", flask, "--secret", SECRET, "--examples", "5",
                 "--conversations", "10", "--seed", "2", "--no-database"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "10 conversations" in out
    assert main(["fuzz", "--conversations", "5", "--passthrough"]) == 2
    assert "--conversations with --passthrough" in capsys.readouterr().err


def test_the_booking_example_model_drives_generated_conversations() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "booking"
    from harness import load_model

    model = load_model(root / "botwebhook.toml")
    target = load_target(f"{root / 'app.py'}:app")
    try:
        report = fuzz_conversations(
            target, secret="booking-example-secret-0000000000000000", model=model,
            examples=30, seed=4, database=None,
        )  # fmt: skip
    finally:
        target.close()
    assert report.ok, report.render()


def test_builtin_catalogue_json_stays_deterministic_for_a_seed() -> None:
    spec = find(conversations(builtin_model()), lambda s: len(s.turns) >= 2)
    target = load_target(
        conforming(lambda p: reply({"text": json.dumps(p["chatResult"]["query"])}))
    )
    first = run_conversation(spec, target, secret=SECRET, seed=9, clock=lambda: 1.0)
    second = run_conversation(spec, target, secret=SECRET, seed=9, clock=lambda: 1.0)
    bodies = [[e.sent.body for t in r.chat.turns for e in t.exchanges] for r in (first, second)]
    assert bodies[0] == bodies[1]


def test_a_first_sentence_the_examples_read_a_value_into_is_not_prompted_for() -> None:
    """ "call the plumber about the leak" reads as 'call $person': the platform would take
    a person from it and not prompt. Generated chats agree with the dialogue they are
    played against (once, one prompted for it, and its file would not load)."""
    from harness.model import scope_model

    model = scope_model(builtin_model(), ["call_contact"])

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(conversations(model, languages=["EN"], max_intents=1))
    def reads_back(spec: ConversationSpec) -> None:
        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / "test_g.conversation.yaml"
            file.write_text(to_yaml(spec), "utf-8")
            load_conversations(file)  # its dry run plays the dialogue: prompts must agree

    reads_back()


_SAME_IN_ANY_PROCESS = """
import hashlib
from hypothesis import HealthCheck, given, settings
from harness.conversations import to_yaml
from harness.strategies import conversations
out = hashlib.sha256()
@settings(max_examples=40, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(conversations())
def draw(spec):
    out.update(to_yaml(spec).encode())
draw()
print(out.hexdigest())
"""


def test_generated_chats_are_the_same_in_every_process() -> None:
    """A stored failing example gives the same chat whatever the process's hash seed:
    nothing is built in the order of a set (the factory's test holds its payloads)."""
    runs = {
        subprocess.run(
            [sys.executable, "-c", _SAME_IN_ANY_PROCESS],
            capture_output=True, text=True, check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (0, 1, 2)
    }  # fmt: skip
    assert len(runs) == 1
