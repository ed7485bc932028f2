"""What each finding code means on the platform.

For every code of :data:`~harness.delivery._findings.CODES`: why the platform fails
the call (or why it is only a risk), and when the finding is only a warning.  The
site's page per code, ``botwebhook explain`` and the SARIF rules are written from
here, so the explanation is written once.  Where a code's page is on the site is
:func:`~harness.delivery._findings.docs_url`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from harness._errors import BotWebhookValueError
from harness.delivery._findings import CODES, docs_url

__all__ = ["EXPLAINED", "Explained", "explain"]


@dataclass(frozen=True, slots=True)
class Explained:
    """Why a code is a finding, and when it is only a warning."""

    #: What happens on the platform, and so why it is a finding.
    why: str
    #: When the finding is only a warning (None: it always has its code's severity).
    warning: str | None = None


EXPLAINED: dict[str, Explained] = {
    "BW100": Explained(
        why=(
            "The platform could not make the call at all: nothing listened at the URL, the "
            "connection was refused or reset, or the TLS handshake failed (for https, a "
            "certificate the platform does not trust). The intent's own response is shown, "
            "and the context does not change."
        ),
    ),
    "BW101": Explained(
        why=(
            "The platform accepts exactly 200. Any other status, 201 and 204 included, fails "
            "the call: the body is ignored and the intent's own response is shown."
        ),
        warning=(
            "A 404 or 405 for every valid payload is reported once as BW108, and a 4xx for "
            "the payloads of one intent as BW110, instead of a BW101 per call."
        ),
    ),
    "BW102": Explained(
        why=(
            "An empty body, or the JSON literal null, is no answer the platform can read: the "
            "call fails. An empty object keeps the intent's own response."
        ),
    ),
    "BW103": Explained(
        why=(
            "The platform reads the body as one JSON object, as Gson reads it: an array, an "
            "HTML page or anything after the object fails the call."
        ),
    ),
    "BW104": Explained(
        why=(
            "A known field with a type the platform cannot bind (an object where a string "
            "belongs, say) fails the whole call: Gson stops at the first one."
        ),
    ),
    "BW105": Explained(
        why=(
            "The platform waits 10 seconds for the answer, then gives up: the chat user gets "
            "the intent's own response, whatever the handler does later. Slow work belongs "
            "after the answer, delivered through the callback API."
        ),
    ),
    "BW106": Explained(
        why=(
            "The platform's HTTP client follows 301, 302 and 303 as a GET without the body "
            "and the signature, follows no 308 and no change between http and https: the "
            "handler at the new URL never sees the call as it was sent."
        ),
    ),
    "BW107": Explained(
        why=(
            "The platform's read timeout is per read: an answer that trickles, or never ends, "
            "holds the chat request for as long as bytes keep coming."
        ),
    ),
    "BW108": Explained(
        why=(
            "Every valid payload got 404 or 405: the webhook is not at this path. The "
            "platform calls the URL in the bot's settings, so either that URL or the path the "
            "check calls is wrong."
        ),
    ),
    "BW109": Explained(
        why=(
            "A hosting layer (AWS Lambda behind API Gateway, a catch-all wrapper, Express's "
            "error page) answered a crash with 200. The platform reads it as an answer with "
            "no text, so the chat user gets nothing at all."
        ),
    ),
    "BW110": Explained(
        why=(
            "The handler refused every payload of an intent it was checked with. When that "
            "intent is declared (--intent, a bot model), the platform calls the webhook for "
            "it, and every such call fails."
        ),
        warning=(
            "A warning when the intent is not declared: with the built-in catalogue and no "
            "--intent, a webhook that serves one intent is normal."
        ),
    ),
    "BW201": Explained(
        why=(
            "A flat map under context is not the platform's format: the update is silently "
            "ignored, and the variable keeps its old value."
        ),
        warning=("A warning on a passthrough call, which ignores every context update."),
    ),
    "BW202": Explained(
        why=("Facebook Messenger cuts a text over 640 characters."),
    ),
    "BW203": Explained(
        why=("A quick reply without a content_type the platform knows is dropped."),
    ),
    "BW204": Explained(
        why=(
            "A Facebook node with a value the platform does not know for an enumerated field "
            "is dropped."
        ),
    ),
    "BW205": Explained(
        why=(
            "The platform reads the answer leniently (as Gson does): single quotes, a number "
            "where a string belongs. It works, but only by accident of the parser."
        ),
    ),
    "BW206": Explained(
        why=("A key the platform does not know is ignored: usually a typo of one it does."),
    ),
    "BW207": Explained(
        why=(
            "A field the platform ignores where it stands: webhook_token is read only by the "
            "callback API, lifespan_turns only on a context variable."
        ),
    ),
    "BW208": Explained(
        why=(
            "The platform reads the whole answer into memory, with no limit, while the chat "
            "user waits. The harness stops reading at its cap and checks no further."
        ),
    ),
    "BW301": Explained(
        why=(
            "Only the platform holds the secret. A handler that accepts a wrong signature "
            "accepts calls from anyone who finds its URL."
        ),
    ),
    "BW302": Explained(
        why=(
            "A handler that accepts a call without a signature accepts calls from anyone who "
            "finds its URL."
        ),
    ),
    "BW303": Explained(
        why=(
            "The platform signs the exact bytes it sends. A signature computed over re- "
            "serialized JSON (or with the secret hex-decoded) never matches, so every real "
            "call is refused."
        ),
    ),
    "BW401": Explained(
        why=(
            "A 5xx fails the call. The platform sends variants a handler must take: an "
            "unfilled variable has no value key, a Facebook chat has no clientVariables, a "
            "first-sentence turn has no chatId."
        ),
    ),
    "BW402": Explained(
        why=(
            "Anyone who finds the URL can send a malformed body, unsigned. A handler that "
            "parses before it verifies answers them with a 5xx: a crash anyone can cause, and "
            "noise in its error reports."
        ),
        warning=(
            "A warning on a target the platform does not sign (plain http, or no secret): "
            "nothing then tells its calls from junk."
        ),
    ),
    "BW403": Explained(
        why=(
            "Only the platform can sign, and it never sends a malformed body: a handler that "
            "verifies first cannot crash this way in production. The robustness probe sends "
            "such bodies signed anyway, for the careful."
        ),
    ),
}


def explain(code: str, *, width: int = 88) -> str:
    """``code``'s page as text: its severity and title, why it is a finding, when it is
    only a warning, the fix, and the page's URL when known."""
    known = CODES.get(code.upper()) if isinstance(code, str) else None
    if known is None:
        raise BotWebhookValueError(
            f"unknown finding code {code!r} for code (hint: one of {', '.join(CODES)})"
        )
    said = EXPLAINED[known.code]
    paragraphs = [f"{known.code} {known.severity}: {known.title}", said.why]
    if known.severity == "error":
        paragraphs.append(
            f"When it is only a warning: {said.warning}"
            if said.warning
            else "It is never only a warning: wherever it is found, the platform fails the call."
        )
    paragraphs.append(f"The fix: {known.hint}.")
    url = docs_url(known.code)
    if url:
        paragraphs.append(f"The page, with a handler that makes the mistake and its fix: {url}")
    return "\n\n".join(textwrap.fill(p, width) for p in paragraphs)
