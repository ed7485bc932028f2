"""Protocol coverage: the cells of the bot model a run exercised, and those it never did."""

from __future__ import annotations

from pathlib import Path

import pytest
from bw_reports import check_json

from harness import fuzz, load_target, run_check
from harness.checks import ProtocolCoverage
from harness.cli import main
from harness.model import BotModel
from harness.reference import make_app

ROOT = Path(__file__).resolve().parents[2]
BOOKING = ROOT / "examples" / "booking"
SECRET = "c" * 40
#: One intent, one mandatory and one optional variable: every cell can be named.
MODEL = BotModel.from_dict({
    "languages": ["EN"],
    "intents": [{
        "name": "book",
        "examples": ["book for $guests people on $date"],
        "responses": ["Booked"],
        "variables": [
            {"label": "guests", "entity": "sys.number", "mandatory": True, "max_prompts": 2,
             "prompts": ["How many?"]},
            {"label": "date", "entity": "sys.date", "mandatory": False},
        ],
    }],
})  # fmt: skip


def test_the_cells_of_a_model_are_named_before_the_run() -> None:
    cells = ProtocolCoverage(MODEL).as_dict()["kinds"]
    assert set(cells["intent × shape"]["cells"]) == {"book shape A", "book shape B"}
    assert set(cells["variable"]["cells"]) == {
        "book.guests filled", "book.guests prompted 1×", "book.guests prompted 2×",
        "book.date filled", "book.date unfilled",
    }  # fmt: skip
    assert set(cells["language × channel"]["cells"]) == {"EN api", "EN facebook"}
    assert all(n == 0 for kind in cells.values() for n in kind["cells"].values())


def test_a_check_counts_what_it_sent_and_what_the_handler_answered() -> None:
    report = run_check(load_target(make_app(secret=SECRET)), secret=SECRET)
    assert report.coverage is not None
    found = report.coverage.as_dict()
    kinds = found["kinds"]
    assert kinds["intent × shape"]["exercised"] == kinds["intent × shape"]["total"]
    assert kinds["probe"]["exercised"] == kinds["probe"]["total"] == 9
    assert kinds["response"]["cells"]["text"] > 0
    assert kinds["response"]["cells"]["callback"] == 0  # a check makes no callback
    assert "response: callback" in found["never"]
    never = set(found["never"])  # what the matrix does not try, said plainly
    assert any(cell.startswith("variable: ") and "prompted" in cell for cell in never)
    data = check_json("check", report.render("json"))
    assert data["coverage"]["kinds"]["probe"]["exercised"] == 9


def test_fuzz_counts_its_attacker_calls_by_kind() -> None:
    target = load_target(make_app(secret=SECRET))
    report = fuzz(target, secret=SECRET, examples=30, seed=2, database=None)
    assert report.coverage is not None
    probes = report.coverage.as_dict()["kinds"]["probe"]["cells"]
    assert set(probes) == {"wrong-signature", "missing-signature", "malformed"}
    assert all(count > 0 for count in probes.values())
    assert check_json("fuzz", report.render("json"))["coverage"] is not None


def test_conversations_count_cells_of_their_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(BOOKING)
    monkeypatch.setenv("BOTWEBHOOK_SECRET", "booking-example-secret-0000000000000000")
    monkeypatch.syspath_prepend(str(BOOKING))
    assert main(["converse", "app.py:app", "test_booking.conversation.yaml", "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "protocol coverage" in out
    assert main(["converse", "app.py:app", "test_booking.conversation.yaml", "--json"]) == 0
    cells = check_json("converse", capsys.readouterr().out)["coverage"]["kinds"]
    conversation = cells["conversation"]["cells"]
    assert conversation["a turn after a prompt"] > 0
    assert conversation["context carried into a later turn"] > 0
    assert conversation["a context update a later turn relied on"] > 0
    assert cells["response"]["cells"]["callback"] > 0  # the booking bot answers later


def test_check_prints_the_table_and_the_cells_never_exercised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--coverage"]) == 0
    out = capsys.readouterr().out
    table = out.split("protocol coverage", 1)[1]
    assert "intent × shape" in table
    assert "never exercised:" in table
    assert "response: " in table


def test_the_pytest_summary_shows_the_suite_and_conversation_coverage(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(f"[pytest]\nbotwebhook_secret = {SECRET}\n")
    pytester.makeconftest(
        "import pytest\nfrom harness.reference import make_app\n\n@pytest.fixture\n"
        f"def botwebhook_target():\n    return make_app(secret={SECRET!r})\n"
    )
    pytester.makepyfile(test_contract="import pytest_botwebhook\n"
                        "test_contract = pytest_botwebhook.contract_suite()\n")  # fmt: skip
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "--botwebhook-coverage")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*botwebhook coverage*", "protocol coverage*",
                                 "*intent × shape*", "*never exercised:*"])  # fmt: skip
    plain = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert "protocol coverage" not in plain.stdout.str()


def test_coverage_of_no_model_counts_what_it_saw() -> None:
    seen = ProtocolCoverage(None, probes=())
    assert seen.as_dict()["never"] == [f"response: {r}" for r in (
        "text", "quick replies", "facebook node", "facebook_multi", "context update",
        "context deletion", "callback")]  # fmt: skip
