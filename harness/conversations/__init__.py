"""Conversations: multi-turn chats run the way the platform runs them.

- :class:`Conversation` drives a handler turn by turn (``chat.say("4")``), and
  :class:`Turn` is one turn, with ``expect(...)``;
- :class:`Dialogue` is the platform's side alone (prompting, filling, the exact
  bodies), with no handler;
- :func:`load_conversations` reads ``test_*.conversation.yaml`` files and
  :func:`run_conversation` runs one of their conversations;
- :class:`Matcher` finds the intent of a sentence from the model's examples,
  and :func:`fill` the value a prompted variable takes from an answer;
- :func:`fuzz_conversations` runs generated conversations
  (``harness.strategies.conversations``) and shrinks each failure to the
  shortest conversation, printed with :func:`to_yaml` as a file document;
  :class:`ChatProperty` is one generated chat per example of a plain ``@given``
  test (``pytest_botwebhook.fuzz_suite(conversations=N)``).
"""

from __future__ import annotations

from harness._errors import ConversationError, ConversationFileError
from harness.conversations._chat_property import ChatProperty
from harness.conversations._conversation import EXPECTATIONS, Conversation, ConversationFailed, Turn
from harness.conversations._converse import (
    ConversationResult,
    ConversationRun,
    render_json,
    render_junit,
    render_text,
    run_conversation,
)
from harness.conversations._dialogue import Dialogue, Plan, Prompt
from harness.conversations._files import (
    FILE_PATTERN,
    ConversationSpec,
    TurnSpec,
    load_conversations,
    to_yaml,
)
from harness.conversations._fuzz import fuzz_conversations
from harness.conversations._understand import Match, Matcher, fill

__all__ = [
    "EXPECTATIONS",
    "FILE_PATTERN",
    "ChatProperty",
    "Conversation",
    "ConversationError",
    "ConversationFailed",
    "ConversationFileError",
    "ConversationResult",
    "ConversationRun",
    "ConversationSpec",
    "Dialogue",
    "Match",
    "Matcher",
    "Plan",
    "Prompt",
    "Turn",
    "TurnSpec",
    "fill",
    "fuzz_conversations",
    "load_conversations",
    "render_json",
    "render_junit",
    "render_text",
    "run_conversation",
    "to_yaml",
]
