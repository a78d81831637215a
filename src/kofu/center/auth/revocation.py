"""Asking the jpki OCSP responder whether a certificate is revoked, with a short cache.

A definite answer (good or revoked) is cached for 60 s in process memory (a pure cache: each worker
keeps its own, losing it only costs a request). Anything else (no connection, an error status, a bad
signature, a missing or wrong nonce, a stale answer) is `None`: the authenticator then refuses with
`ocsp_unavailable`, never accepts.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from kofu.logs import get_logger

Status = Literal["good", "revoked", "unknown"]
CACHE_TTL = timedelta(seconds=60)
MAX_AGE = timedelta(minutes=15)  # an answer produced longer ago than this is stale
TIMEOUT = 3.0

log = get_logger("center.auth.ocsp")


class StatusChecker(Protocol):
    """Revocation status of a certificate issued by `issuer`; None when it cannot be known now."""

    def status(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> Status | None: ...


@dataclass(frozen=True)
class _Cached:
    status: Status
    until: datetime


def _verify(
    key: rsa.RSAPublicKey, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None
) -> bool:
    if algorithm is None:
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


def _signer_trusted(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """The response is signed by the CA itself or by a responder certificate the CA issued for OCSP."""
    issuer_key = issuer.public_key()
    if not isinstance(issuer_key, rsa.RSAPublicKey):
        return False
    candidates: list[rsa.RSAPublicKey] = [issuer_key]
    for cert in response.certificates:
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        if not _verify(issuer_key, cert.signature, cert.tbs_certificate_bytes, cert.signature_hash_algorithm):
            continue
        try:
            usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usages:
            candidates.append(key)
    return any(
        _verify(k, response.signature, response.tbs_response_bytes, response.signature_hash_algorithm)
        for k in candidates
    )


class HttpStatusChecker:
    """OCSP over HTTP POST to `url`, with a nonce, a verified signature and a 60 s cache."""

    def __init__(self, url: str, client: httpx.Client | None = None, ttl: timedelta = CACHE_TTL) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.ttl = ttl
        self._cache: dict[tuple[bytes, int], _Cached] = {}
        self._lock = threading.Lock()
        self._issuer: tuple[x509.Certificate, bytes] | None = None

    def _issuer_id(self, issuer: x509.Certificate) -> bytes:
        # The issuer is almost always the same object: remember its fingerprint rather than rehash it.
        known = self._issuer
        if known is not None and known[0] is issuer:
            return known[1]
        fingerprint = issuer.fingerprint(hashes.SHA256())
        self._issuer = (issuer, fingerprint)
        return fingerprint

    def status(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> Status | None:
        key = (self._issuer_id(issuer), cert.serial_number)
        cached = self._cache.get(key)
        if cached is not None and now < cached.until:
            return cached.status
        answer = self._ask(cert, issuer, now)
        if answer in ("good", "revoked"):
            with self._lock:
                self._cache[key] = _Cached(answer, now + self.ttl)
        return answer

    def _ask(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> Status | None:
        nonce = os.urandom(16)
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA256())
            .add_extension(x509.OCSPNonce(nonce), critical=False)
            .build()
        )
        try:
            reply = self.client.post(
                self.url,
                content=request.public_bytes(serialization.Encoding.DER),
                headers={"Content-Type": "application/ocsp-request"},
            )
            if reply.status_code != 200:
                log.warning("ocsp_http_error", status=reply.status_code)
                return None
            response = ocsp.load_der_ocsp_response(reply.content)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("ocsp_unreachable", error=type(exc).__name__)
            return None
        return self._judge(response, cert, issuer, nonce, now)

    def _judge(
        self,
        response: ocsp.OCSPResponse,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        nonce: bytes,
        now: datetime,
    ) -> Status | None:
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            log.warning("ocsp_unsuccessful", status=response.response_status.name)
            return None
        echoed = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
        fresh = (
            response.this_update_utc is not None
            and now - MAX_AGE <= response.this_update_utc <= now + MAX_AGE
        )
        if (
            echoed != [nonce]
            or response.serial_number != cert.serial_number
            or not fresh
            or not _signer_trusted(response, issuer)
        ):
            log.warning("ocsp_response_rejected")
            return None
        state = response.certificate_status
        if state == ocsp.OCSPCertStatus.GOOD:
            return "good"
        if state == ocsp.OCSPCertStatus.REVOKED:
            return "revoked"
        return "unknown"
