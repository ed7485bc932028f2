"""Test what we ship: the wheel's contents, and fixtures loaded from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from harness.protocol import fixture_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("pytest_botwebhook-*.whl")
    return built


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "harness/__init__.py",
        "harness/py.typed",
        "harness/cli/__init__.py",
        "harness/cli/__main__.py",
        "pytest_botwebhook/__init__.py",
        "pytest_botwebhook/plugin.py",
        "pytest_botwebhook/py.typed",
        "harness/fixtures/index.json",
        "harness/fixtures/schemas/request.schema.json",
        "harness/fixtures/schemas/response.schema.json",
        "harness/fixtures/requests/book_table_shape_b.json",
    ):
        assert required in names, required
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)
    root = Path(__file__).resolve().parents[2]
    sources = {p.relative_to(root).as_posix() for p in (root / "harness").rglob("*.py")}
    assert sources - names == set()  # every folder of the package ships
    metadata = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "botwebhook = pytest_botwebhook.plugin" in entry_points
    assert "botwebhook = harness.cli:entry" in entry_points


def test_installed_wheel_loads_every_fixture(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import harness, pathlib\n"
        "from harness import protocol as P\n"
        "root = pathlib.Path(harness.__file__).parent\n"
        "assert 'site-packages' in str(root), root\n"
        "for n in P.fixture_names('request'):\n"
        "    assert P.load_request(n).to_bytes() == P.load_fixture(n), n\n"
        "for n in P.fixture_names('response'):\n"
        "    assert P.load_response(n).to_bytes() == P.load_fixture(n), n\n"
        "P.load_schema('request'); P.load_schema('response')\n"
        "print(len(P.fixture_names()))\n"
    )
    # Run from a folder with no checkout nearby, so only the wheel's data can be found.
    result = subprocess.run(
        [str(python), "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(fixture_names()))
