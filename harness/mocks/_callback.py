"""A mock of the platform's callback API (docs/protocol.md, section 6).

A handler that answers later posts its response, with the ``webhook_token`` it
received, to ``POST {base}/v1/ai/chat/webhook/callback/{chatSession}``.  The
token is stored only after an intent webhook answered with a valid 200, lives
one hour on an injectable clock, and is used once::

    with CallbackMock(clock=fake_clock) as platform:
        exchange = platform.deliver(my_handler, intent="order_pizza")   # the webhook call
        ...                                      # the handler later calls back, with requests
        platform.assert_called_back(exchange.session)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.delivery._capture import current
from harness.delivery._exchange import Exchange, deliver
from harness.delivery._loader import load_target
from harness.mocks._mock import MockNetwork, OnNetwork
from harness.model._payload import Payload
from harness.platform._answer import read_answer
from harness.platform._outcome import apply_context_update
from harness.protocol._signing import Secret, SecretLike

__all__ = [
    "CALLBACK_MAX_BODY",
    "DEFAULT_CALLBACK_BASE",
    "KEPT_BODY",
    "KEPT_CALLBACKS",
    "KEPT_SESSIONS",
    "TOKEN_LIFETIME",
    "CallbackMock",
    "ChatSession",
]

DEFAULT_CALLBACK_BASE = "https://api.hutoma.ai"
#: Seconds a stored webhook token stays usable.
TOKEN_LIFETIME = 3600.0
#: Seconds a callback waits for the webhook call of its chat in flight to be recorded.
IN_FLIGHT_WAIT = 20.0  # the longest a call can take: twice the 10 s timeout
#: The mock keeps a bounded record, so that a long run's memory stays flat: the most
#: recent accepted callbacks (across sessions) and refusals, the most recent chat
#: sessions, and of each kept callback at most this many characters of text.
KEPT_CALLBACKS = 1000
KEPT_SESSIONS = 10_000
KEPT_BODY = 16 * 1024
#: The largest callback body the served API reads (the platform sets no limit; a
#: handler's answer is chat text, far smaller).  Larger ones get 413.
CALLBACK_MAX_BODY = 8 * 1024 * 1024


@dataclass
class ChatSession:
    """What the platform keeps of one conversation for the callback API."""

    chat_session: str
    facebook: bool
    context: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    expires: float = 0.0
    #: The accepted callbacks the mock still keeps, oldest first (see KEPT_CALLBACKS).
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    #: Callbacks accepted in all, kept or not.
    accepted: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Answers accepted through the callback, in order (what the user got), as far
        as the mock keeps them: the most recent, each text cut at ``KEPT_BODY``
        characters (with a note saying how much was cut)."""
        return self.callbacks

    def accepted_after(self, count: int) -> list[dict[str, Any]]:
        """The kept callbacks accepted after the first ``count``."""
        newer = self.accepted - count
        return self.callbacks[-newer:] if newer > 0 else []


def _kept(data: dict[str, Any]) -> dict[str, Any]:
    """What the mock keeps of an accepted callback: all of it, its texts cut to
    ``KEPT_BODY`` characters each (the cut said in the text)."""

    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > KEPT_BODY:
            return value[:KEPT_BODY] + f"… [{len(value) - KEPT_BODY} more characters not kept]"
        if isinstance(value, dict):
            return {key: cut(item) for key, item in value.items()}
        if isinstance(value, list):
            return [cut(item) for item in value]
        return value

    return cut(data)  # type: ignore[no-any-return]


def _status(code: int, info: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"status": {"code": code, "info": info}}).encode()
    return code, {"Content-Type": "application/json"}, body


class CallbackMock(OnNetwork):
    """The platform's side of webhooks and callbacks, on a private ``responses`` mock."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_CALLBACK_BASE,
        clock: Callable[[], float] | None = None,
        callback_enabled: bool = True,
        secret: SecretLike | None = None,
        network: MockNetwork | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock or time.time
        self.callback_enabled = callback_enabled
        self.secret = Secret.of(secret)  # never shown, even in a traceback
        self.sessions: dict[str, ChatSession] = {}
        #: Callbacks refused: (chat session, status, the platform's message), in order;
        #: the most recent KEPT_CALLBACKS (``refused_total`` counts them all).
        self.refused: deque[tuple[str, int, str]] = deque(maxlen=KEPT_CALLBACKS)
        self.refused_total = 0
        self._kept: deque[ChatSession] = deque()  # whose callback, oldest first
        self._in_flight: dict[str, threading.Event] = {}
        super().__init__(network)
        self._lock = threading.Lock()
        self._seed = 0
        pattern = re.compile(re.escape(self.base_url) + r"/v1/ai/chat/webhook/callback/([^/?#]*)")
        self.network.route("POST", pattern, self._callback, "platform callback API")

    # -- the webhook side ---------------------------------------------------------

    def deliver(
        self, target: Any, payload: Payload | bytes | None = None, **payload_options: Any
    ) -> Exchange:
        """Make an intent webhook call to ``target`` (a WSGI app, import string or URL)
        as the platform does; a valid 200 answer stores the call's token for its chat
        session.  ``payload_options`` build a payload as ``build_payload`` does."""
        if payload is None:
            from harness.model._factory import build_payload

            self._seed += 1  # a new conversation each call, the same ones on every run
            payload = build_payload(**{"shape": "A", "seed": self._seed, **payload_options})
        loaded = load_target(target)
        if not loaded.in_process:  # let the real request through the requests mock
            self.network.passthrough(loaded.url)
        body = payload.body if isinstance(payload, Payload) else payload
        session = json.loads(body).get("chatSession", "")
        self.webhook_started(session)
        try:
            exchange = deliver(loaded, payload, secret=self.secret)
        finally:
            self.webhook_ended(session)
            if loaded is not target:  # loaded here: ours to close (an ASGI app's loop)
                loaded.close()
        self.record_webhook(exchange)
        return exchange

    def webhook_started(self, chat_session: str) -> None:
        """A webhook call for ``chat_session`` is on its way: a callback the handler sends
        from another thread meanwhile waits until :meth:`record_webhook` has stored the
        token (the real platform stores it before any callback can cross the network)."""
        with self._lock:
            self._in_flight[chat_session] = threading.Event()

    def webhook_ended(self, chat_session: str) -> None:
        with self._lock:
            event = self._in_flight.pop(chat_session, None)
        if event is not None:
            event.set()

    def record_webhook(self, exchange: Exchange) -> None:
        """Register the chat session of ``exchange`` and, if the platform would store
        its token (an intent webhook answered with a valid 200), store it."""
        request = json.loads(exchange.sent.body)
        session_id = request["chatSession"]
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                session = self.sessions[session_id] = ChatSession(
                    session_id, facebook="clientVariables" not in request
                )
            session.context = dict(exchange.outcome.context)
            if exchange.outcome.token_stored:
                session.token = request["webhook_token"]
                session.expires = self.clock() + TOKEN_LIFETIME

    def open_session(self, chat_session: str, token: str, *, facebook: bool = True) -> ChatSession:
        """Register a session with a stored token directly (as after a successful call)."""
        session = ChatSession(chat_session, facebook, token=token)
        session.expires = self.clock() + TOKEN_LIFETIME
        with self._lock:
            self._add_session(session)
        return session

    def _add_session(self, session: ChatSession) -> ChatSession:
        """Keep ``session``, forgetting the oldest past ``KEPT_SESSIONS`` (its token,
        an hour's at most, is long gone in any run that makes that many)."""
        self.sessions.pop(session.chat_session, None)
        self.sessions[session.chat_session] = session
        while len(self.sessions) > KEPT_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        return session

    def callback_url(self, chat_session: str) -> str:
        return f"{self.base_url}/v1/ai/chat/webhook/callback/{chat_session}"

    # -- the callback API ---------------------------------------------------------

    def _callback(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        match = re.search(r"/callback/([^/?#]*)", request.url)
        session_id = match.group(1) if match else ""
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.handle(session_id, body)

    def handle(
        self, session_id: str, body: bytes, *, over_network: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """The callback API's answer, following the platform's checks in order.
        ``over_network``: the callback came from another process (it may arrive
        before the webhook call in flight is recorded, so it waits for that)."""
        answer = self._handle(session_id, body, over_network)
        if answer[0] != 200:
            info = json.loads(answer[2])["status"]["info"]
            with self._lock:
                self.refused.append((session_id, answer[0], info))
                self.refused_total += 1
        return answer

    def refused_after(self, chat_session: str, count: int) -> list[tuple[int, str]]:
        """The refusals for ``chat_session`` among those after the first ``count`` of
        all (``refused_total`` then), as far as they are kept."""
        with self._lock:
            newer = min(self.refused_total - count, len(self.refused))
            recent = list(self.refused)[len(self.refused) - newer :] if newer > 0 else []
        return [(status, info) for session, status, info in recent if session == chat_session]

    def _handle(
        self, session_id: str, body: bytes, over_network: bool
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            in_flight = self._in_flight.get(session_id)
        # Posted from inside the handler's own call, the callback would beat the
        # platform's storing of the token in real life too: no wait then.
        if in_flight is not None and (over_network or current() is None):
            in_flight.wait(IN_FLIGHT_WAIT)
        if not body.strip():
            return _status(400, "Request body is required")
        answer = read_answer(body, "application/json", passthrough=False)
        if answer.data is None:
            return _status(400, "Failed to deserialize callback JSON")
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                return _status(400, "Invalid chat session token")
            token = answer.data.get("webhook_token")
            if session.token is None or token != session.token or self.clock() > session.expires:
                return _status(400, "Invalid webhook session token")
            if not self.callback_enabled:
                return _status(403, "Bot not authorized for callback")  # token kept
            session.token = None  # single use, from here on
            if not session.facebook:
                return _status(400, "Session not supported for callback")
            apply_context_update(session.context, answer.data)
            session.accepted += 1
            session.callbacks.append(_kept(answer.data))
            self._kept.append(session)
            if len(self._kept) > KEPT_CALLBACKS:  # the oldest kept callback of all goes
                oldest = self._kept.popleft()
                if oldest.callbacks:
                    oldest.callbacks.pop(0)
        return _status(200, "OK")

    def serve(self, port: int = 0) -> Any:
        """Serve this callback API over real HTTP on 127.0.0.1:``port`` (0: a free one),
        for handlers in another process or language: point their callback base at the
        returned server's ``url``.  Returns the started ``LiveWebhookServer``; stop it."""
        from harness.mocks._live_server import LiveWebhookServer

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            from werkzeug.wrappers import Request, Response

            request = Request(environ)
            match = re.fullmatch(r"/v1/ai/chat/webhook/callback/([^/]*)", request.path)
            if request.method != "POST" or match is None:
                answer = Response("not the callback API", status=404)
            else:
                status, headers, reply = self.handle(
                    match.group(1), request.get_data(), over_network=True
                )
                answer = Response(reply, status=status, headers=list(headers.items()))
            return answer(environ, start_response)

        # The server reads at most CALLBACK_MAX_BODY bytes of a body (413 past it), and
        # keeps no log of its own: the mock's record is the one kept.
        server = LiveWebhookServer(
            handler=app, port=port, max_body=CALLBACK_MAX_BODY, log_calls=False
        )
        return server.start()

    def assert_called_back(self, chat_session: str, times: int = 1) -> None:
        """The session received ``times`` accepted callbacks."""
        __tracebackhide__ = True
        session = self.sessions.get(chat_session)
        count = len(session.callbacks) if session else 0
        if count != times:
            raise AssertionError(
                f"expected {times} accepted callback(s) for chat session {chat_session}, "
                f"got {count}"
            )
