"""The headers the platform sends (docs/protocol.md, section 2): Jersey's on the POST,
and Java's own on the GET that follows a 301, 302 or 303."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

from harness.protocol._signing import SIGNATURE_HEADER

__all__ = [
    "HOP_BY_HOP",
    "JAVA_ACCEPT",
    "JAVA_USER_AGENT",
    "JERSEY_USER_AGENT",
    "KeptHeaders",
    "end_to_end",
    "find_header",
    "kept_headers",
    "platform_headers",
    "redirect_headers",
    "shared_headers",
]

JERSEY_USER_AGENT = "Jersey/2.27 (HttpUrlConnection 1.8.0_222)"
#: HttpURLConnection's own User-Agent: what a redirected GET carries (Jersey's is gone).
JAVA_USER_AGENT = "Java/1.8.0_222"
JAVA_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"


def find_header(headers: Mapping[str, str] | Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case) in a mapping or in (name, value)
    pairs, or None: the one header lookup of the package."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    lowered = name.lower()
    return next((v for k, v in pairs if k.lower() == lowered), None)


@functools.lru_cache(maxsize=4096)
def _length(size: int) -> str:
    """A ``Content-Length``: one string per size, however many calls a run keeps."""
    return str(size)


def platform_headers(body: bytes, signature: str | None) -> dict[str, str]:
    """The headers the platform sends, in its order."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": JERSEY_USER_AGENT,
        "Accept": JAVA_ACCEPT,
        "Content-Length": _length(len(body)),
    }
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return headers


def redirect_headers() -> dict[str, str]:
    """What Java's ``HttpURLConnection`` sends on the GET that follows a 301, 302 or
    303 to a POST: it starts the request over with its defaults only (no body, no
    Content-Type or Content-Length, no signature, its own User-Agent)."""
    return {"User-Agent": JAVA_USER_AGENT, "Accept": JAVA_ACCEPT, "Connection": "keep-alive"}


#: Headers of one connection, not of the message: never passed on, either way
#: (RFC 9110 §7.6.1, with the proxy's own credentials; the length is the new
#: connection's own, written again).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "expect", "upgrade",
     "proxy-connection", "content-length", "trailer", "proxy-authorization",
     "proxy-authenticate"}
)  # fmt: skip


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a proxy passes on, in order, repeated ones each time: without the
    hop-by-hop ones and without those the ``Connection`` header names (RFC 9110
    §7.6.1)."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(k, v) for k, v in pairs if k.lower() not in HOP_BY_HOP and k.lower() not in named]


#: Answer headers shared between in-process answers that carry the same ones (an app's
#: answers mostly do): a long run keeps a dict per distinct set, not one per call.
#: ``Received`` is frozen: its headers are read, never changed.
_SHARED_HEADERS: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_MAX_SHARED = 256


def shared_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """``dict(pairs)``, the same dict for the same pairs (at most ``_MAX_SHARED`` kept)."""
    try:
        key = tuple(pairs)
        found = _SHARED_HEADERS.get(key)
    except TypeError:  # a value that cannot be hashed: the app's mistake, kept as it is
        return dict(pairs)
    if found is None:
        if len(_SHARED_HEADERS) >= _MAX_SHARED:
            _SHARED_HEADERS.clear()
        found = _SHARED_HEADERS[key] = dict(key)
    return found


class KeptHeaders(Mapping[str, str]):
    """A request's headers as a long run keeps them for a passing call: the headers
    every call shares (one dict per distinct set, at most ``_MAX_SHARED`` kept), then
    its ``Content-Length`` (one string per size) and its own signature, in the
    platform's order.  Read-only."""

    __slots__ = ("_length", "_shared", "_signature")

    def __init__(self, shared: dict[str, str], length: str, signature: str) -> None:
        self._shared = shared
        self._length = length
        self._signature = signature

    def __getitem__(self, name: str) -> str:
        if name == SIGNATURE_HEADER:
            return self._signature
        if name == "Content-Length":
            return self._length
        return self._shared[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._shared
        yield "Content-Length"
        yield SIGNATURE_HEADER

    def __len__(self) -> int:
        return len(self._shared) + 2

    def __repr__(self) -> str:
        return repr(dict(self))


def kept_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """``headers`` as a long run keeps them (:class:`KeptHeaders`): the same values in
    the same order, in a quarter of the memory of a dict per call, when they end with
    ``Content-Length`` and the signature (the platform's order); else ``headers`` as
    they are."""
    names = list(headers)
    if (
        names[-2:] != ["Content-Length", SIGNATURE_HEADER]
        or len(set(names)) != len(names)
        or not headers["Content-Length"].isdigit()
    ):
        return headers
    shared = shared_headers([(name, headers[name]) for name in names[:-2]])
    return KeptHeaders(shared, _length(int(headers["Content-Length"])), headers[SIGNATURE_HEADER])
