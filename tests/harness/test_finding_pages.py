"""Every finding names its page: in text, JSON, JUnit, SARIF and HTML, for every
command, the URL of the code's page on the documentation site when its address is
known, else the command that shows the page offline (``botwebhook explain CODE``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bw_cli import run
from bw_reports import check_json
from bw_runs import every_run

from harness import load_target
from harness.checks import (
    CODES,
    DOCS_URL_ENV,
    EXPLAINED,
    about,
    docs_url,
    explain,
    run_check,
    set_docs_url,
)
from harness.errors import BotWebhookValueError
from harness.reference import make_app

SECRET = "p" * 40
SITE = "https://docs.example.org/botwebhook/"


@pytest.fixture(autouse=True)
def no_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no address set, in the process or the environment."""
    monkeypatch.delenv(DOCS_URL_ENV, raising=False)
    set_docs_url(None)
    yield
    set_docs_url(None)


@pytest.fixture(scope="module")
def failing_runs() -> dict[bool, dict[str, Any]]:
    """Every command's failing run, without an address and with one (a run's failure
    texts are written as it runs, so the address is set before it)."""
    target = load_target(make_app(secret=SECRET))
    runs = {}
    for with_address in (False, True):
        set_docs_url(SITE if with_address else None)
        runs[with_address] = every_run(target, True, SECRET)
        del runs[with_address]["load"]  # it counts codes, it has no findings (below)
    set_docs_url(None)
    return runs


def test_every_code_is_explained_and_its_page_reads_as_the_site_does() -> None:
    assert set(EXPLAINED) == set(CODES)
    for code, known in CODES.items():
        page = explain(code)
        assert page.startswith(f"{code} {known.severity}: {known.title}\n")
        flat = " ".join(page.split())
        assert " ".join(EXPLAINED[code].why.split()) in flat
        assert " ".join(known.hint.split()) in flat
        if known.severity == "error":
            assert "only a warning" in page
        assert page.rsplit("\n\n", 1)[-1].startswith("The fix: ")  # no address: no URL
    assert explain("bw401") == explain("BW401")


def test_an_unknown_code_is_named_with_the_known_ones() -> None:
    with pytest.raises(BotWebhookValueError, match=r"unknown finding code 'BW999'.*BW100, BW101"):
        explain("BW999")


def test_without_an_address_a_finding_names_the_command_that_shows_its_page() -> None:
    assert docs_url("BW401") is None
    assert about("BW401") == "botwebhook explain BW401"


def test_the_address_comes_from_the_process_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DOCS_URL_ENV, "https://env.example/docs")
    assert docs_url("BW402") == "https://env.example/docs/codes/BW402.html"
    set_docs_url(SITE)
    assert docs_url("BW402") == f"{SITE}codes/BW402.html"
    set_docs_url(None)
    assert docs_url("BW402") == "https://env.example/docs/codes/BW402.html"


@pytest.mark.parametrize(
    ("base", "url"),
    [
        (".", "./codes/BW105.html"),  # a report published at the built site's root
        ("../docs", "../docs/codes/BW105.html"),
        ("file:///srv/site/", "file:///srv/site/codes/BW105.html"),
        ("http://localhost:8000", "http://localhost:8000/codes/BW105.html"),
    ],
)
def test_a_relative_or_local_address_serves_inside_a_built_site(base: str, url: str) -> None:
    set_docs_url(base)
    assert docs_url("BW105") == url


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "", "   ", "https://x.org/a b", "https://x.org/'><b>", "https:/"]
)
def test_an_address_that_is_not_one_is_refused_with_its_value(bad: str) -> None:
    with pytest.raises(BotWebhookValueError, match=r"for docs_url, got .*hint: .*https://"):
        set_docs_url(bad)
    assert docs_url("BW101") is None  # nothing was kept


@pytest.mark.parametrize("format", ["text", "json", "junit", "sarif", "html"])
def test_every_finding_of_every_command_names_its_page_in_every_format(
    failing_runs: dict[bool, dict[str, Any]], format: str
) -> None:
    for with_address in (False, True):
        set_docs_url(SITE if with_address else None)
        for name, result in failing_runs[with_address].items():
            shown = result.render(format)
            if format == "json":
                found = check_json(name, shown)["findings"]
                assert found, name
                for finding in found:
                    page = f"{SITE}codes/{finding['code']}.html" if with_address else None
                    assert finding["docs"] == page, (name, finding)
                continue
            codes = {f["code"] for f in json.loads(result.render("json"))["findings"]}
            assert codes, name
            for code in codes:
                wanted = (
                    f"{SITE}codes/{code}.html" if with_address else f"botwebhook explain {code}"
                )
                if format == "sarif":
                    rules = {
                        r["id"]: r for r in json.loads(shown)["runs"][0]["tool"]["driver"]["rules"]
                    }
                    assert rules[code].get("helpUri") == (wanted if with_address else None)
                    assert EXPLAINED[code].why.split()[0] in rules[code]["help"]["text"]
                elif format == "html":
                    link = f"<a href='{wanted}'>" if with_address else wanted
                    assert link in shown, (name, code)
                else:
                    assert f"more: {wanted}" in shown, (name, format, code)


def test_the_load_summary_names_each_codes_page() -> None:
    import importlib

    LoadResult = importlib.import_module("harness.load._report").LoadResult
    step = {"users": 5, "requests": 10, "rps": 2.0, "ok_rps": 1.0, "p50": 12.0, "p95": 30.0,
            "p99": 40.0, "fallback_share": 0.5, "within_budget": False}  # fmt: skip
    data = {"url": "http://127.0.0.1:1/", "secret": "none", "seed": 0, "interrupted": False,
            "requests": 10, "elapsed": 5.0, "rps": 2.0, "ok_rps": 1.0, "p50": 12.0,
            "p95": 30.0, "p99": 40.0, "max": 50.0, "by_code": {"BW105": 5}, "fallbacks": 5,
            "fallback_share": 0.5, "steps": [step]}  # fmt: skip
    set_docs_url(SITE)
    assert f"BW105 slower than the platform's read timeout: 5 (more: {SITE}codes/BW105.html)" in (
        LoadResult(data, 10.0, []).render("text")
    )


def test_a_pytest_failure_names_the_page() -> None:
    def crashing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]

    report = run_check(load_target(crashing), secret=SECRET, probes=False, intents=["colour"])
    with pytest.raises(AssertionError) as failed:
        report.assert_ok()
    assert "more: botwebhook explain BW401" in str(failed.value)
    set_docs_url(SITE)
    with pytest.raises(AssertionError) as failed:
        report.exchanges[0].assert_ok()
    assert f"more: {SITE}codes/BW401.html" in str(failed.value)


def test_botwebhook_explain_prints_a_page_and_lists_every_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "explain")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()] == list(CODES)
    code, out, _ = run(capsys, "explain", "BW402", "bw105")
    assert code == 0
    assert out.index("BW402 error:") < out.index("BW105 error:")
    assert "botwebhook explain" not in out
    assert "https://" not in out
    code, out, _ = run(capsys, "explain", "BW402", "--docs-url", SITE)
    assert out.rstrip().endswith(f"{SITE}codes/BW402.html")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["explain", "BW999"], "botwebhook explain: error: unknown finding code 'BW999'"),
        (["explain", "BW101", "--docs-url", "javascript:x"], "for --docs-url, got 'javascript:x'"),
    ],
)
def test_bad_input_to_explain_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert said in err
    assert len(err.strip().splitlines()) == 1


def test_the_command_line_takes_the_address_from_flag_env_then_pyproject(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "crash.py"
    app.write_text(
        "def app(environ, start_response):\n"
        "    start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])\n"
        "    return [b'boom']\n"
    )
    argv = ["check", "crash.py:app", "--secret", SECRET, "--intent", "colour", "--json"]

    def pages() -> set[Any]:
        code, out, err = run(capsys, *argv)
        assert code == 1, err
        return {f["docs"].rsplit("/codes/", 1)[0] if f["docs"] else None
                for f in json.loads(out)["findings"]}  # fmt: skip

    assert pages() == {None}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.botwebhook]\ndocs_url = "https://toml.example/"\n'
    )
    assert pages() == {"https://toml.example"}
    monkeypatch.setenv(DOCS_URL_ENV, "https://env.example")
    assert pages() == {"https://env.example"}
    argv += ["--docs-url", "https://flag.example/site/"]
    assert pages() == {"https://flag.example/site"}
    (tmp_path / "pyproject.toml").write_text('[tool.botwebhook]\ndocs_url = "javascript:x"\n')
    monkeypatch.delenv(DOCS_URL_ENV)
    code, _, err = run(capsys, *argv[:-2])
    assert code == 2
    assert "for [tool.botwebhook] docs_url, got 'javascript:x'" in err
