"""Issuing cards and phone credentials: certificates, keys, card files, the database (ELG-5)."""

from __future__ import annotations

import stat
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.jpki.certificates import personal_data
from kofu.jpki.holder import validity_end
from kofu.jpki.models import IssuedCard
from kofu.jpki.store import management_key
from kofu.jpki.testbed import Testbed
from kofu.wire.credentials import CARD_POLICY, PHONE_POLICY, certificate_type, credential_kind


def test_keys_are_owner_only(sqlite_testbed: Testbed) -> None:
    keys = sorted(sqlite_testbed.keys.glob("*.key"))
    assert len(keys) == 4
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_card_certificates(testbed: Testbed) -> None:
    card = testbed.issue("044245-0000007", birth_date=date(1990, 12, 1))
    auth, sign = card.issued.auth_cert, card.issued.sign_cert
    for cert, ca in ((auth, testbed.authorities.auth), (sign, testbed.authorities.sign)):
        assert cert.issuer == ca.cert.subject
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
        cert.verify_directly_issued_by(ca.cert)
        assert cert.not_valid_after_utc == validity_end(card.issued.issued_on, date(1990, 12, 1))
        assert credential_kind(cert) == "card"
    assert certificate_type(auth) == "auth" and certificate_type(sign) == "sign"
    # The user-authentication certificate names no one.
    assert personal_data(auth) == {}
    assert [a.oid for a in auth.subject] == [x509.NameOID.COUNTRY_NAME, x509.NameOID.COMMON_NAME]
    assert "大衡" not in auth.subject.rfc4514_string()
    # The signing certificate states name, birth date, sex and address.
    assert personal_data(sign) == {
        "name": "大衡 太郎",
        "birth_date": "1990-12-01",
        "sex": "1",
        "address": "宮城県黒川郡大衡村大衡字平林62番地",
    }


def test_card_file_holds_what_was_issued(testbed: Testbed) -> None:
    card = testbed.issue()
    with InProcessReader(card.path) as reader:
        client = JpkiClient(reader)
        assert x509.load_der_x509_certificate(client.read_auth_certificate()) == card.issued.auth_cert
        ca_der = client.read_auth_ca_certificate()
        assert x509.load_der_x509_certificate(ca_der) == testbed.authorities.auth.cert
        assert client.pin_tries_left() == 3
    with testbed.factory() as session:
        assert management_key(session, card.issued.auth_serial) == card.issued.management_key
        assert management_key(session, card.issued.sign_serial) == card.issued.management_key
        assert management_key(session, 12345) is None


def test_ELG_5_phone_is_its_own_credential_for_the_same_person(testbed: Testbed) -> None:
    """ELG-5: a phone credential has its own keys and serials, a phone policy, and the same person."""
    card = testbed.issue("044245-0000009")
    phone = testbed.issue("044245-0000009", credential="phone")
    assert {phone.issued.auth_serial, phone.issued.sign_serial}.isdisjoint(
        {card.issued.auth_serial, card.issued.sign_serial}
    )
    assert phone.issued.auth_cert.public_key() != card.issued.auth_cert.public_key()
    assert credential_kind(phone.issued.auth_cert) == "phone"
    policies = phone.issued.auth_cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [PHONE_POLICY]
    assert PHONE_POLICY != CARD_POLICY
    with testbed.factory() as session:
        rows = session.scalars(select(IssuedCard).where(IssuedCard.person_id == "044245-0000009")).all()
    assert sorted(r.credential for r in rows) == ["card", "phone"]
