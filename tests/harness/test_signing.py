"""Signing: vectors, openssl cross-check, constant-time verify, secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness import generate_secret, sign, verify
from harness.errors import BotWebhookTypeError, InvalidSecretError
from harness.protocol import redact_secret, signature_problem

VECTOR_SECRET = "2fb71ab6057e6f3d652c7e1131db962af27fda4f"


def _vector_body(vector: dict[str, Any], shared: Path) -> bytes:
    if "body_file" in vector:
        body = (shared / vector["body_file"]).read_bytes()
        assert len(body) == vector["body_bytes"]
        return body
    return str(vector["body_text"]).encode("utf-8")


def test_shared_vectors(signature_vectors: list[dict[str, Any]], shared_vectors: Path) -> None:
    assert len(signature_vectors) == 2
    for vector in signature_vectors:
        body = _vector_body(vector, shared_vectors)
        assert sign(body, vector["secret"]) == vector["header"], vector["name"]
        assert verify(body, vector["header"], vector["secret"])


def test_vectors_match_the_shared_copy(shared_vectors: Path) -> None:
    """The vectors shipped with the tests are the protocol's own, byte for byte."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "vectors"
    if not shared.is_dir():
        pytest.skip("no ../shared/vectors beside this checkout to compare with")
    names = sorted(p.name for p in shared.iterdir())
    assert names == sorted(p.name for p in shared_vectors.iterdir())
    for name in names:
        assert (shared / name).read_bytes() == (shared_vectors / name).read_bytes(), name


def test_known_values_without_shared_folder() -> None:
    assert sign(b"ThisIsAMessage", "123456") == (
        "sha256=13f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2"
    )


def test_key_is_the_secret_text_not_hex_decoded() -> None:
    body = b"{}"
    assert sign(body, VECTOR_SECRET) != sign(body, bytes.fromhex(VECTOR_SECRET))
    assert sign(body, VECTOR_SECRET) == sign(body, VECTOR_SECRET.encode())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_cross_check_with_openssl(tmp_path: Path) -> None:
    body = '{"q":"caf\u00e9 \\u0027 🍕"}'.encode()
    path = tmp_path / "body.json"
    path.write_bytes(body)
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", VECTOR_SECRET, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    digest = re.search(r"([0-9a-f]{64})\s*$", out)
    assert digest is not None, out
    assert sign(body, VECTOR_SECRET) == "sha256=" + digest.group(1)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "no signature"),
        ("13f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2", "start with"),
        ("sha1=13f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2", "start with"),
        ("sha256=13f5ef19", "8 characters, not 64"),
        (
            "sha256=13f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2ff",
            "66 characters",
        ),
        (
            "sha256=z3f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2",
            "not hexadecimal",
        ),
        (
            "sha256=03f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2",
            "does not match",
        ),
        (" sha256=13f5ef193847035a837ef7123ffe2efd4748f57f0be74c3897f82064443457f2", "start with"),
    ],
)
def test_verify_rejects(header: str | None, reason: str) -> None:
    assert not verify(b"ThisIsAMessage", header, "123456")
    problem = signature_problem(b"ThisIsAMessage", header, "123456")
    assert problem is not None
    assert reason in problem


def test_verify_accepts_uppercase_hex_digest() -> None:
    header = "sha256=" + sign(b"x", "k").split("=", 1)[1].upper()
    assert verify(b"x", header, "k")


def test_verify_uses_a_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac as hmac_module

    calls: list[tuple[str, str]] = []
    real = hmac_module.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("harness.protocol._signing.hmac.compare_digest", spy)
    assert verify(b"x", sign(b"x", "k"), "k")
    assert len(calls) == 1


def test_signature_covers_every_byte() -> None:
    header = sign(b'{"a":1}', "k")
    assert not verify(b'{"a": 1}', header, "k")
    assert not verify(b'{"a":1}\n', header, "k")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: sign("text", "k"), BotWebhookTypeError, r"for body, got 'text' \(str\)"),
        (lambda: sign(b"x", 42), BotWebhookTypeError, r"for secret, got a value of type int"),
        (lambda: sign(b"x", ""), InvalidSecretError, "secret is empty"),
        (lambda: verify(b"x", b"sha256=00", "k"), BotWebhookTypeError, "for header_value"),
        (lambda: verify(b"x", None, ""), InvalidSecretError, "generate_secret"),
    ],
)
def test_bad_arguments_name_themselves(call, error: type[Exception], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_generate_secret_is_platform_style_and_random() -> None:
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(re.fullmatch(r"[0-9a-f]{40}", s) for s in secrets)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (VECTOR_SECRET, "2fb7…(40 chars)"),
        ("123456", "…(6 chars)"),
        (b"bytes-secret-value", "byte…(18 chars)"),
        (None, "<not a secret: NoneType>"),
    ],
)
def test_redact_secret_never_shows_the_whole_secret(secret: object, shown: str) -> None:
    assert redact_secret(secret) == shown  # type: ignore[arg-type]


# -- signed=: the flag, and its old name -------------------------------------------------


def _public_callables_taking_signed() -> list[Any]:
    import dataclasses
    import inspect

    import harness
    import harness.checks
    import harness.conversations

    found = {}
    for namespace in (harness, harness.checks, harness.conversations):
        for name in namespace.__all__:
            value = getattr(namespace, name)
            for member in [value, *(getattr(value, m) for m in ("deliver",) if hasattr(value, m))]:
                try:
                    parameters = inspect.signature(member).parameters
                except (TypeError, ValueError):  # not a function (a type alias, a builtin)
                    continue
                if "signed" in parameters and not dataclasses.is_dataclass(member):  # a record
                    found[member.__qualname__] = member
    return sorted(found.values(), key=lambda f: f.__qualname__)


def test_every_public_callable_with_signed_still_takes_sign() -> None:
    callables = _public_callables_taking_signed()
    names = {f.__qualname__ for f in callables}
    assert {"deliver", "run_check", "fuzz", "survey", "Conversation", "run_conversation",
            "Scenario.deliver"} <= names  # fmt: skip
    for function in callables:
        assert hasattr(function, "__wrapped__") or hasattr(function.__init__, "__wrapped__"), (
            function.__qualname__
        )


def test_the_old_name_signs_the_same_with_a_warning() -> None:
    from harness import deliver, load_target
    from harness.reference import make_app

    target = load_target(make_app(secret=VECTOR_SECRET))
    body = b'{"intentName": "x"}'
    with pytest.warns(DeprecationWarning, match=r"deliver\(sign=...\) is now signed=...; .*0\.3"):
        old = deliver(target, body, secret=VECTOR_SECRET, sign=False)
    new = deliver(target, body, secret=VECTOR_SECRET, signed=False)
    assert old.sent.headers == new.sent.headers
    assert "X-Hub-Signature" not in old.sent.headers
    with pytest.raises(BotWebhookTypeError, match=r"both sign= and signed="):
        deliver(target, body, secret=VECTOR_SECRET, sign=True, signed=True)
