"""Forwarding, recording and replaying real platform traffic.

- :class:`Forwarder` is the WSGI app behind ``botwebhook listen``: it forwards
  each call unchanged, returns the answer unchanged, judges the exchange
  (:func:`describe_exchange` is its live line) and records it;
- cassettes are JSON Lines of exact exchanges: :class:`CassetteEntry`,
  :class:`CassetteWriter`, :func:`read_cassette` (with a :class:`CassetteError`
  per unreadable line), :data:`FORMAT`; ``WebhookMock`` and
  ``LiveWebhookServer`` take ``record=`` too;
- :class:`Redactor` replaces personal data consistently within a conversation;
- :func:`replay_entry` sends a recorded call again and compares the answers
  (:class:`ReplayCase`, :func:`recorded_outcome`), reported by
  :func:`render_text`, :func:`render_json` and :func:`render_junit`.
"""

from __future__ import annotations

from harness._cassette import (
    FORMAT,
    CassetteEntry,
    CassetteError,
    CassetteWriter,
    read_cassette,
)
from harness._listen import Forwarder, describe_exchange
from harness._redact import Redactor
from harness._replay import (
    ReplayCase,
    recorded_outcome,
    render_json,
    render_junit,
    render_text,
    replay_entry,
)

__all__ = [
    "FORMAT",
    "CassetteEntry",
    "CassetteError",
    "CassetteWriter",
    "Forwarder",
    "Redactor",
    "ReplayCase",
    "describe_exchange",
    "read_cassette",
    "recorded_outcome",
    "render_json",
    "render_junit",
    "render_text",
    "replay_entry",
]
