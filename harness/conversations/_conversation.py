"""A conversation with a webhook handler, run the way the platform runs a chat.

:class:`Conversation` drives a :class:`~harness.conversations._dialogue.Dialogue` turn by turn:
each sentence is planned by the platform's rules, every webhook call it fires
is delivered and contract-checked like :func:`~harness.deliver`, and the
handler's answers (context updates) carry into the following turns::

    chat = Conversation(app, model=model, secret=SECRET)
    chat.say("book a table").expect(prompt="guests", webhook=False)
    chat.say("4").expect(prompt="cuisine")
    chat.say("japanese").expect(webhook=True, bot_matches="Booked a table for 4")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness._errors import BotWebhookValueError, renamed_keyword, require_type
from harness._patterns import compile_pattern
from harness.conversations._dialogue import Channel, Dialogue, Plan
from harness.conversations._files import EXPECT_KEYS
from harness.conversations._transcript import failure_text, transcript
from harness.delivery._deadline import require_timeout
from harness.delivery._exchange import Exchange, deliver
from harness.delivery._findings import Finding
from harness.delivery._loader import load_target
from harness.delivery._transport import Target
from harness.mocks._callback import CallbackMock
from harness.model._botmodel import BotModel
from harness.model._payload import Payload
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.platform._outcome import Outcome
from harness.protocol._signing import Secret, SecretLike

__all__ = ["EXPECTATIONS", "Conversation", "ConversationFailed", "Turn"]

#: The expectations a turn can check, in the order they are checked (a conversation
#: file's ``expect`` keys: ``harness.conversations._files.EXPECT_KEYS`` says what each is).
EXPECTATIONS = tuple(EXPECT_KEYS)
#: Seconds a ``later`` expectation waits for the handler's callback, by default.
LATER_TIMEOUT = 5.0
_POLL = 0.02


class ConversationFailed(AssertionError):
    """A turn did not do what was expected, or a webhook call broke the contract.
    The message holds the transcript, what failed and a curl reproducer."""


@dataclass
class Turn:
    """One turn of a conversation: what the user typed, what the platform did,
    the webhook calls it made (``exchanges``, each contract-checked) and what the
    chat user sees."""

    number: int
    user: str
    plan: Plan
    exchanges: list[Exchange] = field(default_factory=list)
    bot: str | None = None
    chat_api_error: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    later: list[str] = field(default_factory=list)
    conversation: Conversation | None = field(default=None, repr=False)
    callbacks_before: int = 0
    refused_before: int = 0

    @property
    def prompt(self) -> str | None:
        """The label of the variable the platform prompted for this turn, or None."""
        return self.plan.prompt.label if self.plan.prompt else None

    @property
    def webhook(self) -> bool:
        """Whether the webhook was called this turn."""
        return bool(self.exchanges)

    @property
    def outcome(self) -> Outcome | None:
        """The platform's outcome of this turn's last webhook call (the one that wins)."""
        return self.exchanges[-1].outcome if self.exchanges else None

    @property
    def findings(self) -> list[Finding]:
        return [f for exchange in self.exchanges for f in exchange.findings]

    @property
    def errors(self) -> list[Finding]:
        """The findings that fail this turn: errors (and warnings in a strict conversation)."""
        strict = self.conversation is not None and self.conversation.strict
        return [f for f in self.findings if strict or f.severity == "error"]

    def shown(self) -> str:
        """What the chat user sees, as the transcript writes it."""
        if self.chat_api_error:
            return f"(the chat API answers {self.chat_api_error})"
        if self.plan.gave_up:
            return f"(no answer: the prompts for {self.plan.gave_up!r} ran out)"
        return repr(self.bot if self.bot is not None else "")

    def problem(self, name: str, expected: Any) -> str | None:
        """Why the expectation ``name: expected`` does not hold, or None."""
        if name not in EXPECTATIONS:
            raise BotWebhookValueError(
                f"unknown expectation {name!r} (hint: one of {', '.join(EXPECTATIONS)})"
            )
        if name == "later":
            return self._later(expected)
        actual: Any = {
            "prompt": self.prompt,
            "webhook": self.webhook,
            "bot": self.bot,
            "bot_matches": self.bot,
            "context": self.context,
            "context_has": self.context,
            "context_lacks": self.context,
        }[name]
        if name in ("prompt", "webhook", "bot"):
            if expected != actual:
                return _versus(name, expected, actual if name != "bot" else self.shown())
            return None
        if name == "bot_matches":
            if actual is None or not compile_pattern(expected, name).search(actual):
                return _versus(name, f"text matching /{expected}/", self.shown())
            return None
        if name == "context":
            wrong = {k: v for k, v in expected.items() if actual.get(k) != v}
            if wrong:
                got = {k: actual.get(k, "(absent)") for k in wrong}
                return _versus(name, wrong, got)
            return None
        names = [expected] if isinstance(expected, str) else list(expected)
        if name == "context_has":
            missing = [n for n in names if n not in actual]
            return _versus(name, f"{missing} present", _keys(actual)) if missing else None
        present = [n for n in names if n in actual]
        return _versus(name, f"{present} absent", _keys(actual)) if present else None

    def _later(self, pattern: str) -> str | None:
        chat = self.conversation
        if chat is None or chat.callbacks is None:
            return "later: the conversation catches no callbacks (hint: leave callbacks=True)"
        deadline = time.monotonic() + chat.later_timeout
        while True:
            self.later = chat.callback_texts(self.callbacks_before)
            if any(compile_pattern(pattern, "later").search(text) for text in self.later):
                return None
            refused = chat.refused_callbacks(self.refused_before)
            if refused or time.monotonic() >= deadline:
                break  # a refused callback will not be sent again: no point in waiting
            time.sleep(_POLL)
        why = f"; the callback API refused: {'; '.join(refused)}" if refused else ""
        return _versus(
            "later",
            f"a callback message matching /{pattern}/ within {chat.later_timeout:g} s",
            (f"{self.later!r}" if self.later else "no accepted callback") + why,
        )

    def expect(self, **expected: Any) -> Turn:
        """Check this turn: each keyword is an expectation (``prompt``, ``webhook``,
        ``bot``, ``bot_matches``, ``context``, ``context_has``, ``context_lacks``,
        ``later``); an error finding of this turn's webhook calls fails too.  Raises
        :class:`ConversationFailed` with the transcript; returns the turn."""
        __tracebackhide__ = True
        for name in expected:
            if name not in EXPECTATIONS:
                raise BotWebhookValueError(
                    f"unknown expectation {name!r} (hint: one of {', '.join(EXPECTATIONS)})"
                )
        failures = [p for name in EXPECTATIONS if name in expected and name != "later"
                    for p in [self.problem(name, expected[name])] if p]  # fmt: skip
        if "later" in expected and not failures and not self.errors:
            waited = self.problem("later", expected["later"])  # waits: only when all else held
            failures += [waited] if waited else []
        if failures or self.errors:
            assert self.conversation is not None
            raise ConversationFailed(self.conversation.failure_text(self, failures))
        return self


def _versus(name: str, expected: Any, actual: Any) -> str:
    return f"{name}:\n    expected: {expected}\n    actual:   {actual}"


def _keys(context: Mapping[str, str]) -> str:
    shown = repr(dict(sorted(context.items())))
    return "the context " + (shown if len(shown) <= 300 else shown[:299] + "…")


class Conversation:
    """One chat with the webhook ``target``, as the platform runs it.

    ``model`` is the bot (default: the built-in catalogue); ``channel`` ``api``
    or ``facebook`` (no ``clientVariables``; the only channel the callback API
    serves); ``clock`` gives timestamps; ``seed`` fixes ids, tokens and which
    response the platform picks.  ``callbacks`` (on by default) routes the
    callback API (``callback_base``) to a :class:`CallbackMock` for the whole
    conversation, so no test posts to the real platform and
    ``expect(later=...)`` can wait up to ``later_timeout`` seconds for the
    handler's message (in-process handlers posting with ``requests``; every other
    request goes out as it would without the conversation).  ``callback_port``
    also serves the callback API over real HTTP on 127.0.0.1 (0: a free port,
    ``callback_server.url``), for a handler in another process to post to.
    ``signed`` as for :func:`~harness.deliver`; ``strict`` makes warnings fail turns.
    """

    @renamed_keyword("sign", "signed", removed_in="0.3")
    def __init__(
        self,
        target: Any,
        *,
        model: BotModel | None = None,
        secret: SecretLike | None = None,
        language: str | None = None,
        channel: Channel = "api",
        client_variables: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        seed: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        passthrough: bool = False,
        callbacks: bool = True,
        callback_base: str | None = None,
        callback_port: int | None = None,
        later_timeout: float = LATER_TIMEOUT,
        signed: bool | None = None,
        strict: bool = False,
        name: str = "",
    ) -> None:
        self.secret = Secret.of(secret)
        del secret
        if model is None:
            from harness.model._catalogue import builtin_model

            model = builtin_model()
        require_type("model", model, BotModel, "harness.load_model(path) or a BotModel")
        self.timeout = require_timeout(timeout)
        self.later_timeout = require_timeout(later_timeout, "later_timeout")
        self.dialogue = Dialogue(
            model, language=language, channel=channel, client_variables=client_variables,
            clock=clock, seed=seed, passthrough=passthrough,
        )  # fmt: skip
        self.name = name
        self.signed = signed
        self.strict = strict
        self.accepted: Callable[[list[Finding]], list[Finding]] | None = None
        self.baselined = 0  # findings the baseline left out
        self.turns: list[Turn] = []
        self._owned = not isinstance(target, Target)
        self.target = load_target(target, connect_timeout=self.timeout)
        self.callbacks: CallbackMock | None = None
        self.callback_server: Any = None
        if callbacks:
            options = {"base_url": callback_base} if callback_base else {}
            self.callbacks = CallbackMock(clock=clock, **options)  # type: ignore[arg-type]
            self.callbacks.network.pass_all_but(self.callbacks.base_url)
            self.callbacks.network.start()
            if callback_port is not None:
                self.callback_server = self.callbacks.serve(callback_port)

    @property
    def model(self) -> BotModel:
        return self.dialogue.model

    @property
    def context(self) -> dict[str, str]:
        """The chat context now."""
        return dict(self.dialogue.context)

    @property
    def chat_session(self) -> str:
        return self.dialogue.chat_session

    def say(
        self,
        text: str,
        *,
        intent: str | Sequence[str] | None = None,
        entities: Mapping[str, str] | None = None,
    ) -> Turn:
        """The chat user types ``text``.  ``intent`` names the intent the platform
        matched (a list for chained intents); omitted, the model's examples must
        match exactly one intent.  ``entities`` are the values the platform took
        from the sentence, by label.  Returns the :class:`Turn` (``.expect(...)``)."""
        require_type("text", text, str, "the user's sentence")
        names = (intent,) if isinstance(intent, str) else tuple(intent or ())
        dialogue = self.dialogue
        plan = dialogue.plan(text, names, entities)
        turn = Turn(len(self.turns) + 1, text, plan, conversation=self)
        turn.callbacks_before = self.callbacks_accepted()
        turn.refused_before = self.callbacks.refused_total if self.callbacks else 0
        if dialogue.passthrough:
            exchange = self._deliver(dialogue.passthrough_body(text), turn)
            turn.bot = exchange.outcome.user_text
            turn.chat_api_error = exchange.outcome.chat_api_error
        elif plan.prompt is not None and not plan.fulfilled:
            turn.bot = plan.prompt.text
        for i, intent_name in enumerate(plan.fulfilled):
            body = dialogue.webhook_body(intent_name, text, plan.fulfilled[:i])
            exchange = self._deliver(body, turn)
            dialogue.answered(exchange.outcome)
            turn.bot = exchange.outcome.user_text  # the last answer wins
        if plan.prompt is not None and plan.fulfilled:
            turn.bot = plan.prompt.text  # a chain that ends on a prompt shows the prompt
        turn.context = dict(dialogue.context)
        self.turns.append(turn)
        return turn

    def _deliver(self, body: Payload, turn: Turn) -> Exchange:
        callbacks = None if self.dialogue.passthrough else self.callbacks
        if callbacks is not None:
            callbacks.webhook_started(self.chat_session)
        try:
            exchange = deliver(
                self.target,
                body,
                secret=self.secret,
                signed=self.signed,
                timeout=self.timeout,
                scenario=f"{self.name or 'conversation'} turn {turn.number}",
            )
            if callbacks is not None:
                callbacks.record_webhook(exchange)
        finally:
            if callbacks is not None:
                callbacks.webhook_ended(self.chat_session)
        if self.accepted is not None:  # a baseline's accepted findings fail no turn
            kept = self.accepted(exchange.findings)
            self.baselined += len(exchange.findings) - len(kept)
            exchange.findings = kept
        turn.exchanges.append(exchange)
        return exchange

    # -- callbacks ----------------------------------------------------------------

    def callback_texts(self, after: int = 0) -> list[str]:
        """The texts of messages the handler sent through the callback API so far
        (after the first ``after`` of them), as far as the mock keeps them."""
        if self.callbacks is None:
            return []
        session = self.callbacks.sessions.get(self.chat_session)
        if session is None:
            return []
        return [_message_text(message) for message in session.accepted_after(after)]

    def callbacks_accepted(self) -> int:
        """How many callbacks of this chat the callback API accepted so far."""
        session = self.callbacks.sessions.get(self.chat_session) if self.callbacks else None
        return session.accepted if session is not None else 0

    def refused_callbacks(self, after: int = 0) -> list[str]:
        """The callback API's refusals for this chat (status and message), among those
        after the first ``after`` refusals of all chats."""
        if self.callbacks is None:
            return []
        refused = self.callbacks.refused_after(self.chat_session, after)
        return [f"{status} {info}" for status, info in refused]

    # -- reports ------------------------------------------------------------------

    def transcript(self, upto: int | None = None) -> str:
        """One line per turn for the user and one for the bot; turns that called the
        webhook are marked ``*``, with their findings under them."""
        return transcript(self.turns[:upto])

    def failure_text(self, turn: Turn, failures: Sequence[str]) -> str:
        """The failure message for ``turn``: transcript, what failed, a reproducer."""
        return failure_text(self.name, self.turns[: turn.number], turn, failures)

    def assert_ok(self) -> None:
        """Fail unless every webhook call so far kept the contract (no error finding)."""
        __tracebackhide__ = True
        for turn in self.turns:
            if turn.errors:
                raise ConversationFailed(self.failure_text(turn, []))

    def close(self) -> None:
        """Stop catching callbacks and close a target this conversation loaded."""
        if self.callback_server is not None:
            self.callback_server.stop()
        if self.callbacks is not None:
            self.callbacks.network.stop()
        if self._owned:
            self.target.close()

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _message_text(message: Mapping[str, Any]) -> str:
    text = message.get("text")
    if isinstance(text, str) and text:
        return text
    nodes = message.get("facebook_multi") or [message.get("facebook") or {}]
    return " ".join(str(n.get("text")) for n in nodes if isinstance(n, dict) and n.get("text"))
