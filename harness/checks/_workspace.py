"""Our folder in the working directory, ``.botwebhook/``: the fuzzer's example
database and the reproducers it saves.  It ignores itself in git."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SAVE_DIR",
    "WORKSPACE",
    "example_database",
    "save_file",
    "workspace",
]

#: Our folder in the working directory; it holds a ``.gitignore`` that ignores it
#: all (as pytest's cache does), so nothing here is ever committed by accident.
WORKSPACE = Path(".botwebhook")
#: Where found failures are kept between runs (relative to the working folder).
DEFAULT_DATABASE = WORKSPACE / "examples"
#: Where the exact bodies of failing calls are saved by default.
DEFAULT_SAVE_DIR = WORKSPACE / "reproducers"


def workspace(path: Path) -> Path:
    """``path``, created; when it lies in :data:`WORKSPACE`, that folder gets its
    ``.gitignore`` first."""
    if path.parts[:1] == WORKSPACE.parts:
        WORKSPACE.mkdir(exist_ok=True)
        ignore = WORKSPACE / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by pytest-botwebhook: nothing here is for git.\n*\n")
    path.mkdir(parents=True, exist_ok=True)
    return path


def example_database(database: Any) -> Any:
    """``database`` as the fuzzers take it: a folder (created, as :func:`workspace`
    makes it) as a :class:`~pathlib.Path`; a Hypothesis ``ExampleDatabase`` (a shared
    Redis one, ``settings().database``) as it is; None for none."""
    if database is None:
        return None
    if callable(getattr(database, "save", None)) and callable(getattr(database, "fetch", None)):
        return database
    return workspace(Path(database))


def save_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` through a new file renamed into place, so an
    existing symlink there is replaced, never followed."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".botwebhook-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        path = folder / name
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
