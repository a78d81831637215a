"""Asking the jpki OCSP responder whether a certificate is revoked, with a short cache.

A believed answer (`kofu.center.auth.ocsp_response.judge`: signer, CertID, nonce, times) that is good
or revoked is cached in process memory for 60 s, never past the response's own nextUpdate (a pure
cache: each worker keeps its own, losing it only costs a request). Anything else (no connection, an
error status, a response failing any check) is `None`: the authenticator then refuses with
`ocsp_unavailable`, never accepts.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from kofu.center.auth.ocsp_response import Status, judge
from kofu.logs import get_logger

CACHE_TTL = timedelta(seconds=60)
TIMEOUT = 3.0

log = get_logger("center.auth.ocsp")


class StatusChecker(Protocol):
    """Revocation status of a certificate issued by `issuer`; None when it cannot be known now."""

    def status(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> Status | None: ...


@dataclass(frozen=True)
class _Cached:
    status: Status
    until: datetime


class HttpStatusChecker:
    """OCSP over HTTP POST to `url`, with a nonce, a fully checked response and a 60 s cache."""

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
        if answer is None:
            return None
        if answer.status in ("good", "revoked"):
            with self._lock:
                self._cache[key] = _Cached(answer.status, min(now + self.ttl, answer.until))
        return answer.status

    def _ask(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> _Cached | None:
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
        judged = judge(response, request, issuer, nonce, now)
        if isinstance(judged, str):
            log.warning("ocsp_response_rejected", problem=judged)
            return None
        return _Cached(judged.status, judged.until)
