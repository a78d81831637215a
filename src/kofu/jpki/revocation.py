"""Which certificates an event in a holder's life revokes, and with which RFC 5280 reason (pure)."""

from __future__ import annotations

from enum import StrEnum

from cryptography import x509

from kofu.wire.credentials import CertificateType


class LifeEvent(StrEnum):
    """Events reported by the municipality or the holder that touch a card's certificates."""

    NAME_CHANGED = "name_changed"
    ADDRESS_CHANGED = "address_changed"  # a move
    BIRTH_DATE_CHANGED = "birth_date_changed"
    SEX_CHANGED = "sex_changed"
    DEATH = "death"
    LOSS = "loss"
    HOLDER_REQUEST = "holder_request"


# The signing certificate states name, birth date, sex and address: any change makes it false.
_PERSONAL_DATA = {
    LifeEvent.NAME_CHANGED,
    LifeEvent.ADDRESS_CHANGED,
    LifeEvent.BIRTH_DATE_CHANGED,
    LifeEvent.SEX_CHANGED,
}

_REASONS: dict[LifeEvent, x509.ReasonFlags] = {
    LifeEvent.NAME_CHANGED: x509.ReasonFlags.affiliation_changed,
    LifeEvent.ADDRESS_CHANGED: x509.ReasonFlags.affiliation_changed,
    LifeEvent.BIRTH_DATE_CHANGED: x509.ReasonFlags.affiliation_changed,
    LifeEvent.SEX_CHANGED: x509.ReasonFlags.affiliation_changed,
    LifeEvent.DEATH: x509.ReasonFlags.cessation_of_operation,
    LifeEvent.LOSS: x509.ReasonFlags.key_compromise,
    LifeEvent.HOLDER_REQUEST: x509.ReasonFlags.cessation_of_operation,
}


def revocations_for(event: LifeEvent) -> dict[CertificateType, x509.ReasonFlags]:
    """The certificate types `event` revokes, each with its reason.

    Personal-data changes revoke only the signing certificate (the user-authentication certificate
    carries no personal data, so it survives a move); death, loss and the holder's request revoke both.
    """
    reason = _REASONS[event]
    if event in _PERSONAL_DATA:
        return {"sign": reason}
    return {"auth": reason, "sign": reason}


REASON_NAMES: dict[str, x509.ReasonFlags] = {flag.name: flag for flag in x509.ReasonFlags}
"""RFC 5280 reason codes by their lower_snake name (e.g. "key_compromise"), for the CLI."""
