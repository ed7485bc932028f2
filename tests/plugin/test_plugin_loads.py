"""The pytest entry point loads, is cheap, and can be disabled."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_plugin_is_registered_under_its_entry_point_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_registered(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("botwebhook")
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_not_registered(pytestconfig):
            assert not pytestconfig.pluginmanager.has_plugin("botwebhook")
        """
    )
    pytester.runpytest_subprocess("-p", "no:botwebhook").assert_outcomes(passed=1)


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys; import pytest_botwebhook.plugin\n"
        "heavy = [m for m in ('harness', 'werkzeug', 'requests', 'faker', 'hypothesis',"
        " 'responses') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
