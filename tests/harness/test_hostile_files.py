"""Issue 24: what users write can be hostile by accident: a pattern that backtracks
for ever, a file nested 100k deep, a conversation file of 20 MB.  Each is one
clear error, naming the file, the line and the pattern, in bounded time."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from bw_cli import run
from bw_handlers import SECRET, conforming, reply

from harness import BotModel
from harness.conversations import (
    Conversation,
    ConversationFileError,
    load_conversations,
)
from harness.errors import BotModelError, PatternError
from harness.model import IntentSpec, VariableSpec, load_model

#: Exponential in the regex module too: (a|aa)+ has Fibonacci-many ways to split
#: the a's, and the trailing "b" makes every one of them fail.
SLOW = "(a|aa)+$"
SUBJECT = "a" * 60 + "b"
#: A limit of 0.5 s a match, plus the run around it.
BOUND = 5.0
#: A bot that answers SUBJECT, and a conversation that matches SLOW against it.
SLOW_BOT = f"""\
from werkzeug.wrappers import Response

def app(environ, start_response):
    body = '{{"text": "{SUBJECT}"}}'
    return Response(body, mimetype="application/json")(environ, start_response)
"""
SLOW_TURN = f"""\
turns:
  - user: I like red
    intent: colour
    entities: {{colour: red}}
    expect: {{bot_matches: '{SLOW}'}}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def _answers(text: str) -> Any:
    return conforming(lambda payload: reply({"text": text}))


# -- patterns in conversation files ------------------------------------------------------


def test_a_slow_bot_matches_is_one_error_naming_file_line_and_pattern(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "test_slow.conversation.yaml",
        f"""\
        name: slow
        turns:
          - user: I like red
            intent: colour
            entities: {{colour: red}}
            expect:
              bot_matches: '{SLOW}'
        """,
    )
    (spec,) = load_conversations(path)  # compiling is quick: the pattern is valid
    from harness import load_target
    from harness.conversations import run_conversation

    started = time.monotonic()
    with pytest.raises(ConversationFileError) as info:
        run_conversation(spec, load_target(_answers(SUBJECT)), secret=SECRET)
    assert time.monotonic() - started < BOUND
    message = str(info.value)
    assert message.startswith(f"{path}:7: turns[0].expect.bot_matches: ")
    assert SLOW in message
    assert "took more than 0.5 s" in message
    assert "hint:" in message


def test_converse_says_it_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "slowbot.py", SLOW_BOT)
    _write(tmp_path, "test_slow.conversation.yaml", SLOW_TURN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    started = time.monotonic()
    code, _, err = run(
        capsys, "converse", "slowbot:app", "test_slow.conversation.yaml", "--secret", SECRET
    )
    assert time.monotonic() - started < BOUND
    assert (code, err.count("\n")) == (2, 1), err
    assert "test_slow.conversation.yaml:5: turns[0].expect.bot_matches:" in err
    assert SLOW in err


def test_a_slow_later_pattern_is_bounded_too() -> None:
    import threading

    import requests

    def calls_back(payload: dict[str, Any]) -> Any:
        def later() -> None:
            url = f"https://api.hutoma.ai/v1/ai/chat/webhook/callback/{payload['chatSession']}"
            requests.post(url, json={"text": SUBJECT, "webhook_token": payload["webhook_token"]})

        threading.Thread(target=later, daemon=True).start()
        return reply({"text": "Working on it"})

    model = BotModel([IntentSpec("hello", examples=["hello"])])
    chat = Conversation(conforming(calls_back), model=model, secret=SECRET, channel="facebook")
    started = time.monotonic()
    with chat, pytest.raises(PatternError, match=r"later: the pattern '\(a\|aa\)\+\$' took"):
        chat.say("hello").expect(later=SLOW)
    assert time.monotonic() - started < BOUND


def test_an_invalid_pattern_is_refused_at_load_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "test_bad.conversation.yaml",
        """\
        turns:
          - user: hello
            intent: colour
            expect:
              later: '(unclosed'
        """,
    )
    with pytest.raises(ConversationFileError, match=r":5: turns\[0\]\.expect\.later: not a"):
        load_conversations(path)


# -- REGEX entities in models ----------------------------------------------------------


def _code_model(folder: Path) -> Path:
    return _write(
        folder,
        "bot.toml",
        f"""\
        [[intents]]
        name = "redeem"
        responses = ["Redeemed"]
        examples = ["redeem $code"]

        [[intents.variables]]
        label = "code"
        entity = "voucher"
        regex = '{SLOW}'
        prompts = ["Which code?"]
        """,
    )


def test_a_slow_regex_entity_fails_collection_in_bounded_time_naming_both_files(
    tmp_path: Path,
) -> None:
    _code_model(tmp_path)
    convo = _write(
        tmp_path,
        "test_redeem.conversation.yaml",
        f"""\
        model: bot.toml
        turns:
          - user: redeem {SUBJECT}
        """,
    )
    started = time.monotonic()
    with pytest.raises(ConversationFileError) as info:
        load_conversations(convo)
    assert time.monotonic() - started < BOUND
    message = str(info.value)
    assert message.startswith(f"{convo}:3: turns[0].user: ")
    assert f"{tmp_path / 'bot.toml'}:9: " in message  # where the model's regex is written
    assert SLOW in message
    assert "took more than 0.5 s" in message


def test_a_slow_regex_entity_answering_a_prompt_is_bounded(tmp_path: Path) -> None:
    model = load_model(_code_model(tmp_path))
    chat = Conversation(_answers("ok"), model=model, secret=SECRET)
    with chat:
        chat.say("redeem", intent="redeem").expect(prompt="code")
        started = time.monotonic()
        with pytest.raises(PatternError, match=r"bot\.toml:9: entity 'voucher' regex"):
            chat.say(SUBJECT)
        assert time.monotonic() - started < BOUND


def test_a_regex_entity_with_groups_of_its_own_fills_its_slot() -> None:
    variable = VariableSpec("code", "voucher", regex=r"(AB|CD)-(\d+)")
    model = BotModel([IntentSpec("redeem", variables=(variable,), examples=["redeem $code"])])
    from harness.conversations import Dialogue

    plan = Dialogue(model).plan("redeem CD-42")
    assert plan.captured == {"code": "CD-42"}


def test_replay_ignore_patterns_are_bounded(tmp_path: Path) -> None:
    from harness.replay import Rules

    rules = Rules.parse([f"text~/{SLOW}/"], where="--ignore")
    started = time.monotonic()
    with pytest.raises(PatternError, match=r"--ignore.*took more than 0\.5 s"):
        rules.mask("text", SUBJECT)
    assert time.monotonic() - started < BOUND


# -- nesting and size --------------------------------------------------------------------


def test_deep_yaml_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    flow = tmp_path / "test_flow.conversation.yaml"
    flow.write_text("turns: " + "[" * 100_000 + "]" * 100_000 + "\n", "utf-8")
    block = tmp_path / "test_block.conversation.yaml"
    block.write_text("turns:\n  " + "- " * 1200 + "x\n", "utf-8")
    for path in (flow, block):
        code, _, err = run(capsys, "converse", "harness.reference:make_app", path.name)
        assert (code, err.count("\n")) == (2, 1), err
        assert f"{path.name}:" in err
        assert "nesting depth" in err


def test_deep_toml_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in [
        ("arrays.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("tables.toml", "x = " + "{a = " * 50_000 + "1" + "}" * 50_000 + "\n"),
    ]:
        (tmp_path / name).write_text(text, "utf-8")
        with pytest.raises(BotModelError, match="nested too deeply"):
            load_model(tmp_path / name)
        code, _, err = run(capsys, "payload", "--model", name)
        assert (code, err.count("\n")) == (2, 1), err
        assert "nested too deeply" in err


def test_a_huge_conversation_file_is_refused_after_reading_its_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import resource

    monkeypatch.chdir(tmp_path)
    huge = tmp_path / "test_huge.conversation.yaml"
    with open(huge, "w", encoding="utf-8") as handle:
        handle.write("turns:\n")
        for _ in range(20):
            handle.write("  - user: hello there\n" * 50_000)  # 20 MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code, _, err = run(capsys, "converse", "harness.reference:make_app", huge.name)
    assert time.monotonic() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    assert code == 2
    assert err.count("\n") == 1
    assert "larger than 1 MiB" in err
    assert "split it" in err


def test_loading_is_linear_and_counts_are_capped(tmp_path: Path) -> None:
    one = "name: c{i}\nturns:\n  - user: I like red\n    intent: colour\n" \
          "    entities: {{colour: red}}\n    expect: {{bot_matches: red}}\n"  # fmt: skip

    def load(count: int) -> float:
        path = tmp_path / f"test_{count}.conversation.yaml"
        path.write_text("---\n".join(one.format(i=i) for i in range(count)), "utf-8")
        started = time.perf_counter()
        assert len(load_conversations(path)) == count
        return time.perf_counter() - started

    load(10)  # warm: the catalogue's matcher is compiled once
    small, large = load(100), load(1000)
    assert large < 10 * small * 3  # linear, with room for a noisy machine
    too_many = tmp_path / "test_many.conversation.yaml"
    too_many.write_text("---\n".join(one.format(i=i) for i in range(1001)), "utf-8")
    with pytest.raises(ConversationFileError, match="more than 1000 conversations"):
        load_conversations(too_many)
    long = tmp_path / "test_long.conversation.yaml"
    long.write_text("turns:\n" + "  - user: hi\n" * 1001, "utf-8")
    with pytest.raises(ConversationFileError, match=r":2: turns: more than 1000 turns"):
        load_conversations(long)


def test_a_huge_model_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "botwebhook.toml"
    big.write_text("# padding\n" * 500_000, "utf-8")  # 5 MB
    with pytest.raises(BotModelError, match="larger than 4 MiB"):
        load_model(big)


def test_pytest_collection_is_bounded_and_names_the_pattern(pytester: pytest.Pytester) -> None:
    _code_model(pytester.path)
    pytester.makefile(
        ".conversation.yaml",
        test_redeem=f"model: bot.toml\nturns:\n  - user: redeem {SUBJECT}\n",
    )
    pytester.makefile(".conversation.yaml", test_matches=SLOW_TURN)
    pytester.makepyfile(slowbot=SLOW_BOT)
    pytester.syspathinsert()
    args = ("--botwebhook-target", "slowbot:app", "-p", "no:cacheprovider")
    started = time.monotonic()
    collected = pytester.runpytest("test_redeem.conversation.yaml", *args)
    ran = pytester.runpytest("test_matches.conversation.yaml", *args)
    assert time.monotonic() - started < 2 * BOUND
    collected.assert_outcomes(errors=1)
    ran.assert_outcomes(failed=1)
    for result in (collected, ran):
        assert "Traceback" not in result.stdout.str()
    collected.stdout.fnmatch_lines(
        [
            "*test_redeem.conversation.yaml:3: turns[[]0].user: *bot.toml:9: entity 'voucher' "
            "regex*took more than 0.5 s*"
        ]
    )
    ran.stdout.fnmatch_lines(
        ["*test_matches.conversation.yaml:5: turns[[]0].expect.bot_matches: *took more than*"]
    )


@pytest.mark.parametrize("pattern", ["a{1000000}", "(?:a{1000}|b){1000}"])
def test_a_pattern_too_large_to_compile_is_refused_at_load(tmp_path: Path, pattern: str) -> None:
    import resource

    path = _write(
        tmp_path,
        "test_big.conversation.yaml",
        f"turns:\n  - user: hello\n    intent: colour\n    expect: {{bot_matches: '{pattern}'}}\n",
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(
        ConversationFileError, match=r":4: turns\[0\]\.expect\.bot_matches: .*too large"
    ):
        load_conversations(path)
    assert time.monotonic() - started < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
