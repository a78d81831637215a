"""The two JPKI certificate authorities (user authentication 利用者証明用, signing 署名用) and their
delegated OCSP responders. Keys and certificates live under `$KOFU_HOME/keys/jpki/`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kofu.jpki.keys import new_key, read_cert, read_key, write_cert, write_key
from kofu.settings import Settings
from kofu.wire.credentials import CertificateType
from kofu.x509ca import self_signed_ca

CA_YEARS = 20
RESPONDER_DAYS = 2 * 365
RESPONDER_RENEW = timedelta(days=30)  # `init` renews a responder certificate ending sooner than this
CA_TITLES: dict[CertificateType, str] = {
    "auth": "kofu JPKI User Authentication CA (TEST)",
    "sign": "kofu JPKI Signing CA (TEST)",
}


class JpkiNotInitialised(Exception):
    """The authorities' keys are missing: run `kofu jpki init`."""


def new_serial() -> int:
    """A random positive certificate serial that fits a signed 64-bit column."""
    return secrets.randbits(62) | (1 << 62)


@dataclass(frozen=True)
class Authority:
    """One CA: its key and self-signed certificate, and its delegated OCSP responder."""

    ca: CertificateType
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    responder_key: rsa.RSAPrivateKey
    responder_cert: x509.Certificate


@dataclass(frozen=True)
class Authorities:
    """Both authorities."""

    auth: Authority
    sign: Authority

    def get(self, ca: CertificateType) -> Authority:
        """The authority named `ca`."""
        return self.auth if ca == "auth" else self.sign


def keys_dir(settings: Settings) -> Path:
    """Where the jpki keys live."""
    return settings.home / "keys" / "jpki"


def _ca_cert(ca: CertificateType, key: rsa.RSAPrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kofu"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_TITLES[ca]),
        ]
    )
    return self_signed_ca(key, name, serial=new_serial(), now=now, years=CA_YEARS)


def _responder_cert(
    ca: CertificateType,
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    key: rsa.RSAPrivateKey,
    now: datetime,
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kofu"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_TITLES[ca]} OCSP responder"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=RESPONDER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _paths(folder: Path, ca: CertificateType) -> tuple[Path, Path, Path, Path]:
    return (
        folder / f"{ca}-ca.key",
        folder / f"{ca}-ca.pem",
        folder / f"{ca}-ocsp.key",
        folder / f"{ca}-ocsp.pem",
    )


def init_authorities(folder: Path, now: datetime | None = None) -> tuple[Authorities, bool]:
    """Create both authorities in `folder` unless they exist; return them and whether they were new.

    An existing authority's responder certificate ending within RESPONDER_RENEW (or ended) is renewed
    with a fresh key: clients believe no answer signed under an expired responder certificate.
    """
    now = now or datetime.now(UTC)
    created = False
    for ca in ("auth", "sign"):
        key_path, cert_path, rkey_path, rcert_path = _paths(folder, ca)
        if key_path.exists() and cert_path.exists():
            _renew_responder(ca, folder, now)
            continue
        created = True
        key = new_key()
        cert = _ca_cert(ca, key, now)
        rkey = new_key()
        write_key(key_path, key)
        write_cert(cert_path, cert)
        write_key(rkey_path, rkey)
        write_cert(rcert_path, _responder_cert(ca, key, cert, rkey, now))
    return load_authorities(folder), created


def _renew_responder(ca: CertificateType, folder: Path, now: datetime) -> None:
    key_path, cert_path, rkey_path, rcert_path = _paths(folder, ca)
    if rcert_path.exists() and read_cert(rcert_path).not_valid_after_utc - now > RESPONDER_RENEW:
        return
    key, cert = read_key(key_path), read_cert(cert_path)
    rkey = new_key()
    write_key(rkey_path, rkey)
    write_cert(rcert_path, _responder_cert(ca, key, cert, rkey, now))


def _load(folder: Path, ca: CertificateType) -> Authority:
    key_path, cert_path, rkey_path, rcert_path = _paths(folder, ca)
    if not all(p.exists() for p in (key_path, cert_path, rkey_path, rcert_path)):
        raise JpkiNotInitialised(f"jpki keys missing in {folder}: run `kofu jpki init`")
    return Authority(ca, read_key(key_path), read_cert(cert_path), read_key(rkey_path), read_cert(rcert_path))


def load_authorities(folder: Path) -> Authorities:
    """Load both authorities from `folder` (raises JpkiNotInitialised when missing)."""
    return Authorities(auth=_load(folder, "auth"), sign=_load(folder, "sign"))
