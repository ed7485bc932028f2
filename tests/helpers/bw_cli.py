"""Running ``botwebhook`` in the test's process, as a user types it."""

from __future__ import annotations

import pytest

from harness.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The exit status, standard output and standard error of ``botwebhook *argv``
    (a usage error's ``SystemExit`` included)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
