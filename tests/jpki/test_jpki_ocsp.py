"""The OCSP responder (RFC 6960) and CRLs over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from kofu.db import transaction
from kofu.jpki.authority import init_authorities
from kofu.jpki.ocsp import respond
from kofu.jpki.revocation import LifeEvent
from kofu.jpki.revoke import apply_life_event
from kofu.jpki.server import create_app
from kofu.jpki.status import CertStatus
from kofu.jpki.testbed import Testbed


def _request(cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _ask(client: TestClient, der: bytes, *, get: bool = False) -> ocsp.OCSPResponse:
    if get:
        reply = client.get("/ocsp/" + base64.b64encode(der).decode())
    else:
        reply = client.post("/ocsp", content=der, headers={"Content-Type": "application/ocsp-request"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(reply.content)


@pytest.fixture
def client(testbed: Testbed) -> TestClient:
    return TestClient(create_app(testbed.db_url, testbed.authorities))


def test_good_revoked_unknown_with_nonce(testbed: Testbed, client: TestClient) -> None:
    card = testbed.issue("044245-0000001")
    auth_ca = testbed.authorities.auth
    nonce = os.urandom(16)
    answer = _ask(client, _request(card.issued.auth_cert, auth_ca.cert, nonce))
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == card.issued.auth_serial
    assert [e.value.nonce for e in answer.extensions if isinstance(e.value, x509.OCSPNonce)] == [nonce]
    # Signed by the delegated responder, whose certificate the CA issued and which the answer carries.
    assert answer.certificates == [auth_ca.responder_cert]
    responder_key = auth_ca.responder_cert.public_key()
    assert isinstance(responder_key, rsa.RSAPublicKey)
    responder_key.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    # A move revokes only the signing certificate.
    with transaction(testbed.factory) as session:
        apply_life_event(session, "044245-0000001", LifeEvent.ADDRESS_CHANGED, datetime.now(UTC))
    still = _ask(client, _request(card.issued.auth_cert, auth_ca.cert), get=True)
    assert still.certificate_status == ocsp.OCSPCertStatus.GOOD
    sign = _ask(client, _request(card.issued.sign_cert, testbed.authorities.sign.cert), get=True)
    assert sign.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert sign.revocation_reason == x509.ReasonFlags.affiliation_changed
    assert sign.revocation_time_utc is not None
    # A loss revokes both.
    with transaction(testbed.factory) as session:
        apply_life_event(session, "044245-0000001", LifeEvent.LOSS, datetime.now(UTC))
    lost = _ask(client, _request(card.issued.auth_cert, auth_ca.cert))
    assert lost.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert lost.revocation_reason == x509.ReasonFlags.key_compromise
    # A certificate the authority never issued (same issuer hashes, another serial) is unknown.
    other = testbed.issue("044245-0000002")
    with testbed.factory() as session, session.begin():
        from kofu.jpki.models import IssuedCertificate

        session.delete(session.get(IssuedCertificate, other.issued.auth_serial))
    unknown = _ask(client, _request(other.issued.auth_cert, auth_ca.cert))
    assert unknown.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def test_auth_certificate_survives_a_move_but_not_death(testbed: Testbed) -> None:
    card = testbed.issue("044245-0000003")
    now = datetime.now(UTC)
    with transaction(testbed.factory) as session:
        assert apply_life_event(session, "044245-0000003", LifeEvent.ADDRESS_CHANGED, now) == [
            card.issued.sign_serial
        ]
        assert apply_life_event(session, "044245-0000003", LifeEvent.DEATH, now) == [card.issued.auth_serial]


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30" + b"\xff" * 40],
    ids=["empty", "text", "tiny-der", "bad-length"],
)
def test_malformed_request_answers_malformed_request(sqlite_testbed: Testbed, body: bytes) -> None:
    client = TestClient(create_app(sqlite_testbed.db_url, sqlite_testbed.authorities))
    for get in (False, True):
        answer = _ask(client, body, get=get)
        assert answer.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_several_certificates_in_one_request_is_malformed(sqlite_testbed: Testbed) -> None:
    """This responder answers one certificate per request; a multi-certificate request is malformed."""
    card = sqlite_testbed.issue()
    issuer = sqlite_testbed.authorities.auth.cert
    single = ocsp.load_der_ocsp_request(_request(card.issued.auth_cert, issuer))
    one = single.public_bytes(serialization.Encoding.DER)
    # TBSRequest.requestList with the same Request twice, re-wrapped (the single request is short).
    assert one[0] == 0x30 and one[1] < 0x80 and one[2] == 0x30 and one[3] < 0x80 and one[4] == 0x30
    request_list = one[4:]
    entry = request_list[2 : 2 + request_list[1]]

    def seq(content: bytes) -> bytes:
        n = len(content)
        length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2)
        return b"\x30" + length + content

    der = seq(seq(seq(entry + entry)))
    with pytest.raises(NotImplementedError):  # well-formed, two requests
        ocsp.load_der_ocsp_request(der)
    client = TestClient(create_app(sqlite_testbed.db_url, sqlite_testbed.authorities))
    assert _ask(client, der).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_unknown_issuer_is_unauthorized(sqlite_testbed: Testbed, tmp_path: Path) -> None:
    foreign, _ = init_authorities(tmp_path / "foreign")
    card = sqlite_testbed.issue(authorities=foreign)
    client = TestClient(create_app(sqlite_testbed.db_url, sqlite_testbed.authorities))
    answer = _ask(client, _request(card.issued.auth_cert, foreign.auth.cert))
    assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_crl_lists_revoked_serials(testbed: Testbed, client: TestClient) -> None:
    card = testbed.issue("044245-0000004")
    with transaction(testbed.factory) as session:
        apply_life_event(session, "044245-0000004", LifeEvent.NAME_CHANGED, datetime.now(UTC))
    auth_crl = x509.load_der_x509_crl(client.get("/crl/auth.crl").content)
    sign_crl = x509.load_der_x509_crl(client.get("/crl/sign.crl").content)
    assert auth_crl.is_signature_valid(testbed.authorities.auth.cert.public_key())  # type: ignore[arg-type]
    assert sign_crl.is_signature_valid(testbed.authorities.sign.cert.public_key())  # type: ignore[arg-type]
    assert auth_crl.get_revoked_certificate_by_serial_number(card.issued.auth_serial) is None
    entry = sign_crl.get_revoked_certificate_by_serial_number(card.issued.sign_serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.affiliation_changed
    )
    assert client.get("/crl/other.crl").status_code == 404


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300))
def test_any_bytes_get_an_ocsp_answer(sqlite_testbed: Testbed, body: bytes) -> None:
    """No request body makes the responder fail: every answer is a parseable OCSP response."""
    answer = ocsp.load_der_ocsp_response(
        respond(body, sqlite_testbed.authorities, lambda ca, serial: CertStatus("unknown"), datetime.now(UTC))
    )
    assert answer.response_status in (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
        ocsp.OCSPResponseStatus.UNAUTHORIZED,
        ocsp.OCSPResponseStatus.SUCCESSFUL,
    )
