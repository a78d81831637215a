"""Test material for the card tests: test CAs and end-entity certificates made with `cryptography`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kofu.card.cardfile import Credential

MANAGEMENT_KEY = bytes(range(32))
PIN = "1234"
SIGN_PASSWORD = "ABC123"
FACE = b"face-of-the-holder"
MakeCard = Callable[..., Path]  # the make_card fixture: (kind="card", name=None) -> card file path


@dataclass(frozen=True)
class Material:
    """Keys and certificates for one test card."""

    auth: Credential
    sign: Credential


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _cert(
    subject: str, key: rsa.RSAPrivateKey, issuer: str, issuer_key: rsa.RSAPrivateKey, ca: bool, serial: int
) -> bytes:
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_material() -> Material:
    """Two CAs (user authentication, signing) and a card's two end-entity certs (RSA-2048, SHA-256)."""
    auth_ca, sign_ca, auth, sign = _rsa(), _rsa(), _rsa(), _rsa()
    auth_ca_der = _cert(
        "kofu test JPKI user-authentication CA",
        auth_ca,
        "kofu test JPKI user-authentication CA",
        auth_ca,
        True,
        1,
    )
    sign_ca_der = _cert("kofu test JPKI signing CA", sign_ca, "kofu test JPKI signing CA", sign_ca, True, 2)
    auth_der = _cert(
        "kofu test card auth", auth, "kofu test JPKI user-authentication CA", auth_ca, False, 0x1001
    )
    sign_der = _cert("kofu test card sign", sign, "kofu test JPKI signing CA", sign_ca, False, 0x2001)
    return Material(Credential(auth, auth_der, auth_ca_der), Credential(sign, sign_der, sign_ca_der))
