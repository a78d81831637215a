"""T12 (issue 22): the center's OCSP client believes only a response it can fully check.

The responder must be the issuing CA or a delegated responder certificate that CA issued, valid now, with
the OCSP-signing EKU, a key usage allowing signatures and id-pkix-ocsp-nocheck; the response must be
about the certificate asked (hash algorithm, issuer name and key hashes, serial), carry the nonce, have a
`thisUpdate` not in the future and a `nextUpdate` not passed; RSA and ECDSA signers both verify. Anything
else is "unavailable" (None): the authenticator refuses with `ocsp_unavailable`, never "good".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kofu.center.auth.revocation import HttpStatusChecker
from kofu.jpki.authority import RESPONDER_DAYS, Authority, init_authorities
from kofu.jpki.ocsp import respond
from kofu.jpki.status import CertStatus
from kofu.jpki.testbed import Testbed
from kofu.x509ca import self_signed_ca

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kofu"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, digital_signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=not digital_signature,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Delegation:
    """How a delegated responder certificate is made (each field one way it can be wrong)."""

    not_before: timedelta = timedelta(days=-30)  # relative to now
    not_after: timedelta = timedelta(days=365)
    usages: tuple[x509.ObjectIdentifier, ...] | None = (ExtendedKeyUsageOID.OCSP_SIGNING,)
    digital_signature: bool | None = True  # None: no key usage extension at all
    nocheck: bool = True


def delegated(
    ca_key: Key, ca_name: x509.Name, key: Key, how: Delegation = Delegation(), now: datetime | None = None
) -> x509.Certificate:
    """A responder certificate issued by the CA named `ca_name` (signed with `ca_key`)."""
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("a delegated OCSP responder"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + how.not_before)
        .not_valid_after(now + how.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if how.usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(how.usages)), critical=False)
    if how.digital_signature is not None:
        builder = builder.add_extension(_key_usage(digital_signature=how.digital_signature), critical=True)
    if how.nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


@dataclass(frozen=True)
class Answer:
    """How a forged OCSP response is made (defaults: a correct answer "good", fresh, for what was asked)."""

    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD
    this_update: timedelta = timedelta(seconds=-5)  # relative to now
    next_update: timedelta | None = timedelta(minutes=10)
    serial_delta: int = 0
    name_hash: bytes | None = None  # replaces the issuer name hash asked
    key_hash: bytes | None = None  # replaces the issuer key hash asked
    echo_nonce: bool = True
    named_as: x509.Certificate | None = None  # the ResponderID names this certificate, not the signer


def responder(
    issuer: x509.Certificate, signer_key: Key, signer_cert: x509.Certificate | None, how: Answer = Answer()
) -> Callable[[bytes], bytes]:
    """An OCSP responder signing with `signer_key`: the CA itself (`signer_cert` None) or a delegate."""

    def answer(der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(der)
        now = datetime.now(UTC)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=how.name_hash or request.issuer_name_hash,
            issuer_key_hash=how.key_hash or request.issuer_key_hash,
            serial_number=request.serial_number + how.serial_delta,
            algorithm=request.hash_algorithm,
            cert_status=how.status,
            this_update=now + how.this_update,
            next_update=None if how.next_update is None else now + how.next_update,
            revocation_time=now - timedelta(days=1) if how.status == ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=None,
        )
        if how.echo_nonce:
            for extension in request.extensions:
                builder = builder.add_extension(extension.value, critical=False)
        named = how.named_as or signer_cert or issuer
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, named)
        if signer_cert is not None:
            builder = builder.certificates([signer_cert])
        return builder.sign(signer_key, hashes.SHA256()).public_bytes(Encoding.DER)

    return answer


def _checker(handler: Callable[[bytes], bytes], **kwargs: Any) -> tuple[HttpStatusChecker, list[int]]:
    asked: list[int] = []

    def transport(request: httpx.Request) -> httpx.Response:
        asked.append(1)
        return httpx.Response(200, content=handler(request.content))

    return HttpStatusChecker(
        "http://jpki/ocsp", client=httpx.Client(transport=httpx.MockTransport(transport)), **kwargs
    ), asked


def status_of(cert: x509.Certificate, issuer: x509.Certificate, handler: Callable[[bytes], bytes]) -> object:
    checker, _ = _checker(handler)
    return checker.status(cert, issuer, datetime.now(UTC))


@pytest.fixture(scope="module")
def rsa_responder_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class EcPki:
    """An ECDSA CA and a certificate it issued (the ECDSA half of the matrix)."""

    key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    leaf: x509.Certificate


@pytest.fixture(scope="module")
def ec_pki() -> EcPki:
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    ca = self_signed_ca(key, _name("an ECDSA card CA"), serial=x509.random_serial_number(), now=now, years=1)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("a card"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return EcPki(key, ca, leaf)


def _card(bed: Testbed) -> tuple[x509.Certificate, Authority]:
    return bed.issue().issued.auth_cert, bed.authorities.auth


def test_T12_a_delegated_responder_that_expired_a_month_ago_is_not_believed(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey
) -> None:
    """The row's attack: a responder certificate past its notAfter by 30 days still says "good"."""
    cert, ca = _card(sqlite_testbed)
    expired = delegated(
        ca.key, ca.cert.subject, rsa_responder_key, Delegation(timedelta(days=-400), timedelta(days=-30))
    )
    assert status_of(cert, ca.cert, responder(ca.cert, rsa_responder_key, expired)) is None
    revoked = responder(ca.cert, rsa_responder_key, expired, Answer(status=ocsp.OCSPCertStatus.REVOKED))
    assert status_of(cert, ca.cert, revoked) is None


@pytest.mark.parametrize(
    ("case", "how", "believed"),
    [
        ("valid", Delegation(), True),
        ("no key usage extension (any usage allowed)", Delegation(digital_signature=None), True),
        ("expired", Delegation(timedelta(days=-400), timedelta(days=-30)), False),
        ("not yet valid", Delegation(timedelta(days=1), timedelta(days=30)), False),
        ("EKU serverAuth, not OCSPSigning", Delegation(usages=(ExtendedKeyUsageOID.SERVER_AUTH,)), False),
        ("no EKU", Delegation(usages=None), False),
        ("key usage without digitalSignature", Delegation(digital_signature=False), False),
        ("no ocsp-nocheck (its own status cannot be checked)", Delegation(nocheck=False), False),
    ],
)
def test_T12_delegated_rsa_responders(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey, case: str, how: Delegation, believed: bool
) -> None:
    cert, ca = _card(sqlite_testbed)
    delegate = delegated(ca.key, ca.cert.subject, rsa_responder_key, how)
    expected = "good" if believed else None
    assert status_of(cert, ca.cert, responder(ca.cert, rsa_responder_key, delegate)) == expected, case


def test_T12_a_responder_of_the_wrong_issuer_is_not_believed(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey, ec_pki: EcPki
) -> None:
    """Issued by another CA (under that CA's name, or forging our CA's name): never our CA's delegate."""
    cert, ca = _card(sqlite_testbed)
    foreign = delegated(ec_pki.key, ec_pki.ca.subject, rsa_responder_key)
    posing = delegated(ec_pki.key, ca.cert.subject, rsa_responder_key)  # our CA's name, another CA's key
    for name, delegate in (("foreign CA", foreign), ("forged issuer name", posing)):
        assert status_of(cert, ca.cert, responder(ca.cert, rsa_responder_key, delegate)) is None, name


def test_T12_the_responder_named_must_be_the_one_that_signed(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey
) -> None:
    """A response naming the CA as its responder but signed by another key it carries is malformed."""
    cert, ca = _card(sqlite_testbed)
    delegate = delegated(ca.key, ca.cert.subject, rsa_responder_key)
    mismatch = responder(ca.cert, rsa_responder_key, delegate, Answer(named_as=ca.cert))
    assert status_of(cert, ca.cert, mismatch) is None


@pytest.mark.parametrize(
    ("case", "how"),
    [
        (
            "nextUpdate passed a minute ago",
            Answer(this_update=timedelta(minutes=-10), next_update=timedelta(minutes=-1)),
        ),
        ("no nextUpdate (kofu's policy: required)", Answer(next_update=None)),
        (
            "thisUpdate ten minutes in the future",
            Answer(this_update=timedelta(minutes=10), next_update=timedelta(minutes=20)),
        ),
        (
            "thisUpdate older than the freshness bound",
            Answer(this_update=timedelta(hours=-2), next_update=timedelta(hours=1)),
        ),
        (
            "nextUpdate before thisUpdate",
            Answer(this_update=timedelta(seconds=-5), next_update=timedelta(seconds=-60)),
        ),
    ],
)
def test_T12_answers_out_of_their_time_are_unavailable(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey, case: str, how: Answer
) -> None:
    cert, ca = _card(sqlite_testbed)
    delegate = delegated(ca.key, ca.cert.subject, rsa_responder_key)
    assert status_of(cert, ca.cert, responder(ca.cert, rsa_responder_key, delegate, how)) is None, case


@pytest.mark.parametrize(
    ("case", "how"),
    [
        ("another serial", Answer(serial_delta=1)),
        ("another issuer name", Answer(name_hash=b"\x01" * 32)),
        ("another issuer key", Answer(key_hash=b"\x02" * 32)),
        ("nonce dropped", Answer(echo_nonce=False)),
    ],
)
def test_T12_answers_about_something_else_are_unavailable(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey, case: str, how: Answer
) -> None:
    cert, ca = _card(sqlite_testbed)
    delegate = delegated(ca.key, ca.cert.subject, rsa_responder_key)
    assert status_of(cert, ca.cert, responder(ca.cert, rsa_responder_key, delegate, how)) is None, case


def test_T12_ecdsa_responders_are_verified(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey, ec_pki: EcPki
) -> None:
    """ECDSA as well as RSA: an ECDSA CA answering itself or through a delegate, an ECDSA delegate of
    an RSA CA, an RSA delegate of an ECDSA CA; a signature by any other key is still refused."""
    ec_delegate_key = ec.generate_private_key(ec.SECP384R1())
    ec_delegate = delegated(ec_pki.key, ec_pki.ca.subject, ec_delegate_key)
    assert status_of(ec_pki.leaf, ec_pki.ca, responder(ec_pki.ca, ec_pki.key, None)) == "good"
    assert status_of(ec_pki.leaf, ec_pki.ca, responder(ec_pki.ca, ec_delegate_key, ec_delegate)) == "good"
    rsa_delegate = delegated(ec_pki.key, ec_pki.ca.subject, rsa_responder_key)
    assert status_of(ec_pki.leaf, ec_pki.ca, responder(ec_pki.ca, rsa_responder_key, rsa_delegate)) == "good"
    cert, ca = _card(sqlite_testbed)
    ec_of_rsa_ca = delegated(ca.key, ca.cert.subject, ec_delegate_key)
    assert status_of(cert, ca.cert, responder(ca.cert, ec_delegate_key, ec_of_rsa_ca)) == "good"
    revoked = responder(ec_pki.ca, ec_delegate_key, ec_delegate, Answer(status=ocsp.OCSPCertStatus.REVOKED))
    assert status_of(ec_pki.leaf, ec_pki.ca, revoked) == "revoked"
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert status_of(ec_pki.leaf, ec_pki.ca, responder(ec_pki.ca, stranger, None)) is None
    expired = delegated(
        ec_pki.key, ec_pki.ca.subject, ec_delegate_key, Delegation(timedelta(days=-60), timedelta(days=-30))
    )
    assert status_of(ec_pki.leaf, ec_pki.ca, responder(ec_pki.ca, ec_delegate_key, expired)) is None


def test_T12_an_answer_is_not_kept_past_its_next_update(
    sqlite_testbed: Testbed, rsa_responder_key: rsa.RSAPrivateKey
) -> None:
    """The 60 s cache never outlives the response's own nextUpdate."""
    cert, ca = _card(sqlite_testbed)
    delegate = delegated(ca.key, ca.cert.subject, rsa_responder_key)
    short = responder(ca.cert, rsa_responder_key, delegate, Answer(next_update=timedelta(seconds=20)))
    checker, asked = _checker(short, ttl=timedelta(seconds=60))
    now = datetime.now(UTC)
    assert checker.status(cert, ca.cert, now) == "good"
    assert checker.status(cert, ca.cert, now + timedelta(seconds=10)) == "good"
    assert len(asked) == 1  # within nextUpdate: the cached answer
    checker.status(cert, ca.cert, now + timedelta(seconds=30))
    assert len(asked) == 2  # past nextUpdate: asked again, whatever the cache's own ttl


def test_T12_the_jpki_responder_answers_pass_every_check(sqlite_testbed: Testbed) -> None:
    """kofu's own responder (delegated certificate, nextUpdate, nonce) is believed, good and revoked."""
    cert, ca = _card(sqlite_testbed)
    for state, expected in (("good", "good"), ("revoked", "revoked"), ("unknown", "unknown")):
        status = CertStatus(state, datetime.now(UTC) if state == "revoked" else None)  # type: ignore[arg-type]

        def answer(der: bytes, status: CertStatus = status) -> bytes:
            return respond(der, sqlite_testbed.authorities, lambda _ca, _serial: status, datetime.now(UTC))

        assert status_of(cert, ca.cert, answer) == expected


def test_T12_the_jpki_responder_refuses_to_sign_with_an_expired_responder_certificate(
    sqlite_testbed: Testbed,
) -> None:
    """Past its responder certificate's notAfter the JPKI answers internalError (not a signed answer
    no one may believe); `kofu jpki init` renews the certificate."""
    cert, ca = _card(sqlite_testbed)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, ca.cert, hashes.SHA256())
        .build()
        .public_bytes(Encoding.DER)
    )
    later = ca.responder_cert.not_valid_after_utc + timedelta(days=1)
    answer = ocsp.load_der_ocsp_response(
        respond(request, sqlite_testbed.authorities, lambda *_: CertStatus("good"), later)
    )
    assert answer.response_status == ocsp.OCSPResponseStatus.INTERNAL_ERROR


def test_T12_jpki_init_renews_a_responder_certificate_near_its_end(tmp_path: Path) -> None:
    """`kofu jpki init` on existing authorities renews a responder certificate ending within 30 days
    (or ended), keeping the CA; a responder certificate with time left is kept."""
    now = datetime.now(UTC)
    folder = tmp_path / "jpki"
    old, _ = init_authorities(folder, now=now - timedelta(days=RESPONDER_DAYS - 10))
    kept, _ = init_authorities(folder, now=now - timedelta(days=RESPONDER_DAYS - 40))
    assert kept.auth.responder_cert == old.auth.responder_cert
    renewed, created = init_authorities(folder, now=now)
    assert not created and renewed.auth.cert == old.auth.cert and renewed.sign.cert == old.sign.cert
    for authority in (renewed.auth, renewed.sign):
        assert authority.responder_cert.not_valid_after_utc > now + timedelta(days=300)
        authority.responder_cert.verify_directly_issued_by(authority.cert)
