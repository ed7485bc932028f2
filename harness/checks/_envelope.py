"""One JSON shape for every command's ``--json``: a versioned envelope.

Every command writes the same top level, documented by a JSON Schema per command
under ``docs/schema/`` (a test validates each command's real output against it):

- ``format``: this envelope's version, an integer (:data:`FORMAT`); it changes
  only when a key changes meaning or goes away;
- ``tool`` (``"botwebhook"``), ``version`` (the package's), ``command``;
- ``target``, ``path`` (where an in-process app was called, or null), ``model``,
  ``seed`` (null when random) and ``secret`` (redacted, or ``"none"``);
- ``summary``: the counts of the run, with ``ok``;
- ``results``: the command's items (scenarios, failures, conversations, calls,
  steps), each structured;
- ``findings``: every finding, structured (code, severity, title, evidence, hint,
  scenario, reproducer, the handler's output);
- ``notes``: what the reader should know (the model not used, what was not run);
- ``coverage``: which cells of the bot model the run exercised (null where the
  command counts none);
- ``code_coverage``: which lines and branches of the handler's code the run's
  payloads reached, by intent (``--code-coverage``; null when not measured).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness._version import __version__

__all__ = ["FORMAT", "envelope"]

#: The envelope's version.
FORMAT = 1


def envelope(
    command: str,
    *,
    target: str,
    model: str,
    seed: int | None,
    secret: str,
    summary: Mapping[str, Any],
    results: Sequence[Any],
    findings: Sequence[Mapping[str, Any]] = (),
    notes: Sequence[str] = (),
    path: str | None = None,
    coverage: Mapping[str, Any] | None = None,
    code_coverage: Any = None,
) -> str:
    """The JSON text of one command's run, in the envelope every command shares."""
    data = {
        "format": FORMAT,
        "tool": "botwebhook",
        "version": __version__,
        "command": command,
        "target": target,
        "path": path or None,
        "model": model,
        "seed": seed,
        "secret": secret,
        "summary": dict(summary),
        "results": list(results),
        "findings": list(findings),
        "notes": list(notes),
        "coverage": dict(coverage) if coverage is not None else None,
        "code_coverage": code_coverage.as_dict() if code_coverage is not None else None,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
