"""The manual's examples run (the README and ``docs/manual/``, in order): library
blocks in one namespace, plugin blocks (``python conftest`` / ``python test``) in a
pytester project."""

from __future__ import annotations

import re

import pytest
from bw_manual import manual_text, page

from harness.checks import build_matrix


def blocks(kind: str) -> list[str]:
    pattern = r"```python" + (rf" {kind}" if kind else "") + r"\n(.*?)```"
    return re.findall(pattern, manual_text(), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(blocks("")) >= 5
    assert len(blocks("conftest")) == 1
    assert len(blocks("test")) >= 3


def test_readme_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for index, block in enumerate(blocks("")):
        exec(compile(block, f"the manual's python block {index}", "exec"), namespace)
    assert "…(40 chars)" in capsys.readouterr().out


def test_readme_plugin_examples_run(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("myapp")
    pytester.path.joinpath("myapp", "__init__.py").write_text(
        "from harness.reference import make_app\n"
        "def create_app(testing=False, secret='the-secret-my-app-verifies-with'):\n"
        "    return make_app(secret=secret)\n"
    )
    pytester.path.joinpath("myapp", "wsgi.py").write_text(
        "from myapp import create_app\n"
        "app = create_app()\n"
        "staging_app = create_app(secret='staging-secret')\n"
    )
    pytester.makeconftest(blocks("conftest")[0])
    for index, block in enumerate(blocks("test")):
        pytester.makepyfile(**{f"test_readme_{index}": block})
    pytester.syspathinsert()
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= len(build_matrix())  # the contract suite and more
    assert "failed" not in outcomes
    assert "errors" not in outcomes


def test_the_ci_pipelines_parse_and_publish_junit_and_sarif() -> None:
    """The CI section's GitHub Actions workflow and GitLab job are valid YAML, and
    every pipeline runs a check that writes JUnit and SARIF with options that exist."""
    import shlex

    import yaml

    from harness.cli import build_parser

    section = page("ci").read_text("utf-8")
    blocks = re.findall(r"```(yaml|groovy)\n(.*?)```", section, re.S)
    assert [kind for kind, _ in blocks] == ["yaml", "yaml", "groovy"]
    for kind, block in blocks:
        if kind == "yaml":
            assert isinstance(yaml.safe_load(block), dict)
        commands = re.findall(r"botwebhook (check[^\n'\"]*(?:\n +--[^\n'\"]*)*)", block)
        assert commands, block
        for command in commands:
            args = build_parser().parse_args(shlex.split(command))  # options that exist
            assert (args.junit_xml, args.sarif) == ("botwebhook.xml", "botwebhook.sarif")
    workflow = yaml.safe_load(blocks[0][1])
    uses = [step.get("uses", "") for step in workflow["jobs"]["botwebhook"]["steps"]]
    assert "github/codeql-action/upload-sarif@v3" in uses
    assert workflow["permissions"]["security-events"] == "write"
    gitlab = yaml.safe_load(blocks[1][1])
    assert gitlab["botwebhook"]["artifacts"]["reports"]["junit"] == "botwebhook.xml"
