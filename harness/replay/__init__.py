"""Forwarding, recording and replaying real platform traffic.

- :class:`Forwarder` is the WSGI app behind ``botwebhook listen``: it forwards
  each call unchanged, returns the answer unchanged, judges the exchange
  (:func:`describe_exchange` is its live line) and records it;
- cassettes are JSON Lines of exact exchanges: :class:`CassetteEntry`,
  :class:`CassetteWriter`, :func:`read_cassette` (with a :class:`CassetteError`
  per unreadable line), :data:`FORMAT`; ``WebhookMock`` and
  ``LiveWebhookServer`` take ``record=`` too;
- :class:`Redactor` replaces personal data consistently within a conversation;
- :func:`replay_entry` sends a recorded call again, twice, and compares the
  answers (:class:`ReplayCase` with its :class:`Difference` list, each a
  regression or noise; :func:`recorded_outcome`), reported by
  :func:`render_text`, :func:`render_json` and :func:`render_junit`;
  :class:`Rules` say what to ignore, from ``--ignore`` and the cassette's
  sidecar (:func:`read_sidecar`, :func:`write_sidecar`, :func:`sidecar_path`).
"""

from __future__ import annotations

from harness.replay._case import (
    ReplayCase,
    ReplayRun,
    recorded_outcome,
    render_json,
    render_junit,
    render_text,
    replay_entry,
)
from harness.replay._cassette import (
    FORMAT,
    CassetteEntry,
    CassetteError,
    CassetteWriter,
    read_cassette,
)
from harness.replay._diff import (
    Difference,
    ReplayRuleError,
    Rules,
    read_sidecar,
    sidecar_path,
    write_sidecar,
)
from harness.replay._listen import Forwarder, describe_exchange
from harness.replay._redact import Redactor

__all__ = [
    "FORMAT",
    "CassetteEntry",
    "CassetteError",
    "CassetteWriter",
    "Difference",
    "Forwarder",
    "Redactor",
    "ReplayCase",
    "ReplayRuleError",
    "ReplayRun",
    "Rules",
    "describe_exchange",
    "read_cassette",
    "read_sidecar",
    "recorded_outcome",
    "render_json",
    "render_junit",
    "render_text",
    "replay_entry",
    "sidecar_path",
    "write_sidecar",
]
