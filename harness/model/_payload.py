"""A generated webhook body together with what it is (its variant)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Literal, get_args

from harness.protocol._request import Shape, WebhookRequest
from harness.protocol._signing import sign

__all__ = ["FEATURES", "TEXT_VARIANTS", "Feature", "Payload", "TextVariant", "Variant"]

Feature = Literal[
    "unfilled_optional",
    "facebook",
    "config",
    "chained",
    "trigger",
    "sys_any_command",
    "edge_values",
]
#: The payload features the factory can switch on, as used in :attr:`Variant.features`.
#: ``edge_values``: variable values at the edges of what users type (``harness.model.edge_values``).
FEATURES: tuple[Feature, ...] = get_args(Feature)
TextVariant = Literal["plain", "escaped", "non_ascii", "emoji", "max_length"]
#: Kinds of user text: characters Gson HTML-escapes, non-ASCII letters, emoji,
#: and a query of the platform's maximum length (1024 characters).
TEXT_VARIANTS: tuple[TextVariant, ...] = ("plain", "escaped", "non_ascii", "emoji", "max_length")


@dataclass(frozen=True, slots=True)
class Variant:
    """What a generated payload exercises: intent, shape, language, user text
    kind and the set of features (see :data:`FEATURES`)."""

    intent: str | None
    shape: Shape
    language: str
    text: TextVariant = "plain"
    features: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        """A short readable id: ``colour-shapeA``, ``book_table-shapeB-ES-facebook+config``."""
        parts = [self.intent or "passthrough", f"shape{self.shape}"]
        if self.language != "EN":
            parts.append(self.language)
        if self.text != "plain":
            parts.append(self.text)
        if self.features:
            parts.append("+".join(sorted(self.features)))
        return sys.intern("-".join(parts))  # one string per variant, however many calls


class Payload:
    """Exact body bytes as the platform would send them, plus their :class:`Variant`.

    ``request`` parses the body into a :class:`WebhookRequest` on first use.
    """

    __slots__ = ("_request", "body", "variant")

    def __init__(self, body: bytes, variant: Variant) -> None:
        self.body = body
        self.variant = variant
        self._request: WebhookRequest | None = None

    @classmethod
    def of(cls, request: WebhookRequest, variant: Variant) -> Payload:
        """The payload of a typed request, written by its one writer
        (:meth:`WebhookRequest.to_bytes`)."""
        payload = cls(request.to_bytes(), variant)
        payload._request = request
        return payload

    @property
    def request(self) -> WebhookRequest:
        if self._request is None:
            self._request = WebhookRequest.from_bytes(self.body)
        return self._request

    def json(self) -> Any:
        """The body as plain Python JSON values."""
        return json.loads(self.body)

    def signature(self, secret: str | bytes) -> str:
        """The ``X-Hub-Signature`` value for this body under ``secret``."""
        return sign(self.body, secret)

    def __repr__(self) -> str:
        return f"<Payload {self.variant.name} {len(self.body)} bytes>"
