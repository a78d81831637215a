"""A municipality's sealing keys, generated on first use under `$KOFU_HOME/keys/documents/<code>/`.

- a document CA (self-signed) and the document-signing certificate it issues (PAdES seal of the PDF);
- the COSE key (ES256) that signs the code on each back.
Both are EC P-256: fast to generate and to sign. Files are owner-only (0600); each set is loaded once
per process. These are TEST KEYS: production keys come from the municipality's HSM, not from here.
Only the municipal server holds them; what others may know of them is `SealingKeys.published`
(`kofu.documents.published`). The content copy is encrypted to the verification service's public key,
which the municipal server is given (`kofu.documents.published.load_verifier_public`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kofu.documents.cose import key_id
from kofu.documents.published import PublishedKeys

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

CA_YEARS = 20
SIGNER_YEARS = 5
_FILES = ("ca.key.pem", "ca.cert.pem", "signer.key.pem", "signer.cert.pem", "cose.key.pem")
# Made by kofu before the verification service had its own key (keys/verify/); no longer read.
LEGACY_VERIFIER_FILE = "verifier.key.pem"


@dataclass(frozen=True)
class SealingKeys:
    """Everything one municipality needs to seal documents: held by its municipal server only."""

    code: str
    name: str
    ca_cert: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    signer_cert: x509.Certificate
    cose_key: ec.EllipticCurvePrivateKey

    @cached_property
    def cose_kid(self) -> bytes:
        """The key id put in each COSE_Sign1's protected header."""
        return key_id(self.cose_key.public_key())

    @cached_property
    def published(self) -> PublishedKeys:
        """What the municipality publishes of these keys: certificates and the COSE public key."""
        return PublishedKeys(
            code=self.code,
            name=self.name,
            ca_cert=self.ca_cert,
            signer_cert=self.signer_cert,
            cose_public=self.cose_key.public_key(),
            cose_kid=self.cose_kid,
        )

    @cached_property
    def pades_signer(self) -> SimpleSigner:
        """A pyHanko signer for the PDF seal, built once (parsing keys per signature is slow)."""
        from kofu.documents.seal import make_signer

        return make_signer(self)


def keys_dir(home: Path, code: str) -> Path:
    """Where a municipality's sealing keys live."""
    return home / "keys" / "documents" / code


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    public: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    years: int,
    now: dt.datetime,
) -> x509.Certificate:
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    usage.update({"key_cert_sign": True, "crl_sign": True} if ca else {"digital_signature": True})
    usage["content_commitment"] = not ca
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CODE_SIGNING]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def generate(folder: Path, code: str, name: str) -> None:
    """Create a fresh set of sealing keys for municipality `code` (`name`) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{name} 証明書発行 CA ({code}) TEST", name)
    ca_cert = _cert(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, years=CA_YEARS, now=now)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_name = _name(f"{name}長 電子公印 ({code}) TEST", name)
    signer_cert = _cert(
        signer_name, ca_name, signer_key.public_key(), ca_key, ca=False, years=SIGNER_YEARS, now=now
    )
    files = {
        "ca.key.pem": _pem_key(ca_key),
        "ca.cert.pem": _pem_cert(ca_cert),
        "signer.key.pem": _pem_key(signer_key),
        "signer.cert.pem": _pem_cert(signer_cert),
        "cose.key.pem": _pem_key(ec.generate_private_key(ec.SECP256R1())),
    }
    for file, data in files.items():  # the marker file last: a set is complete once it exists
        _write(folder / file, data)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key")
    return key


def _load(folder: Path, code: str, name: str) -> SealingKeys:
    return SealingKeys(
        code=code,
        name=name,
        ca_cert=x509.load_pem_x509_certificate((folder / "ca.cert.pem").read_bytes()),
        signer_key=_load_key(folder / "signer.key.pem"),
        signer_cert=x509.load_pem_x509_certificate((folder / "signer.cert.pem").read_bytes()),
        cose_key=_load_key(folder / "cose.key.pem"),
    )


_CACHE: dict[tuple[str, str], SealingKeys] = {}


def sealing_keys(home: Path, code: str, name: str) -> SealingKeys:
    """The sealing keys of municipality `code`, generated on first use, loaded once per process."""
    folder = keys_dir(home, code).resolve()
    cached = _CACHE.get((str(folder), code))
    if cached is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a") as lock:  # one generator at a time across processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all((folder / f).exists() for f in _FILES):
            generate(folder, code, name)
        keys = _load(folder, code, name)
    _CACHE[(str(folder), code)] = keys
    return keys


def legacy_verifier_keys(home: Path) -> list[Path]:
    """Verifier private keys an older kofu left in municipalities' folders (never read now)."""
    root = home / "keys" / "documents"
    return sorted(root.glob(f"*/{LEGACY_VERIFIER_FILE}")) if root.is_dir() else []
