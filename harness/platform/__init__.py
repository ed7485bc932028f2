"""What the platform does around a webhook call (``docs/protocol.md``, sections 2 and 4):
the headers it sends, its timeouts and redirects, how it reads the answer, and
what the chat user then sees (:class:`Outcome`).
"""

from __future__ import annotations

from harness.platform._answer import (
    FACEBOOK_TEXT_LIMIT,
    FAILED_DESERIALIZE,
    RESPONSE_ENUMS,
    RESPONSE_SPEC,
    Answer,
    AnswerFinding,
    read_answer,
)
from harness.platform._budget import DEADLINE_FACTOR, DEFAULT_TIMEOUT, MAX_ANSWER
from harness.platform._headers import (
    JAVA_ACCEPT,
    JAVA_USER_AGENT,
    JERSEY_USER_AGENT,
    platform_headers,
    redirect_headers,
)
from harness.platform._outcome import Outcome, apply_context_update, outcome, substitute

__all__ = [
    "DEADLINE_FACTOR",
    "DEFAULT_TIMEOUT",
    "FACEBOOK_TEXT_LIMIT",
    "FAILED_DESERIALIZE",
    "JAVA_ACCEPT",
    "JAVA_USER_AGENT",
    "JERSEY_USER_AGENT",
    "MAX_ANSWER",
    "RESPONSE_ENUMS",
    "RESPONSE_SPEC",
    "Answer",
    "AnswerFinding",
    "Outcome",
    "apply_context_update",
    "outcome",
    "platform_headers",
    "read_answer",
    "redirect_headers",
    "substitute",
]
