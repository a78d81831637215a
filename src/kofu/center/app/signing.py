"""REG-1: checking the signing certificate and signature with which a usage registration is filed.

The card's 署名用 certificate must chain to the signing CA, be a signing certificate of a card (never a
phone, ELG-6), be valid now and not revoked (OCSP), and its key must have signed
DigestInfo(SHA-256(challenge ‖ session_id ‖ terminal_id)) of the session's fresh challenge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kofu.center.auth.revocation import StatusChecker
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.credentials import certificate_type, credential_kind


@dataclass(frozen=True)
class SignedFiling:
    """A checked signing certificate: its serial and digest."""

    sign_serial: int
    digest: str  # hex SHA-256 of the DER


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    key = ca.public_key()
    if cert.issuer != ca.subject or not isinstance(key, rsa.RSAPublicKey):
        return False
    if cert.signature_hash_algorithm is None:
        return False
    try:
        key.verify(
            cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
        )
    except InvalidSignature:
        return False
    return True


def check_signed_filing(
    der: bytes,
    signature: bytes,
    message: bytes,
    *,
    sign_ca: x509.Certificate,
    status: StatusChecker,
    now: datetime,
) -> SignedFiling | Refused:
    """The signing certificate's serial if everything holds, else the reason it does not."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return Refused(Reason.BAD_REQUEST)
    if not _issued_by(cert, sign_ca):
        return Refused(Reason.CERTIFICATE_UNKNOWN_CA)
    if certificate_type(cert) != "sign":
        return Refused(Reason.WRONG_CERTIFICATE_TYPE)
    try:
        kind = credential_kind(cert)
    except ValueError:
        return Refused(Reason.WRONG_CERTIFICATE_TYPE)
    if kind == "phone":
        return Refused(Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION)  # ELG-6
    if now < cert.not_valid_before_utc:
        return Refused(Reason.CERTIFICATE_NOT_YET_VALID)
    if now > cert.not_valid_after_utc:
        return Refused(Reason.CERTIFICATE_EXPIRED)
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return Refused(Reason.WRONG_CERTIFICATE_TYPE)
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return Refused(Reason.SIGNATURE_INVALID)
    state = status.status(cert, sign_ca, now)
    if state is None:
        return Refused(Reason.OCSP_UNAVAILABLE)
    if state != "good":
        return Refused(Reason.CERTIFICATE_REVOKED if state == "revoked" else Reason.CARD_UNKNOWN)
    return SignedFiling(cert.serial_number, hashlib.sha256(der).hexdigest())
