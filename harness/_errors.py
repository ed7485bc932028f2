"""One exception tree for everything the harness raises on bad input."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar


def describe(value: Any) -> str:
    """Render a value for an error message: its repr (shortened) and its type."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


class BotWebhookError(Exception):
    """Root of every exception raised by pytest-botwebhook."""


class BotWebhookTypeError(BotWebhookError, TypeError):
    """An argument of the wrong type was passed to a harness function."""


class BotWebhookValueError(BotWebhookError, ValueError):
    """An argument had the right type but a value the harness cannot use."""


class InvalidSecretError(BotWebhookValueError):
    """A webhook secret was empty or otherwise unusable."""


class TargetError(BotWebhookValueError):
    """A target that cannot be loaded: a bad import string, file, URL or path."""


class ProtocolError(BotWebhookValueError):
    """JSON that does not fit the protocol's model.

    ``path`` is a JSONPath-like location (``$.chatResult.score``) of the
    offending value, ``problem`` the bare description of what is wrong.
    """

    def __init__(self, path: str, problem: str, hint: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        message = f"{path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class InvalidPayloadError(ProtocolError):
    """A webhook request body (platform -> endpoint) does not fit the protocol."""


class InvalidResponseError(ProtocolError):
    """A webhook response body (endpoint -> platform) does not fit the protocol."""


class SerializationError(BotWebhookValueError):
    """A value cannot be written the way the platform's Gson writer would."""


class PayloadOptionError(BotWebhookValueError):
    """An option of the payload factory that cannot be honoured."""


class ConversationError(BotWebhookValueError):
    """A conversation the platform could not have had: an intent that cannot be
    found, a value a variable cannot take, a turn that contradicts a prompt.
    ``key`` names the turn's key at fault (``intent``, ``entities.guests``…)."""

    def __init__(self, message: str, key: str = "user") -> None:
        super().__init__(message)
        self.key = key


class ConversationFileError(ConversationError):
    """A conversation file that cannot be run: bad YAML, an unknown key, a missing
    ``user:``, an unknown intent or label.  The message names the file, the line
    and the key; ``path`` and ``line`` hold them."""

    def __init__(self, path: str, line: int, key: str, problem: str) -> None:
        super().__init__(
            f"{path}:{line}: {key}: {problem}" if key else f"{path}:{line}: {problem}", key
        )
        self.path = path
        self.line = line


class UnknownFixtureError(BotWebhookError, LookupError):
    """No canonical fixture has the requested name."""


def require_type(name: str, value: Any, expected: type | tuple[type, ...], hint: str) -> None:
    """Raise :class:`BotWebhookTypeError` naming ``name`` when ``value`` has the wrong type.

    ``bool`` is never accepted where ``int`` is asked for.
    """
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
        return
    names = " or ".join(t.__name__ for t in types)
    raise BotWebhookTypeError(f"expected {names} for {name}, got {describe(value)} (hint: {hint})")


class BotModelError(BotWebhookValueError):
    """A bot model (Python or TOML) that cannot describe a real bot."""


class CassetteError(BotWebhookValueError):
    """A cassette line that cannot be read: not JSON, an unknown format version, a
    truncated base64 body.  The message names the file and the line."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line


class UnmatchedCallError(AssertionError):
    """Calls reached the mock that no registered URL matches."""


class UnsupportedRegexError(BotWebhookValueError):
    """A regex that cannot be compiled or that this generator cannot satisfy."""


class ReplayRuleError(BotWebhookValueError):
    """An ignore rule that cannot be used."""


class TlsUnavailableError(BotWebhookError):
    """TLS was asked for but the ``cryptography`` package is not installed."""


class CodeCoverageError(BotWebhookError):
    """Handler code coverage cannot be measured here: coverage.py is missing or too
    old, the target is not in-process, or another tracer is running."""


_F = TypeVar("_F", bound=Callable[..., Any])


def renamed_keyword(old: str, new: str, *, removed_in: str) -> Callable[[_F], _F]:
    """Keep a renamed keyword argument working for a while: ``old=`` is passed on as
    ``new=`` with a :class:`DeprecationWarning` that says until when; both at once
    raise :class:`BotWebhookTypeError`."""

    def decorate(function: _F) -> _F:
        name = function.__qualname__

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # Not in pytest's tracebacks: the arguments are still raw here (a secret too).
            __tracebackhide__ = True
            if old in kwargs:
                if new in kwargs:
                    raise BotWebhookTypeError(
                        f"{name}() got both {old}= and {new}= (hint: {old}= is the old "
                        f"name of {new}=; pass {new}= only)"
                    )
                warnings.warn(
                    f"{name}({old}=...) is now {new}=...; {old}= will be removed in {removed_in}",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class BaselineError(BotWebhookValueError):
    """A baseline file that cannot be read: not JSON, another tool's, another format."""
