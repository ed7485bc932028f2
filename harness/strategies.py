"""Hypothesis strategies for webhook payloads, responses, bad bodies and signatures.

Import this module to use them (it is the only part of ``harness`` that needs
Hypothesis); importing it also registers strategies for the model types, so
``st.from_type(WebhookRequest)`` and friends work.

Payloads are built from a few Hypothesis choices (shape, intent, language,
kind of text, each feature, a seed for the realistic values), so a failing
payload shrinks toward the simplest one that still fails: shape A, the
first intent, plain text, no features, seed 0 — except for the one choice
that matters, such as the emoji or the unfilled optional variable.
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
