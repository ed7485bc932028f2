"""Findings: what a check found, as data with stable codes (``BW101``…).

A code never changes meaning; new problems get new codes.  Each finding has a
severity, a one-line title, the evidence, a hint, the payload variant that
triggered it and a ``curl`` command that reproduces the request exactly
(the signature is printed, the secret never).

A code's severity and hint are the usual ones; a finding may carry its own when
its situation says more: ``BW402`` on a plain-http endpoint, which the platform
never signs, is a warning; ``BW110`` for an intent of the built-in catalogue,
which the user never declared, is a warning; a ``BW401`` whose traceback names
the missing key gets the hint about that key.

Every output names a finding's page (:func:`about`): its URL on the documentation
site when the site's address is known (:func:`set_docs_url`, the command line's
``--docs-url``, ``$BOTWEBHOOK_DOCS_URL``, ``[tool.botwebhook] docs_url``, or the
installed package's ``Documentation`` project URL), else the command that prints
the same page offline, ``botwebhook explain CODE``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from harness._errors import BotWebhookValueError

__all__ = [
    "CODES",
    "DOCS_URL_ENV",
    "Code",
    "Finding",
    "Severity",
    "about",
    "docs_url",
    "printable",
    "relative_path",
    "require_docs_url",
    "set_docs_url",
    "shell_quote",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Code:
    """A finding code: its severity, title, and the usual fix."""

    code: str
    severity: Severity
    title: str
    hint: str


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("BW100", "error", "the call failed: connection, TLS or timeout",
             "make the endpoint reachable over the scheme, host and port the bot uses; "
             "for https, serve a certificate the platform trusts"),
        Code("BW101", "error", "status is not exactly 200",
             "answer every webhook call the handler accepts with 200: the platform treats "
             "201, 202 and 204 as failures and ignores the body"),
        Code("BW102", "error", "empty body or null",
             'answer with a JSON object; {} is valid and keeps the intent\'s own response'),
        Code("BW103", "error", "body is not a JSON object",
             'answer with one JSON object, e.g. {"text": "..."}, and nothing after it'),
        Code("BW104", "error", "a field has a type the platform cannot read",
             "check the field against the response contract: text is a string, "
             "facebook an object, facebook_multi an array, context an object"),
        Code("BW105", "error", "slower than the platform's read timeout",
             "answer within the 10-second read timeout; do slow work later and deliver it "
             "through the callback API with the webhook_token"),
        Code("BW106", "error", "a redirect the platform does not follow as a POST",
             "serve the webhook at the configured URL: 301/302/303 are followed as a GET "
             "without the body, 308 and http<->https are not followed at all"),
        Code("BW107", "error", "the answer never ends: the chat request hangs",
             "send the whole answer at once, with its Content-Length; the platform's read "
             "timeout is per read, so an answer that trickles or never ends holds the chat"),
        Code("BW108", "error", "no webhook at this path: every valid payload got 404 or 405",
             "call the path your app serves the webhook at: --path /hook (ini botwebhook_path, "
             "[tool.botwebhook] path, path= in Python), or the whole URL the bot calls"),
        Code("BW109", "error", "a crash report answered with 200: the chat user gets nothing",
             "answer a failure with a status other than 200 (the platform then shows the "
             "intent's own response), or catch the error and answer {\"text\": ...}; the "
             "platform reads this body as an answer with no text"),
        Code("BW110", "error", "an intent is not served by this handler",
             "the platform calls the webhook only for the intents it is attached to: route "
             "this intent in the handler, or leave it out of --intent and the bot model"),
        Code("BW201", "error", "flat context map: silently ignored",
             'use the nested form {"context": {"variables": {"name": {"value": "..."}}}}'),
        Code("BW202", "warning", "text over 640 characters: cut on Facebook",
             "keep each text under 640 characters, or split it over facebook_multi nodes"),
        Code("BW203", "warning", "quick reply without a valid content_type: dropped",
             'give every quick reply "content_type": "text" (or "location")'),
        Code("BW204", "warning", "unknown enum value in a Facebook node: dropped",
             "use one of the values the platform knows for that field"),
        Code("BW205", "warning", "only readable through lenient parsing or coercion",
             "write standard JSON with the documented types; do not rely on Gson's leniency"),
        Code("BW206", "warning", "unknown key: ignored",
             "remove the key, or fix its spelling"),
        Code("BW207", "warning", "a field the platform ignores in this position",
             "remove it: it has no effect here"),
        Code("BW208", "warning", "answer over the size cap: not checked",
             "answer with a small JSON object: the platform reads the whole answer into "
             "memory, with no limit, while the chat user waits"),
        Code("BW301", "error", "accepted a request with a wrong signature",
             "verify X-Hub-Signature (HMAC-SHA256 of the raw body, key = the secret's text) "
             "and answer 401 when it does not match"),
        Code("BW302", "error", "accepted a request with no signature",
             "refuse https requests without X-Hub-Signature when a secret is configured"),
        Code("BW303", "error", "rejected a correctly signed request",
             "compute the HMAC over the raw body bytes as received, never over re-serialized "
             "JSON, with the secret's text (not hex-decoded) as the key"),
        Code("BW401", "error", "server error on a valid platform payload",
             "handle every variant the platform sends: unfilled variables have no value key, "
             "Facebook chats have no clientVariables, first-sentence turns have no chatId"),
        Code("BW402", "error", "server error on unsigned malformed input",
             "verify the signature before parsing anything, and answer malformed requests "
             "with a 4xx, never a 5xx: anyone who finds the URL can send them"),
        Code("BW403", "warning", "server error on signed malformed input (robustness)",
             "the platform never sends this body, so it cannot fail in production; parse "
             "defensively anyway (a 4xx for what cannot be read) if you want to be safe"),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one exchange (or, for ``BW108`` and ``BW110``, in a run)."""

    code: str
    evidence: str
    scenario: str = ""
    variant: str = ""
    reproduce: str = ""
    #: What an in-process handler printed and logged during the call.
    output: str = ""
    #: This finding's severity, when it differs from its code's usual one.
    level: Severity | None = None
    #: A hint written for this finding, when one says more than its code's usual one.
    specific_hint: str = ""
    #: Where in the handler's own code it happened (file, line), when a traceback says.
    location: tuple[str, int] | None = None

    @property
    def severity(self) -> Severity:
        return self.level or CODES[self.code].severity

    @property
    def title(self) -> str:
        return CODES[self.code].title

    @property
    def hint(self) -> str:
        return self.specific_hint or CODES[self.code].hint

    @property
    def about(self) -> str:
        """Where to read about this finding's code: its page's URL when the site's
        address is known, else ``botwebhook explain CODE`` (see :func:`docs_url`)."""
        return about(self.code)

    def described(self) -> list[str]:
        """The finding as every text output shows it, a line each: the code, severity
        and title; the evidence; the hint; where to read more."""
        return [
            f"{self.code} {self.severity}: {self.title}",
            self.evidence,
            f"hint: {self.hint}",
            f"more: {self.about}",
        ]

    def in_one_line(self) -> str:
        """The finding in one line, as a report notes a warning beside a case."""
        return f"{self.code} {self.title}: {self.evidence} (more: {self.about})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "hint": self.hint,
            "scenario": self.scenario,
            "variant": self.variant,
            "reproduce": self.reproduce,
            "output": self.output,
            "file": relative_path(self.location[0]) if self.location else None,
            "line": self.location[1] if self.location else None,
            "docs": docs_url(self.code),
        }


#: The environment variable that gives the documentation site's address.
DOCS_URL_ENV = "BOTWEBHOOK_DOCS_URL"

# The address set for this process (the command line's --docs-url, the pytest
# plugin's setting); None: the environment, then the package's metadata, decide.
_base: str | None = None


def require_docs_url(value: str, argument: str = "docs_url") -> str:
    """``value`` as a documentation address: an http(s) or file URL, or a path
    relative to where the report is read (``.`` or ``../docs``, inside the built site).
    Anything else, a ``javascript:`` URL say, raises :class:`BotWebhookValueError`."""
    text = value.strip() if isinstance(value, str) else None
    if not text or re.search(r"[\s\"'<>`]", text):
        raise BotWebhookValueError(
            f"expected a URL or a relative path for {argument}, got {value!r} (hint: the "
            "address the site is published at, e.g. https://docs.example.org/botwebhook/)"
        )
    parts = urlsplit(text)
    if parts.scheme and not (
        (parts.scheme in ("http", "https") and parts.netloc) or parts.scheme == "file"
    ):
        raise BotWebhookValueError(
            f"expected an http, https or file URL, or a relative path, for {argument}, got "
            f"{value!r} (hint: e.g. https://docs.example.org/botwebhook/)"
        )
    return text


def set_docs_url(base: str | None) -> None:
    """Use ``base`` as the documentation's address in this process's reports (None:
    back to ``$BOTWEBHOOK_DOCS_URL``, then the package's ``Documentation`` URL)."""
    global _base
    _base = None if base is None else require_docs_url(base)


@functools.cache
def _published() -> str | None:
    """The installed package's ``Documentation`` project URL, if it declares one."""
    from importlib import metadata

    try:
        urls = metadata.metadata("pytest-botwebhook").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            return url.strip()
    return None


def docs_url(code: str) -> str | None:
    """The URL of ``code``'s page on the documentation site, or None when the site's
    address is not known (see the module's text for where it comes from)."""
    base = _base
    if base is None:
        from_env = os.environ.get(DOCS_URL_ENV, "").strip()
        base = require_docs_url(from_env, f"${DOCS_URL_ENV}") if from_env else _published()
    if base is None:
        return None
    return f"{base.rstrip('/')}/codes/{code}.html"


def about(code: str) -> str:
    """Where to read about ``code``: its page's URL, or the command that shows it."""
    return docs_url(code) or f"botwebhook explain {code}"


def shell_quote(data: bytes) -> str:
    """``data`` as one POSIX shell word that yields exactly these bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return "'" + text.replace("'", "'\\''") + "'"
    out = []
    for byte in data:
        char = chr(byte)
        if 0x20 <= byte < 0x7F and char not in "'\\":
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def printable(text: str) -> str:
    """``text`` as any terminal can take it: what cannot be encoded in UTF-8 (a lone
    surrogate a handler put in a field) is written as an escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def relative_path(path: str, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (the working folder) when it is inside it, in
    ``/`` form; else as it is."""
    base = (root or Path.cwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except (ValueError, OSError):
        return path
