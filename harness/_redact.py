"""Redacting cassettes: real chats hold personal data.

What the user typed is replaced with realistic fake text, the same fake for the
same value everywhere in one conversation (one ``chatSession``): the query,
the values of REGEX and system-entity variables (``memoryVariables``,
``variablesMap``, chained intents), context values, client variables, the
``config`` API keys, the ``chatSession`` and the ``webhook_token``.  A LIST
variable's value is one of the bot's own entity values, not the user's words,
and is kept (so is the context entry of its label).  The request is written
again platform-exact and re-signed with the secret given (without one, its
signature header is dropped: replay re-signs anyway).  In the recorded answer,
every replaced value is replaced the same way, in place, so replaying a
redacted cassette against the same handler shows no diff.  Each entry lists
the fields replaced in ``redacted``; nothing else changes.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from functools import cache
from typing import Any

from harness._cassette import CassetteEntry
from harness._gson_writer import dumps
from harness._signing import SIGNATURE_HEADER, Secret
from harness._signing import sign as sign_body

__all__ = ["Redactor"]


@cache
def _provider(language: str) -> Any:
    from harness._factory import make_faker
    from harness._provider import BotWebhookProvider

    fake = make_faker(language if language in ("EN", "ES", "PT", "FR", "NL", "IT") else "EN")
    return next(p for p in fake.get_providers() if isinstance(p, BotWebhookProvider))


class Redactor:
    """Redacts entries; one instance keeps each conversation's fakes consistent."""

    def __init__(self, secret: Secret | None = None) -> None:
        self.secret = secret
        self.fakes: dict[str, dict[str, str]] = {}  # chatSession -> original -> fake

    def _fake(self, session: str, original: str, make: Any) -> str:
        mapping = self.fakes.setdefault(session, {})
        if original not in mapping:
            seed = hashlib.sha256(f"{session}\0{original}".encode()).digest()
            value = str(make(random.Random(seed)))
            mapping[original] = value if value != original else value + "x"
        return mapping[original]

    def _value(self, session: str, language: str, original: str, entity: str | None) -> str:
        provider = _provider(language)

        def make(rng: random.Random) -> str:
            provider.generator.random = rng
            return str(provider.entity_value(entity or "sys.any"))

        return self._fake(session, original, make)

    def entry(self, entry: CassetteEntry) -> CassetteEntry:
        """``entry`` with the user's data replaced (unchanged if the body is no request)."""
        try:
            data = json.loads(entry.request_body)
        except (ValueError, RecursionError):
            return entry
        if not isinstance(data, dict) or "chatResult" not in data:
            return entry
        original_session = str(data.get("chatSession", ""))
        session = original_session or "-"
        language = str(data.get("language", "EN"))
        paths: list[str] = []
        entities: dict[str, str | None] = {}
        lists: set[str] = set()

        def variables(items: Any, where: str) -> None:
            pairs = items.items() if isinstance(items, dict) else enumerate(items or [])
            for key, variable in pairs:
                if not isinstance(variable, dict):
                    continue
                label = str(variable.get("label", key))
                entities[label] = variable.get("entity")
                if variable.get("value_type") == "LIST":
                    lists.add(label)
                    continue
                if isinstance(variable.get("value"), str):
                    variable["value"] = self._value(
                        session, language, variable["value"], variable.get("entity")
                    )
                    paths.append(f"{where}[{key!r}].value" if isinstance(key, str)
                                 else f"{where}[{key}].value")  # fmt: skip

        variables(data.get("memoryVariables"), "memoryVariables")
        variables(data.get("variablesMap"), "variablesMap")
        chat = data["chatResult"] if isinstance(data["chatResult"], dict) else {}
        for i, item in enumerate(chat.get("intents") or []):
            if isinstance(item, dict):
                variables(item.get("variables"), f"chatResult.intents[{i}].variables")
                variables(item.get("variablesMap"), f"chatResult.intents[{i}].variablesMap")
        for name, value in (chat.get("context") or {}).items():
            if isinstance(value, str) and name not in lists:
                chat["context"][name] = self._value(session, language, value, entities.get(name))
                paths.append(f"chatResult.context[{name!r}]")
        if isinstance(chat.get("query"), str):
            chat["query"] = self._query(session, language, chat["query"])
            paths.append("chatResult.query")
        for name, value in (data.get("clientVariables") or {}).items():
            if isinstance(value, str):
                data["clientVariables"][name] = self._fake(session, value, _token)
                paths.append(f"clientVariables[{name!r}]")
        keys = (data.get("config") or {}).get("api_keys") or {}
        for name, value in keys.items():
            if isinstance(value, str):
                keys[name] = self._fake(session, value, _token)
                paths.append(f"config.api_keys[{name!r}]")
        for key in ("chatSession", "webhook_token"):
            if isinstance(data.get(key), str):
                data[key] = self._fake(session, data[key], _hex64)
                paths.append(key)
        body = dumps(data)
        headers = [
            (k, v) for k, v in entry.request_headers if k.lower() != SIGNATURE_HEADER.lower()
        ]
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
        if self.secret is not None:
            headers.append((SIGNATURE_HEADER, sign_body(body, self.secret)))
        answer = self._answer(session, entry.response_body)
        answer_headers = [(k, str(len(answer)) if k.lower() == "content-length" else v)
                          for k, v in entry.response_headers]  # fmt: skip
        return replace(
            entry, request_headers=headers, request_body=body, response_headers=answer_headers,
            response_body=answer, redacted=paths,
        )  # fmt: skip

    def _query(self, session: str, language: str, query: str) -> str:
        mapping = self.fakes.setdefault(session, {})
        if query in mapping:
            return mapping[query]  # a bare answer to a prompt: the value's own fake
        inside = [v for v in sorted(mapping, key=len, reverse=True) if v and v in query]
        provider = _provider(language)

        def make(rng: random.Random) -> str:
            provider.generator.random = rng
            captured = {f"v{i}": mapping[value] for i, value in enumerate(inside)}
            return str(provider.first_sentence(captured))

        return self._fake(session, query, make)

    def _answer(self, session: str, body: bytes) -> bytes:
        """The recorded answer with each replaced value replaced in place (as JSON text
        both raw and \\u-escaped), so its formatting is kept."""
        mapping = self.fakes.get(session) or {}
        if not mapping or not body:
            return body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        for original in sorted(mapping, key=len, reverse=True):
            if len(original) < 2:
                continue  # a one-character value would replace letters everywhere
            for ascii_only in (False, True):
                old = json.dumps(original, ensure_ascii=ascii_only)[1:-1]
                new = json.dumps(mapping[original], ensure_ascii=ascii_only)[1:-1]
                text = text.replace(old, new)
        return text.encode("utf-8")


def _token(rng: random.Random) -> str:
    return f"redacted-{rng.getrandbits(48):012x}"


def _hex64(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"
