"""Is this the user-authentication certificate of a card from our authority, valid now?

Parsing and the chain check (one RSA verification against the CA key) depend only on the certificate
bytes, so their outcome is kept in a bounded in-process cache keyed by the SHA-256 of the DER. The
cache is pure: losing it costs time, never correctness. Validity is checked on every call.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.rules.reasons import Reason
from kofu.wire.credentials import CredentialKind, certificate_type, credential_kind

CACHE_SIZE = 4096


@dataclass(frozen=True)
class CheckedCertificate:
    """A user-authentication certificate whose chain to our authority holds."""

    cert: x509.Certificate
    public_key: rsa.RSAPublicKey
    serial: int
    credential: CredentialKind
    digest: bytes  # SHA-256 of the DER: what documents bind to
    not_before: datetime
    not_after: datetime


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or cert.signature_hash_algorithm is None:
        return False
    try:
        key.verify(
            cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
        )
    except InvalidSignature:
        return False
    return True


class CertificateChecker:
    """Checks certificates against the user-authentication CA (and recognises the signing CA)."""

    def __init__(
        self, auth_ca: x509.Certificate, sign_ca: x509.Certificate | None = None, cache_size: int = CACHE_SIZE
    ) -> None:
        self.auth_ca = auth_ca
        self.sign_ca = sign_ca
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, CheckedCertificate | Reason] = OrderedDict()

    def _chain(self, der: bytes, digest: bytes) -> CheckedCertificate | Reason:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return Reason.BAD_REQUEST
        if self.sign_ca is not None and _signed_by(cert, self.sign_ca):
            return Reason.WRONG_CERTIFICATE_TYPE  # a signing certificate offered for authentication
        if not _signed_by(cert, self.auth_ca):
            return Reason.CERTIFICATE_UNKNOWN_CA
        if certificate_type(cert) != "auth":
            return Reason.WRONG_CERTIFICATE_TYPE
        try:
            kind = credential_kind(cert)
        except ValueError:
            return Reason.WRONG_CERTIFICATE_TYPE
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return Reason.WRONG_CERTIFICATE_TYPE
        return CheckedCertificate(
            cert, key, cert.serial_number, kind, digest, cert.not_valid_before_utc, cert.not_valid_after_utc
        )

    def check(self, der: bytes, now: datetime) -> CheckedCertificate | Reason:
        """The checked certificate, or why it cannot authenticate anyone now."""
        digest = hashlib.sha256(der).digest()
        found = self._cache.get(digest)
        if found is None:
            found = self._chain(der, digest)
            if self.cache_size > 0:
                self._cache[digest] = found
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        if isinstance(found, Reason):
            return found
        if now < found.not_before:
            return Reason.CERTIFICATE_NOT_YET_VALID
        if now > found.not_after:
            return Reason.CERTIFICATE_EXPIRED
        return found
