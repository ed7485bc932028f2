"""Redacting cassettes: real chats hold personal data.

Whatever could identify a user is replaced with a fake of the same kind, the same
fake for the same value everywhere in one conversation (one ``chatSession``):

- what the user typed: the query, the values of system-entity and REGEX
  variables (``memoryVariables``, ``variablesMap``, chained intents), the
  context values, and ``history``;
- what the platform and the client hold about the user: ``chatId``,
  ``chatSession``, ``webhook_token``, client variables (strings, numbers, lists),
  ``config`` API keys, and the headers that carry identity (``Cookie``,
  ``Set-Cookie``, ``X-Forwarded-For``, ``Forwarded``, ``Authorization`` ...);
- in the handler's answer: every value above, wherever it stands as a whole token
  (``MARIA`` for the name ``Maria``, in its case), the context values the handler
  set (an order id), and any e-mail address or phone number.

Fakes keep the kind: an id stays id-shaped (letters for letters, digits for
digits), a number a number, a name a name, a city a city, a sentence a
sentence.  A LIST variable's value is one of the bot's own entity values, not
the user's words: it is never touched, in the request or the answer, even when
it is the whole query.  A body that is not a platform request is dropped with
a note, never copied.  The request is written again platform-exact and signed
with a *test* secret, never the one the traffic was recorded with: anyone who
reads a committed cassette cannot replay its calls to production.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

from harness.protocol._gson_writer import dumps
from harness.protocol._signing import SIGNATURE_HEADER, Secret, sign
from harness.replay._cassette import CassetteEntry

__all__ = ["SENSITIVE_HEADERS", "Redactor"]

#: Headers that carry who the user is, or credentials: their values are replaced.
SENSITIVE_HEADERS = frozenset(
    {"cookie", "set-cookie", "x-forwarded-for", "forwarded", "x-real-ip", "authorization",
     "proxy-authorization", "x-client-ip", "true-client-ip", "cf-connecting-ip",
     "x-forwarded-host", "x-amzn-trace-id"}
)  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ()./-]{6,}\d(?!\w)")
_SHAPED_ENTITIES = ("sys.number", "sys.percent")


@cache
def _provider(language: str) -> Any:
    from harness.model._factory import make_faker
    from harness.model._provider import BotWebhookProvider

    fake = make_faker(language if language in ("EN", "ES", "PT", "FR", "NL", "IT") else "EN")
    return next(p for p in fake.get_providers() if isinstance(p, BotWebhookProvider))


def _shaped(original: str) -> Callable[[random.Random], str]:
    """A fake with the original's shape: each digit a digit, each letter a letter of
    the same case, everything else kept (``P4D6F80`` -> ``KQ7A2X1``)."""

    def make(rng: random.Random) -> str:
        out = []
        for c in original:
            if c.isdigit():
                out.append(rng.choice(string.digits))
            elif c.isalpha() and c.isascii():
                letters = string.ascii_uppercase if c.isupper() else string.ascii_lowercase
                out.append(rng.choice(letters))
            elif c.isalpha():
                out.append(rng.choice(string.ascii_uppercase if c.isupper() else "aeiou"))
            else:
                out.append(c)
        return "".join(out)

    return make


def _email(rng: random.Random) -> str:
    names = ("alex", "sam", "jo", "kim", "lee", "max", "ria", "noa")
    return f"{rng.choice(names)}.{rng.getrandbits(24):06x}@example.org"


class Redactor:
    """Redacts entries; one instance keeps each conversation's fakes consistent.
    ``secret`` signs the redacted requests: give a test secret, never the one the
    traffic was recorded with (none: the signature header is dropped).  What was
    left out, and why, is in ``notes``."""

    def __init__(self, secret: Secret | None = None) -> None:
        self.secret = secret
        self.fakes: dict[str, dict[str, str]] = {}  # chatSession -> original -> fake
        self.kept: dict[str, set[str]] = {}  # chatSession -> LIST values, never touched
        self.notes: list[str] = []

    # -- fakes --------------------------------------------------------------------------

    def _fake(self, session: str, original: str, make: Callable[[random.Random], str]) -> str:
        if len(original) < 2 or original.casefold() in self.kept.get(session, set()):
            return original  # one character identifies nobody, and could not be found again
        mapping = self.fakes.setdefault(session, {})
        if original not in mapping:
            seed = hashlib.sha256(f"{session}\0{original}".encode()).digest()
            value = str(make(random.Random(seed)))
            mapping[original] = value if value != original else value + "x"
        return mapping[original]

    def _value(self, session: str, language: str, original: str, entity: Any) -> str:
        entity = entity if isinstance(entity, str) else "sys.any"
        if entity in _SHAPED_ENTITIES or not entity.startswith("sys."):
            return self._fake(session, original, _shaped(original))  # a number, an id
        provider = _provider(language)

        def make(rng: random.Random) -> str:
            provider.generator.random = rng
            value = str(provider.entity_value(entity))
            if entity == "sys.person" and " " in original:  # a full name for a full name
                value = f"{value} {provider.entity_value(entity)}"
            return value

        return self._fake(session, original, make)

    def _free_text(self, session: str, language: str, text: str) -> str:
        """A sentence the user wrote: a bare answer to a prompt becomes its value's own
        fake; otherwise a fake sentence holding the fakes of the values in it."""
        mapping = self.fakes.setdefault(session, {})
        if text in mapping or text.casefold() in self.kept.get(session, set()):
            return mapping.get(text, text)
        inside = [v for v in sorted(mapping, key=len, reverse=True) if v and v in text]
        provider = _provider(language)

        def make(rng: random.Random) -> str:
            provider.generator.random = rng
            captured = {f"v{i}": mapping[value] for i, value in enumerate(inside)}
            return str(provider.first_sentence(captured))

        return self._fake(session, text, make)

    def _scalar(self, session: str, value: Any, key: str = "", language: str = "EN") -> Any:
        """A client variable or API key: strings, numbers and lists of them, each faked
        as its kind (an e-mail, a name for a key that says ``name``, else its shape)."""
        if isinstance(value, str):
            if _EMAIL.fullmatch(value):
                return self._fake(session, value, _email)
            if "name" in key.lower() and not any(c.isdigit() for c in value):
                return self._value(session, language, value, "sys.person")
            return self._fake(session, value, _shaped(value))
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            faked = self._fake(session, str(value), _shaped(str(value)))
            try:
                return type(value)(faked)
            except ValueError:  # pragma: no cover - a shaped number stays a number
                return value
        if isinstance(value, list):
            return [self._scalar(session, item, key, language) for item in value]
        if isinstance(value, dict):
            return {k: self._scalar(session, v, str(k), language) for k, v in value.items()}
        return value

    # -- one entry ------------------------------------------------------------------------

    def entry(self, entry: CassetteEntry) -> CassetteEntry | None:
        """``entry`` with every personal datum replaced; None (and a note) when its
        body is not a platform request, which is left out, never copied."""
        try:
            data = json.loads(entry.request_body)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("chatResult"), dict):
            self.notes.append(f"{entry.where or 'a call'}: not a platform request: left out")
            return None
        try:
            return self._entry(entry, data)
        except Exception as exc:  # an unexpected shape: said, and left out
            self.notes.append(
                f"{entry.where or 'a call'}: could not be redacted ({type(exc).__name__}: "
                f"{exc}): left out"[:300]
            )
            return None

    def _entry(self, entry: CassetteEntry, data: dict[str, Any]) -> CassetteEntry:
        session = str(data.get("chatSession", "")) or "-"
        language = str(data.get("language", "EN"))
        paths: list[str] = []
        kept = self.kept.setdefault(session, set())
        labels: dict[str, Any] = {}
        lists: set[str] = set()
        groups = [(data.get("memoryVariables"), "memoryVariables"),
                  (data.get("variablesMap"), "variablesMap")]  # fmt: skip
        chat: dict[str, Any] = data["chatResult"]
        for i, item in enumerate(chat.get("intents") or []):
            if isinstance(item, dict):
                groups.append((item.get("variables"), f"chatResult.intents[{i}].variables"))
                groups.append((item.get("variablesMap"), f"chatResult.intents[{i}].variablesMap"))
        for items, _ in groups:  # the LIST values first: never faked, anywhere
            for variable in _variables(items):
                label = str(variable.get("label", ""))
                labels[label] = variable.get("entity")
                if variable.get("value_type") == "LIST":
                    lists.add(label)
                    if isinstance(variable.get("value"), str):
                        kept.add(variable["value"].casefold())
        for items, where in groups:
            for key, variable in _keyed(items):
                value = variable.get("value")
                if variable.get("value_type") != "LIST" and isinstance(value, str):
                    variable["value"] = self._value(session, language, value,
                                                    variable.get("entity"))  # fmt: skip
                    paths.append(f"{where}[{key!r}].value")
        found = chat.get("context")
        context: dict[str, Any] = found if isinstance(found, dict) else {}
        for name, value in context.items():
            if isinstance(value, str) and name not in lists:
                if name in labels:
                    context[name] = self._value(session, language, value, labels[name])
                else:  # set by an earlier webhook (an order id): its shape kept
                    context[name] = self._fake(session, value, _shaped(value))
                paths.append(f"chatResult.context[{name!r}]")
        for key in ("query", "history", "topicIn", "topic_out"):
            if isinstance(chat.get(key), str) and chat[key]:
                chat[key] = self._free_text(session, language, chat[key])
                paths.append(f"chatResult.{key}")
        if isinstance(chat.get("chatId"), str):
            chat["chatId"] = self._fake(session, chat["chatId"], _uuid)
            paths.append("chatResult.chatId")
        client = data.get("clientVariables")
        if isinstance(client, dict):
            for name in list(client):
                client[name] = self._scalar(session, client[name], str(name), language)
                paths.append(f"clientVariables[{name!r}]")
        config = data.get("config")
        keys = config.get("api_keys") if isinstance(config, dict) else None
        if isinstance(keys, dict):
            for name in list(keys):
                keys[name] = self._scalar(session, keys[name])
                paths.append(f"config.api_keys[{name!r}]")
        for key in ("chatSession", "webhook_token"):
            if isinstance(data.get(key), str):
                data[key] = self._fake(session, data[key], _hex64)
                paths.append(key)
        body = dumps(data)
        request_headers, hidden = _headers(entry.request_headers, len(body))
        if self.secret is not None:
            request_headers.append((SIGNATURE_HEADER, sign(body, self.secret)))
        answer = self._answer(session, entry.response_body)
        response_headers, hidden_back = _headers(entry.response_headers, len(answer))
        paths += [f"request header {name}" for name in hidden]
        paths += [f"response header {name}" for name in hidden_back]
        if answer != entry.response_body:
            paths.append("response body")
        return replace(
            entry, request_headers=request_headers, request_body=body,
            response_headers=response_headers, response_body=answer, redacted=paths,
        )  # fmt: skip

    # -- the answer -----------------------------------------------------------------------

    def _answer(self, session: str, body: bytes) -> bytes:
        """The recorded answer with each replaced value replaced in place, as a whole
        token, in its case (as JSON text, raw and \\u-escaped), and the context values
        the handler set, e-mails and phone numbers replaced too; its formatting kept."""
        if not body:
            return body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        variables = (data.get("context") or {}) if isinstance(data, dict) else {}
        variables = variables.get("variables") if isinstance(variables, dict) else None
        for variable in (variables or {}).values() if isinstance(variables, dict) else ():
            value = variable.get("value") if isinstance(variable, dict) else None
            if isinstance(value, str) and value:
                self._fake(session, value, _shaped(value))  # an id the handler made
        for found in {m.group() for m in _EMAIL.finditer(text)}:
            self._fake(session, found, _email)
        for found in {m.group() for m in _PHONE.finditer(text)}:
            if sum(c.isdigit() for c in found) >= 7:
                self._fake(session, found, _shaped(found))
        mapping = self.fakes.get(session) or {}
        kept = self.kept.get(session, set())
        for original in sorted(mapping, key=len, reverse=True):
            if len(original) < 2 or original.casefold() in kept:
                continue  # a one-character value would replace letters everywhere
            for ascii_only in (False, True):
                old = json.dumps(original, ensure_ascii=ascii_only)[1:-1]
                new = json.dumps(mapping[original], ensure_ascii=ascii_only)[1:-1]
                text = _replace_token(text, old, new)
        return text.encode("utf-8")


def _replace_token(text: str, old: str, new: str) -> str:
    """``old`` replaced by ``new`` where it stands as a whole token, in any case; the
    case of each occurrence is kept (``MARIA`` -> ``LUCIA``)."""

    def cased(match: re.Match[str]) -> str:
        seen = match.group()
        if seen.isupper():
            return new.upper()
        if seen.islower() and not old.islower():
            return new.lower()
        return new

    pattern = re.compile(rf"(?<![\w]){re.escape(old)}(?![\w])", re.IGNORECASE)
    return pattern.sub(cased, text)


def _variables(items: Any) -> list[dict[str, Any]]:
    return [variable for _, variable in _keyed(items)]


def _keyed(items: Any) -> list[tuple[Any, dict[str, Any]]]:
    if isinstance(items, dict):
        return [(key, v) for key, v in items.items() if isinstance(v, dict)]
    if isinstance(items, list):
        return [(key, v) for key, v in enumerate(items) if isinstance(v, dict)]
    return []


def _headers(
    headers: list[tuple[str, str]], length: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """Headers with identity redacted, the signature dropped (it is written again) and
    the length set: the headers, and the names of those redacted."""
    out, hidden = [], []
    for name, value in headers:
        lowered = name.lower()
        if lowered == SIGNATURE_HEADER.lower():
            continue
        if lowered in SENSITIVE_HEADERS:
            out.append((name, "redacted"))
            hidden.append(name)
        elif lowered == "content-length":
            out.append((name, str(length)))
        else:
            out.append((name, value))
    return out, hidden


def _hex64(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
