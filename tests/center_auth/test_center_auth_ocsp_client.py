"""The center's OCSP client refuses answers it cannot trust: they count as "unavailable" (SEC-1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from kofu.center.auth.revocation import HttpStatusChecker
from kofu.center.auth.setup import authenticator_from_settings
from kofu.jpki.authority import Authorities, init_authorities
from kofu.jpki.ocsp import respond, unsuccessful
from kofu.jpki.status import CertStatus
from kofu.jpki.testbed import Testbed
from kofu.settings import Settings


def _client(handler: Callable[[bytes], bytes]) -> httpx.Client:
    def transport(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=handler(request.content))

    return httpx.Client(transport=httpx.MockTransport(transport))


def _responder(authorities: Authorities, *, when: datetime | None = None) -> Callable[[bytes], bytes]:
    def answer(der: bytes) -> bytes:
        return respond(der, authorities, lambda ca, serial: CertStatus("good"), when or datetime.now(UTC))

    return answer


def test_SEC_1_trusted_answer_is_good(sqlite_testbed: Testbed) -> None:
    card = sqlite_testbed.issue()
    checker = HttpStatusChecker("http://jpki/ocsp", client=_client(_responder(sqlite_testbed.authorities)))
    now = datetime.now(UTC)
    assert checker.status(card.issued.auth_cert, sqlite_testbed.authorities.auth.cert, now) == "good"


def test_SEC_1_untrusted_answers_are_unavailable(sqlite_testbed: Testbed, tmp_path: Path) -> None:
    """SEC-1: a foreign signer, a dropped nonce, a stale answer or an error status is never "good"."""
    card = sqlite_testbed.issue()
    issuer = sqlite_testbed.authorities.auth.cert
    foreign, _ = init_authorities(tmp_path / "foreign")
    own = _responder(sqlite_testbed.authorities)

    def foreign_signed(der: bytes) -> bytes:
        # Another CA's responder answering for our issuer: its certificate does not chain to our CA.
        swapped = Authorities(
            auth=type(foreign.auth)(
                "auth", foreign.auth.key, issuer, foreign.auth.responder_key, foreign.auth.responder_cert
            ),
            sign=foreign.sign,
        )
        return respond(der, swapped, lambda ca, serial: CertStatus("good"), datetime.now(UTC))

    def no_nonce(der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(der)
        bare = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            request.issuer_name_hash, request.issuer_key_hash, request.serial_number, request.hash_algorithm
        )
        return own(bare.build().public_bytes(Encoding.DER))

    cases: dict[str, Callable[[bytes], bytes]] = {
        "foreign signer": foreign_signed,
        "nonce dropped": no_nonce,
        "stale": _responder(sqlite_testbed.authorities, when=datetime.now(UTC) - timedelta(hours=2)),
        "try later": lambda der: unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER),
        "garbage": lambda der: b"<html>proxy error</html>",
    }
    for name, handler in cases.items():
        checker = HttpStatusChecker("http://jpki/ocsp", client=_client(handler))
        assert checker.status(card.issued.auth_cert, issuer, datetime.now(UTC)) is None, name


def test_authenticator_from_settings(sqlite_testbed: Testbed, kofu_home: Path) -> None:
    settings = Settings(home=kofu_home, database_url=sqlite_testbed.db_url)
    auth = authenticator_from_settings(settings, ocsp_url="http://127.0.0.1:9/ocsp")
    assert auth.checker.auth_ca == sqlite_testbed.authorities.auth.cert
    challenge = auth.challenge("session", "terminal")
    assert len(challenge.challenge) == 32
