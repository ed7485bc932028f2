"""A throw-away self-signed certificate for local https (localhost, 127.0.0.1, ::1).

Needs the ``cryptography`` package (``pip install 'pytest-botwebhook[tls]'``):
writing X.509 by hand is not something to do ourselves.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from harness._errors import BotWebhookError

__all__ = ["TlsUnavailableError", "make_certificate"]


class TlsUnavailableError(BotWebhookError):
    """TLS was asked for but the ``cryptography`` package is not installed."""


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
