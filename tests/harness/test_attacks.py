"""What anyone can send, decided by bytes: each form reachable, the simplest at zero,
never a valid signature, and a batch's cases made only when read."""

from __future__ import annotations

import hmac
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checks import _strategies as bst
from harness.checks._attacks import (
    MALFORMED_WIDTH,
    SIGNATURE_WIDTH,
    Decided,
    attack_from,
    malformed_from,
    wrong_signature_from,
)
from harness.errors import InvalidPayloadError
from harness.protocol import WebhookRequest

SECRET = "attack-test-secret"


def _decided(form: int, width: int, rest: bytes = b"") -> bytes:
    return (bytes([form]) + rest).ljust(width, b"\0")


def test_all_zero_bytes_are_the_simplest_cases() -> None:
    assert malformed_from(bytes(MALFORMED_WIDTH)) == b""
    assert wrong_signature_from(bytes(SIGNATURE_WIDTH)) == "0" * 64  # no sha256= prefix


def test_every_malformed_form_is_reachable_and_none_is_a_request() -> None:
    bodies = [malformed_from(_decided(form, MALFORMED_WIDTH, b"\x05\x07")) for form in range(7)]
    assert bodies[1].startswith(b"{")
    assert bodies[2].startswith(b'{"q":"\xff')
    assert bodies[5].startswith(b"[[")
    assert bodies[5].endswith(b"]]")
    assert len(bodies[6]) > 100_000
    assert type(bodies[5]) is not bytes
    assert type(bodies[6]) is not bytes
    for body in bodies:
        with pytest.raises(InvalidPayloadError):
            WebhookRequest.from_bytes(body)


def test_the_smallest_nesting_and_invalid_utf8_are_small() -> None:
    assert malformed_from(_decided(5, MALFORMED_WIDTH)) == b"[[]]"
    assert malformed_from(_decided(2, MALFORMED_WIDTH)) == b'{"q":"\xff\x00"}'


@settings(max_examples=300)
@given(st.binary(min_size=SIGNATURE_WIDTH, max_size=SIGNATURE_WIDTH), st.binary(max_size=50))
def test_a_wrong_signature_is_never_right(decided: bytes, body: bytes) -> None:
    correct = "sha256=" + hmac.new(SECRET.encode(), body, sha256).hexdigest()
    made = wrong_signature_from(decided, correct)
    assert made != correct
    assert "\r" not in made
    assert "\n" not in made
    if made.startswith("sha256=") and all(c in "0123456789abcdef" for c in made[7:]):
        assert len(made) != 71 or decided[0] % 5 == 4  # only a digest of something else


def test_a_digest_that_happens_to_be_right_is_changed() -> None:
    body = b"{}"
    digest = hmac.new(SECRET.encode(), body, sha256).digest()
    correct = "sha256=" + digest.hex()
    made = wrong_signature_from(bytes([4]) + digest + bytes(33), correct)
    assert made != correct
    assert made[:-1] == correct[:-1]


def test_a_wrong_length_sha256_is_never_64_digits() -> None:
    made = wrong_signature_from(_decided(2, SIGNATURE_WIDTH, bytes([64]) + b"\xab" * 40))
    assert made == "sha256=" + "ab" * 31 + "a"


def test_an_unsigned_target_gets_its_malformed_bodies_as_they_are() -> None:
    for byte in range(4):
        kind, body, signature = attack_from(bytes([byte, 0, 1]).ljust(111, b"\1"), None,
                                            ("malformed",), signing=False)  # fmt: skip
        assert kind == "malformed"
        assert isinstance(body, bytes)
        assert signature is None


def test_a_signed_target_gets_probes_on_the_payload_given() -> None:
    kinds = ("wrong-signature", "missing-signature", "malformed")
    wrong = attack_from(bytes(111), "payload", kinds, signing=True)
    assert wrong == ("wrong-signature", "payload", "0" * 64)
    assert attack_from(bytes([1]) + bytes(110), "payload", kinds, signing=True) == (
        "missing-signature", "payload", None,
    )  # fmt: skip
    _, body, signature = attack_from(bytes([2, 0, 1]) + bytes(108), "payload", kinds, True)
    assert body == b""
    assert signature == "0" * 64


def test_a_batch_makes_only_the_cases_read() -> None:
    made: list[bytes] = []

    def make(decided: bytes) -> bytes:
        made.append(decided)
        return decided * 2

    cases = Decided([b"a", b"b", b"c"], make)
    assert len(cases) == 3
    assert made == []
    assert cases[1] == b"bb"
    assert cases[1] == b"bb"
    assert cases[-1] == b"cc"
    assert made == [b"b", b"c"]  # each made once, when first read
    assert "3 cases" in repr(cases)


@settings(max_examples=20, deadline=None)  # the first builds every plan
@given(bst.payload_batches(4))
def test_a_batch_of_payloads_is_that_many_platform_exact_payloads(batch: object) -> None:
    payloads = list(batch)  # type: ignore[call-overload]
    assert len(payloads) == 4
    for payload in payloads:
        assert WebhookRequest.from_bytes(payload.body).to_bytes() == payload.body
