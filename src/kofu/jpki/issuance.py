"""Issuing a card (or phone credential): two key pairs, two certificates, a card-management key."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from kofu.jpki.authority import Authorities, new_serial
from kofu.jpki.certificates import end_entity_certificate
from kofu.jpki.holder import Holder, validity_end
from kofu.jpki.keys import new_key
from kofu.jpki.models import IssuedCard
from kofu.jpki.store import record_certificate
from kofu.rules.calendar import today_jst
from kofu.wire.credentials import CertificateType, CredentialKind

MANAGEMENT_KEY_BYTES = 32
DEFAULT_BASE_URL = "http://127.0.0.1:8800"


@dataclass(frozen=True)
class IssuedCredential:
    """Everything a new card (or phone) holds, before it is written into a card file."""

    card_id: str
    person_id: str
    credential: CredentialKind
    issued_on: date
    auth_key: rsa.RSAPrivateKey
    auth_cert: x509.Certificate
    sign_key: rsa.RSAPrivateKey
    sign_cert: x509.Certificate
    management_key: bytes

    @property
    def auth_serial(self) -> int:
        return self.auth_cert.serial_number

    @property
    def sign_serial(self) -> int:
        return self.sign_cert.serial_number


def issue_credential(
    session: Session,
    authorities: Authorities,
    holder: Holder,
    *,
    now: datetime,
    credential: CredentialKind = "card",
    base_url: str = DEFAULT_BASE_URL,
) -> IssuedCredential:
    """Create and record both certificates and the card-management key of one credential."""
    issued_on = today_jst(now)
    not_after = validity_end(issued_on, holder.birth_date)
    # A little slack before "now" so a verifier with a slightly slow clock accepts a fresh card.
    not_before = now - timedelta(minutes=5)
    card_id = uuid.uuid4().hex
    auth_key, sign_key = new_key(), new_key()
    auth_cert = end_entity_certificate(
        authorities.auth,
        auth_key.public_key(),
        serial=new_serial(),
        credential=credential,
        not_before=not_before,
        not_after=not_after,
        base_url=base_url,
    )
    sign_cert = end_entity_certificate(
        authorities.sign,
        sign_key.public_key(),
        serial=new_serial(),
        credential=credential,
        not_before=not_before,
        not_after=not_after,
        base_url=base_url,
        holder=holder,
    )
    management_key = secrets.token_bytes(MANAGEMENT_KEY_BYTES)
    pairs: tuple[tuple[CertificateType, x509.Certificate], ...] = (("auth", auth_cert), ("sign", sign_cert))
    for ca, cert in pairs:
        record_certificate(
            session,
            cert,
            ca=ca,
            purpose=ca,
            credential=credential,
            card_id=card_id,
            person_id=holder.person_id,
        )
    session.add(
        IssuedCard(
            card_id=card_id,
            person_id=holder.person_id,
            credential=credential,
            auth_serial=auth_cert.serial_number,
            sign_serial=sign_cert.serial_number,
            management_key=management_key,
            issued_on=issued_on,
        )
    )
    return IssuedCredential(
        card_id=card_id,
        person_id=holder.person_id,
        credential=credential,
        issued_on=issued_on,
        auth_key=auth_key,
        auth_cert=auth_cert,
        sign_key=sign_key,
        sign_cert=sign_cert,
        management_key=management_key,
    )
