"""Hypothesis strategies for webhook payloads, responses, bad bodies and signatures.

Import this module to use them (it is the only part of ``harness`` that needs
Hypothesis); importing it also registers strategies for the model types, so
``st.from_type(WebhookRequest)`` and friends work.

Payloads are built from one Hypothesis choice, a byte string with a byte for
each decision (kind, language, kind of text, the features and shape, intent,
and four for a seed of the realistic values).  Hypothesis shrinks such a string
byte by byte, so a failing payload shrinks toward the simplest one that still
fails: shape A, the first intent, plain text, no features, seed 0 — except for
the one choice that matters, such as the emoji or the unfilled optional
variable.  (One choice, because each costs Hypothesis as much as building the
payload.)  Malformed bodies and wrong signatures are one choice each too: a
byte for the form, then the bytes of its contents, so they shrink to the
simplest form (``b""``, then ``null``, ``[]``) and its smallest contents.
"""

from __future__ import annotations

from harness.checks._strategies import (
    chat_results,
    malformed_bodies,
    mutated,
    payloads,
    responses,
    signatures,
    variables,
)
from harness.conversations._strategies import conversations

__all__ = [
    "chat_results",
    "conversations",
    "malformed_bodies",
    "mutated",
    "payloads",
    "responses",
    "signatures",
    "variables",
]
