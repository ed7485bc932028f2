"""What anyone on the network can send, each case decided by a string of bytes.

A wrong signature, a malformed body and an attacker's whole case are each made
from a fixed number of bytes, drawn by Hypothesis as one choice: Hypothesis
spends about as much on each choice it draws as on a whole call, and it shrinks
a byte string byte by byte, each toward 0, so that the first byte (the form) and
then each of the others shrink toward the simplest case.  The strategies of
``harness.strategies`` (``malformed_bodies``, ``signatures``) and the fuzzer's
attacker phase are all made from these decoders, so each form is written once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "MALFORMED_WIDTH",
    "SIGNATURE_WIDTH",
    "Decided",
    "attack_batches",
    "attack_cases",
    "fixed_bytes",
    "malformed_from",
    "wrong_signature_from",
]

#: The bytes a wrong signature is made from: its form, then at most 65 more.
SIGNATURE_WIDTH = 66
#: The bytes a malformed body is made from: its form, then at most 41 more.
MALFORMED_WIDTH = 42


def wrong_signature_from(decided: bytes, correct: str | None = None) -> str:
    """A present, wrong ``X-Hub-Signature`` (``decided``: :data:`SIGNATURE_WIDTH`
    bytes): a digest with no ``sha256=`` prefix, another algorithm's, a ``sha256=``
    of the wrong length, any header-safe text, or a well-formed digest of something
    else (never ``correct``)."""
    form, rest = decided[0] % 5, decided[1:]
    if form == 0:
        return rest[:32].hex()
    if form == 1:
        return "sha1=" + rest[:20].hex()
    if form == 2:  # 0 to 80 hex digits, never the 64 of a sha256
        size = rest[0] % 81
        return "sha256=" + rest[1:41].hex()[: size if size != 64 else 63]
    if form == 3:  # any header-safe text (HTTP forbids CR and LF in header values)
        return "sha256=" + bytes(0x20 + byte % 95 for byte in rest[1:65]).decode("ascii")
    made = "sha256=" + rest[:32].hex()
    return made if made != correct else made[:-1] + ("0" if made[-1] != "0" else "1")


#: Characters a malformed body's text is made of, one a byte: ASCII, JSON's own
#: punctuation, controls, and characters that trip decoders and escapers.
_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "".join(chr(c) for c in range(0x20))
    + "\x7f\u00a0\u00e9\u00ff\u0100\u0301\u05d0\u200b\u200e\u2028\u2029\ufeff\ufffd"
    + "\u4e2d\U0001f600\U0001f44d\U0010ffff"
)


@cache
def _canonical() -> tuple[list[bytes], list[bytes]]:
    """The canonical request bodies (to truncate), and bodies with the right keys and
    values of the wrong types (every combination of a few of each)."""
    from harness.protocol._fixtures import fixture_names, load_fixture

    valid = [load_fixture(name) for name in fixture_names("request")]
    wrong_types = [
        json.dumps(
            {
                "intentName": name,
                "chatResult": chat,
                "variablesMap": by_label,
                "memoryVariables": variables,
            }
        ).encode()
        for name in (0, -1, 2**63, [], [1, 2])
        for chat in ([], [0], "", "é\u2028<", 7)
        for by_label in ("", "x", 0, -(10**30))
        for variables in ({}, {"a": 0}, {"": 1, "\u00e9": -2})
    ]
    return valid, wrong_types


def malformed_from(decided: bytes) -> bytes:
    """A body no platform sends (``decided``: :data:`MALFORMED_WIDTH` bytes), the
    simplest forms first: a short JSON value that is not an object, ``{`` and
    text, invalid UTF-8 in a string, a canonical request cut short, the right keys
    with values of the wrong types, deep nesting (2 to 3,000), a huge string (100 to
    300 kB)."""
    form, rest = decided[0] % 7, decided[1:]
    if form == 0:
        return (b"", b"null", b"[]", b"true", b'"text"', b"{}")[rest[0] % 6]
    if form == 1:
        size = rest[0] % 41
        return ("{" + "".join(_CHARS[byte % len(_CHARS)] for byte in rest[1 : 1 + size])).encode()
    if form == 2:
        return b'{"q":"\xff' + rest[1 : 2 + rest[0] % 40] + b'"}'
    valid, wrong_types = _canonical()
    number = int.from_bytes(rest[1:4], "big")
    if form == 3:
        body = valid[rest[0] % len(valid)]
        return body[: number % len(body)]
    if form == 4:
        return wrong_types[int.from_bytes(rest[:2], "big") % len(wrong_types)]
    if form == 5:
        depth = 2 + int.from_bytes(rest[:2], "big") % 2999
        return _Large(b"[" * depth + b"]" * depth)
    return _Large(b'{"query":"' + b"x" * (100_000 + number % 200_001) + b'"}')


class _Large(bytes):
    """A large body, as bytes.  Hypothesis keeps every ``bytes`` value a run drew with
    the examples it caches (thousands of them), and only a weak reference to other
    values, which a ``bytes`` subclass cannot have: a subclass is not kept, so a
    long run's memory does not grow by the huge bodies it sent
    (``bench/memory.py``)."""

    __slots__ = ()


#: An attacker's case: its kind, the payload it takes (of those given), whether a
#: malformed body goes with no signature, then a wrong signature and a malformed body.
_CASE_WIDTH = 3 + SIGNATURE_WIDTH + MALFORMED_WIDTH


def _kinds(secret: bool, signing: bool) -> tuple[str, ...]:
    """The kinds of case anyone can send: a payload with a wrong or no signature (when
    there is a ``secret`` and calls are signed), and a malformed body."""
    return (
        ("wrong-signature", "missing-signature", "malformed")
        if secret and signing
        else ("malformed",)
    )


def attack_from(
    decided: bytes, payload: Any, kinds: tuple[str, ...], signing: bool
) -> tuple[str, Any, str | None]:
    """The ``(kind, body, signature)`` ``decided`` stands for (``_CASE_WIDTH`` bytes;
    ``payload``: the valid payload a signature probe sends): a malformed body goes
    unsigned or with a signature that cannot be right, or as it is to an unsigned
    target."""
    kind = kinds[decided[0] % len(kinds)]
    signature = decided[3 : 3 + SIGNATURE_WIDTH]
    if kind == "wrong-signature":
        return kind, payload, wrong_signature_from(signature)
    if kind == "missing-signature":
        return kind, payload, None
    body = malformed_from(decided[3 + SIGNATURE_WIDTH :])
    wrong = signing and decided[2] % 2 == 1
    return kind, body, wrong_signature_from(signature) if wrong else None


def attack_cases(payloads: Any, secret: bool, signing: bool) -> SearchStrategy[Any]:
    """What anyone on the network can send, as ``(kind, body, signature)``: each case
    one choice of bytes, with a payload of ``payloads`` (a strategy)."""
    from hypothesis import strategies as st

    kinds = _kinds(secret, signing)
    return st.tuples(fixed_bytes(_CASE_WIDTH), payloads).map(
        lambda pair: attack_from(pair[0], pair[1], kinds, signing)
    )


def attack_batches(
    count: int, accepted: Sequence[Any], secret: bool, signing: bool
) -> SearchStrategy[Sequence[Any]]:
    """``count`` cases of :func:`attack_cases`, each one choice, their signature probes
    sent with payloads of ``accepted`` (a byte of each case picks one), each made
    when first read."""
    from hypothesis import strategies as st

    kinds = _kinds(secret, signing)
    taken = list(accepted)

    def case(decided: bytes) -> Any:
        return attack_from(decided, taken[decided[1] % len(taken)], kinds, signing)

    # One choice a case, not one for the batch: Hypothesis's byte shrinker tries
    # every byte of a choice, and a batch of cases is 1,776 bytes.
    return st.tuples(*[fixed_bytes(_CASE_WIDTH)] * count).map(lambda cases: Decided(cases, case))


def fixed_bytes(width: int) -> SearchStrategy[bytes]:
    """Byte strings of exactly ``width`` bytes, one Hypothesis choice each."""
    from hypothesis import strategies as st

    return st.binary(min_size=width, max_size=width)


class Decided(Sequence[Any]):
    """The cases a batch's decisions stand for, each made when first read (a batch's
    calls after its first failure, or left out, are never made)."""

    def __init__(self, decisions: Sequence[bytes], make: Callable[[bytes], Any]) -> None:
        self._decisions = decisions
        self._make = make
        self._made: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._decisions)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]  # from the end when negative; IndexError past it
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = self._make(self._decisions[index])
        return made

    def __repr__(self) -> str:
        return f"<{len(self)} cases decided by {b''.join(self._decisions).hex()}>"
