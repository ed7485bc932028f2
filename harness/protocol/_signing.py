"""X-Hub-Signature: HMAC-SHA256 over the exact body bytes (docs/protocol.md, section 3)."""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
from typing import Any

from harness._errors import BotWebhookTypeError, InvalidSecretError, require_type

__all__ = [
    "SIGNATURE_HEADER",
    "TEST_SECRET",
    "Secret",
    "SecretLike",
    "generate_secret",
    "redact_secret",
    "sign",
    "signature_problem",
    "verify",
]

#: The header the platform signs with (only for https endpoints).
SIGNATURE_HEADER = "X-Hub-Signature"
#: The secret of tests and of redacted cassettes: clearly not a production secret, so
#: nothing signed with it is accepted there.  (``pytest_botwebhook.TEST_SECRET`` is the
#: same value, written there again so that the plugin imports no harness at start-up;
#: a test holds the two equal.)
TEST_SECRET = "botwebhook-test-secret-not-for-productio"
_PREFIX = "sha256="
_HEX = frozenset("0123456789abcdefABCDEF")


class Secret:
    """A webhook secret that never shows itself: its ``repr`` and ``str`` are
    redacted (``<Secret 2fb7…(40 chars)>``), so no traceback, ``pytest -l``,
    ``--showlocals`` or debugger prints it.  The harness holds every secret it is
    given in one of these, from the public entry point down; :meth:`reveal`
    gives the value back.  A secret equals another with the same value, and the
    plain value itself, compared in constant time."""

    __slots__ = ("_value",)
    _value: str | bytes

    def __init__(self, value: str | bytes | Secret) -> None:
        if isinstance(value, Secret):
            value = value._value
        if not isinstance(value, str | bytes):  # the value itself is not shown: it may be real
            raise BotWebhookTypeError(
                f"expected str or bytes for secret, got a value of type {type(value).__name__} "
                "(hint: pass the webhook secret as text)"
            )
        self._value = value

    @classmethod
    def of(cls, value: SecretLike | None) -> Secret | None:
        """``value`` as a :class:`Secret` (None stays None)."""
        return None if value is None else cls(value)

    def reveal(self) -> str | bytes:
        """The secret itself: for signing, never for printing."""
        return self._value

    def __repr__(self) -> str:
        return f"<Secret {redact_secret(self._value)}>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if type(other) is not type(self._value):  # str with str, bytes with bytes
            return NotImplemented
        return hmac.compare_digest(_bytes(self._value), _bytes(other))

    def __hash__(self) -> int:  # equal to the plain value's, as == says
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: pass the secret itself where it must travel")


#: Anything a secret is accepted as.
SecretLike = str | bytes | Secret


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _key(secret: SecretLike) -> bytes:
    key = _bytes(Secret(secret).reveal())
    if not key:  # the only error after ``key`` is set: it is empty, nothing to show
        raise InvalidSecretError(
            "secret is empty (hint: the platform's secrets are 40 lowercase hex "
            "characters; harness.generate_secret() makes one)"
        )
    return key


def _body(body: bytes | bytearray | memoryview) -> bytes:
    require_type(
        "body",
        body,
        (bytes, bytearray, memoryview),
        "sign the exact bytes sent; encode a str with .encode('utf-8') first",
    )
    return bytes(body)


def sign(body: bytes | bytearray | memoryview, secret: SecretLike) -> str:
    """The ``X-Hub-Signature`` value for ``body``: ``sha256=<64 lowercase hex>``.

    The key is the secret string's UTF-8 bytes (the 40 hex characters as text,
    not hex-decoded), the message the exact body bytes.
    """
    if type(body) is not bytes:
        body = _body(body)
    if type(secret) is str and secret:
        return _PREFIX + hmac.digest(secret.encode(), body, "sha256").hex()
    return _PREFIX + hmac.digest(_key(secret), body, "sha256").hex()  # one C call


def verify(
    body: bytes | bytearray | memoryview, header_value: str | None, secret: SecretLike
) -> bool:
    """True when ``header_value`` is the correct signature of ``body``.

    A missing header (None), a value without the ``sha256=`` prefix, of the
    wrong length or with non-hex characters is simply not valid.  The
    comparison is constant-time.
    """
    return signature_problem(body, header_value, secret) is None


def signature_problem(
    body: bytes | bytearray | memoryview, header_value: str | None, secret: SecretLike
) -> str | None:
    """Why ``header_value`` is not a valid signature of ``body``, or None when it is."""
    secret = Secret(secret)
    _key(secret)  # a bad secret is an error before anything else
    data = _body(body)
    if header_value is None:
        return "no signature"
    require_type("header_value", header_value, str, "pass the X-Hub-Signature header's text")
    if not header_value.startswith(_PREFIX):
        return f"does not start with {_PREFIX!r}"
    given = header_value[len(_PREFIX) :]
    if len(given) != 64:
        return f"digest has {len(given)} characters, not 64"
    if not _HEX.issuperset(given):
        return "digest is not hexadecimal"
    expected = hmac.new(_key(secret), data, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        return "digest does not match the body and secret"
    return None


def generate_secret() -> str:
    """A new platform-style secret: 40 lowercase hex characters (20 random bytes)."""
    return _secrets.token_hex(20)


def redact_secret(secret: SecretLike) -> str:
    """A form of ``secret`` safe for reports and logs: never the whole secret.

    ``2fb71ab6057e6f3d652c7e1131db962af27fda4f`` -> ``2fb7…(40 chars)``; secrets
    shorter than 12 characters show no characters at all.
    """
    if isinstance(secret, Secret):
        secret = secret.reveal()
    if not isinstance(secret, str | bytes):
        return f"<not a secret: {type(secret).__name__}>"
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
    if len(text) < 12:
        return f"…({len(text)} chars)"
    return f"{text[:4]}…({len(text)} chars)"
