"""One generated conversation per Hypothesis example: the chats of a plain
``@given`` test, beside :class:`harness.checks.CallProperty`'s single calls
(``pytest_botwebhook.fuzz_suite(conversations=N)``).  The same context, resolved
on the first example, so the same intents are left out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.checks._fuzz_property import CallProperty, PropertyFailed
from harness.checks._hunt import failure_key, failure_type
from harness.conversations._converse import run_conversation
from harness.conversations._files import to_yaml

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["ChatProperty"]


class ChatProperty:
    """Whole generated chats through the target of ``calls`` (a :class:`CallProperty`,
    whose context they share); a failure shows the transcript up to the failing
    turn and the chat as a ``.conversation.yaml`` document."""

    def __init__(self, calls: CallProperty) -> None:
        self.calls = calls

    def cases(self) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.deferred(lambda: self._cases())

    def _cases(self) -> SearchStrategy[Any]:
        from harness.conversations._strategies import conversations

        return conversations(self.calls.context().model)

    def check(self, spec: Any) -> None:
        __tracebackhide__ = True
        context = self.calls.context()
        if context.errors:
            raise PropertyFailed("\n".join(context.errors))
        result = run_conversation(spec, context.target, secret=context.secret,
                                  timeout=context.timeout)  # fmt: skip
        for turn in result.chat.turns:
            failing = next((e for e in turn.exchanges if not e.ok), None)
            if failing is None:
                continue
            document = to_yaml(spec, name=f"found by fuzzing: fails at turn {turn.number}")
            kind = failure_type(failure_key(failing), PropertyFailed)
            raise kind(
                f"{failing.failure_report()}\n\nthe chat until then:\n"
                f"{result.chat.transcript(turn.number)}\n\nas a conversation file:\n{document}"
            )
