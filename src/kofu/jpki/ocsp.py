"""The OCSP responder's logic (RFC 6960): request bytes in, signed response bytes out.

Responses are signed by the authority's delegated responder certificate (EKU OCSPSigning, ocsp-nocheck),
which is included in the response, and state a nextUpdate. A request that cannot be parsed answers
`malformedRequest`; a request about an issuer we do not run answers `unauthorized`; a responder
certificate not valid now signs nothing (the answer is `internalError`, and the log says to run
`kofu jpki init`, which renews it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from kofu.jpki.authority import Authorities, Authority
from kofu.jpki.status import CertStatus
from kofu.logs import get_logger
from kofu.wire.credentials import CertificateType

NEXT_UPDATE = timedelta(minutes=10)

log = get_logger("jpki.ocsp")

StatusLookup = Callable[[CertificateType, int], CertStatus]

_STATES = {
    "good": ocsp.OCSPCertStatus.GOOD,
    "revoked": ocsp.OCSPCertStatus.REVOKED,
    "unknown": ocsp.OCSPCertStatus.UNKNOWN,
}


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _matches(authority: Authority, req: ocsp.OCSPRequest, algorithm: hashes.HashAlgorithm) -> bool:
    key_bits = authority.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return _digest(algorithm, key_bits) == req.issuer_key_hash and (
        _digest(algorithm, authority.cert.subject.public_bytes()) == req.issuer_name_hash
    )


def unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    """An unsigned error response (malformedRequest, unauthorized, internalError...)."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def respond(request_der: bytes, authorities: Authorities, lookup: StatusLookup, now: datetime) -> bytes:
    """The DER OCSP response to one DER OCSP request."""
    try:
        req = ocsp.load_der_ocsp_request(request_der)
        algorithm = req.hash_algorithm
        serial = req.serial_number
        nonces = [e.value for e in req.extensions if isinstance(e.value, x509.OCSPNonce)]
    # NotImplementedError: several certificates in one request, which this responder does not serve.
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm, x509.DuplicateExtension):
        return unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    authority = next((a for a in (authorities.auth, authorities.sign) if _matches(a, req, algorithm)), None)
    if authority is None:
        return unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    responder = authority.responder_cert
    if not responder.not_valid_before_utc <= now <= responder.not_valid_after_utc:
        log.error("ocsp_responder_certificate_invalid", ca=authority.ca, hint="run `kofu jpki init`")
        return unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
    status = lookup(authority.ca, serial)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=req.issuer_name_hash,
        issuer_key_hash=req.issuer_key_hash,
        serial_number=serial,
        algorithm=algorithm,
        cert_status=_STATES[status.state],
        this_update=now,
        next_update=now + NEXT_UPDATE,
        revocation_time=status.revoked_at if status.state == "revoked" else None,
        revocation_reason=status.reason if status.state == "revoked" else None,
    )
    for nonce in nonces:
        builder = builder.add_extension(nonce, critical=False)
    response = (
        builder.responder_id(ocsp.OCSPResponderEncoding.HASH, authority.responder_cert)
        .certificates([authority.responder_cert])
        .sign(authority.responder_key, hashes.SHA256())
    )
    return response.public_bytes(serialization.Encoding.DER)
