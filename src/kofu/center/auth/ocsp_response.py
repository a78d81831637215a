"""Judging one OCSP response (RFC 6960 §3.2, §4.2.2.2): a status only when every check holds.

The signer is the issuing CA itself, or a delegated responder certificate that CA issued directly, valid
now, with the OCSP-signing EKU, a key usage allowing signatures (when it states one) and id-pkix-ocsp-nocheck
(the center has no other way to learn the responder's own status); the ResponderID names that signer.
The response answers exactly the CertID asked (hash algorithm, issuer name and key hashes, serial), echoes
the nonce, was made no later than now (a small skew allowed) and not too long ago, and states a nextUpdate
that has not passed. A response without nextUpdate is refused: kofu's policy is that an answer says how
long it holds, since the center keeps it for a while. RSA (PKCS#1 v1.5) and ECDSA signatures with SHA-256
or longer are verified; any other algorithm is refused. A refusal is a short code, for the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

Status = Literal["good", "revoked", "unknown"]
MAX_AGE = timedelta(minutes=15)  # a thisUpdate longer ago than this is stale
SKEW = timedelta(minutes=2)  # how far ahead of the center's clock a responder's clock may run

_RSA: dict[x509.ObjectIdentifier, hashes.HashAlgorithm] = {
    SignatureAlgorithmOID.RSA_WITH_SHA256: hashes.SHA256(),
    SignatureAlgorithmOID.RSA_WITH_SHA384: hashes.SHA384(),
    SignatureAlgorithmOID.RSA_WITH_SHA512: hashes.SHA512(),
}
_ECDSA: dict[x509.ObjectIdentifier, hashes.HashAlgorithm] = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: hashes.SHA256(),
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: hashes.SHA384(),
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: hashes.SHA512(),
}
_STATES: dict[ocsp.OCSPCertStatus, Status] = {
    ocsp.OCSPCertStatus.GOOD: "good",
    ocsp.OCSPCertStatus.REVOKED: "revoked",
    ocsp.OCSPCertStatus.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Judged:
    """A believed answer: the status, and its nextUpdate (after which it no longer holds)."""

    status: Status
    until: datetime


def signature_valid(key: object, signature: bytes, data: bytes, algorithm: x509.ObjectIdentifier) -> bool:
    """`signature` over `data` by `key` under `algorithm`: RSA PKCS#1 v1.5 or ECDSA, SHA-256 and up."""
    try:
        if algorithm in _RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), _RSA[algorithm])
            return True
        if algorithm in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(_ECDSA[algorithm]))
            return True
    except InvalidSignature:
        return False
    return False


def _names(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    """Does the response's ResponderID (by name or by key hash) name `cert`?"""
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    key_id = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest  # SHA-1 of the key bits
    return response.responder_key_hash == key_id


def delegate_problem(cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> str | None:
    """Why `cert` may not answer for `issuer` now (RFC 6960 §4.2.2.2), or None when it may."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return "responder_not_issued_by_ca"
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return "responder_not_valid_now"
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usages:
            return "responder_not_ocsp_signing"
    except x509.ExtensionNotFound:
        return "responder_not_ocsp_signing"
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            return "responder_key_usage"
    except x509.ExtensionNotFound:
        pass  # RFC 5280 §4.2.1.3: without a key usage extension the key may sign
    try:
        cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        return "responder_without_nocheck"
    return None


def _signer_problem(response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime) -> str | None:
    if _names(response, issuer):
        signer = issuer
    else:
        named = [c for c in response.certificates if _names(response, c)]
        if len(named) != 1:
            return "responder_unknown"
        signer = named[0]
        problem = delegate_problem(signer, issuer, now)
        if problem is not None:
            return problem
    if not signature_valid(
        signer.public_key(), response.signature, response.tbs_response_bytes, response.signature_algorithm_oid
    ):
        return "signature_invalid"
    return None


def _times_problem(response: ocsp.OCSPResponse, now: datetime) -> str | None:
    this_update, next_update = response.this_update_utc, response.next_update_utc
    if response.produced_at_utc > now + SKEW or this_update > now + SKEW:
        return "from_the_future"
    if this_update < now - MAX_AGE:
        return "stale"
    if next_update is None:
        return "no_next_update"
    if next_update < this_update or next_update <= now:
        return "next_update_passed"
    return None


def judge(
    response: ocsp.OCSPResponse,
    request: ocsp.OCSPRequest,
    issuer: x509.Certificate,
    nonce: bytes,
    now: datetime,
) -> Judged | str:
    """The status `response` gives for the one certificate `request` asked about, or why it is refused."""
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return "unsuccessful_" + response.response_status.name.lower()
    try:
        (single,) = list(response.responses)
        asked = (
            request.hash_algorithm.name,
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
        )
        answered = (
            single.hash_algorithm.name,
            single.issuer_name_hash,
            single.issuer_key_hash,
            single.serial_number,
        )
        echoed = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
    except (ValueError, UnsupportedAlgorithm, x509.DuplicateExtension):
        return "malformed"
    if answered != asked:
        return "not_for_this_certificate"
    if echoed != [nonce]:
        return "nonce"
    problem = _times_problem(response, now) or _signer_problem(response, issuer, now)
    until = response.next_update_utc
    if problem is not None or until is None:
        return problem or "no_next_update"
    return Judged(_STATES[single.certificate_status], until)
