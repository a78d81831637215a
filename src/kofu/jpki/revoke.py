"""Applying a life event: revoke, in the database, what `revocations_for` says the event revokes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kofu.jpki.revocation import LifeEvent, revocations_for
from kofu.jpki.store import cards_of, revoke_certificate


def apply_life_event(
    session: Session, person_id: str, event: LifeEvent, now: datetime, *, card_id: str | None = None
) -> list[int]:
    """Revoke the certificates of the person's credentials (or only `card_id`) that `event` makes
    false; return the serials this call revoked."""
    plan = revocations_for(event)
    revoked: list[int] = []
    for card in cards_of(session, person_id):
        if card_id is not None and card.card_id != card_id:
            continue
        for ca, reason in plan.items():
            serial = card.auth_serial if ca == "auth" else card.sign_serial
            if revoke_certificate(session, serial, reason, now):
                revoked.append(serial)
    return revoked
