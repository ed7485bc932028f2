"""A throw-away self-signed certificate for local https (localhost, 127.0.0.1, ::1).

Needs the ``cryptography`` package (``pip install 'pytest-botwebhook[tls]'``):
writing X.509 by hand is not something to do ourselves.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from harness._errors import TlsUnavailableError

__all__ = ["TlsUnavailableError", "make_certificate"]


@dataclass(frozen=True, slots=True)
class Certificate:
    """Paths of a PEM certificate (also the CA bundle clients should trust) and key."""

    cert: Path
    key: Path


def make_certificate(folder: Path, *, days: int = 2) -> Certificate:
    """Write ``cert.pem`` and ``key.pem`` into ``folder`` and return their paths."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:
        raise TlsUnavailableError(
            "TLS needs the cryptography package (hint: pip install 'pytest-botwebhook[tls]')"
        ) from exc
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


def close_half_made(error: BaseException) -> None:
    """Close any TLS socket that ``SSLContext.wrap_socket`` made and then dropped while
    ``error`` (or an exception it was raised from) was being raised.

    Up to Python 3.12, ``SSLSocket._create`` takes over the socket it wraps and then
    raises without closing itself when the peer has already reset the connection:
    ``getpeername`` or its probe ``recv`` fails (CPython gh-113280). The socket is then
    closed only when the garbage collector finds it, with a ``ResourceWarning``. Both
    sides meet it: the server when a client leaves before the handshake, a client
    when a server resets a new connection.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            made = tb.tb_frame.f_locals.get("self")
            if tb.tb_frame.f_code.co_name == "_create" and isinstance(made, ssl.SSLSocket):
                with contextlib.suppress(OSError):
                    made.close()
            tb = tb.tb_next
        pending += [current.__cause__, current.__context__]
