"""Per-person stops of kiosk issuance: set by staff or the change feed, lifted, never deleted.

A support measure (支援措置: DV, stalking) stops every kind for the person and every certificate that
would print them; the village may instead turn one kind off for a person. What a stop refuses is a
rule (`kofu.rules.eligibility.check_kiosk_stop`); here the records stay consistent: one live stop per
person, cause and kind, and the row keeps who set and who lifted it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.registry.errors import RegistryError
from kofu.registry.models import STOP_KINDS, PersonStop
from kofu.registry.repository import person_pk


def _live(session: Session, person_fk: int, cause: str, kind: str | None) -> PersonStop | None:
    same_kind = PersonStop.kind.is_(None) if kind is None else PersonStop.kind == kind
    return session.scalar(
        select(PersonStop).where(
            PersonStop.person_fk == person_fk,
            PersonStop.cause == cause,
            same_kind,
            PersonStop.lifted_on.is_(None),
        )
    )


def _check(cause: str, kind: str | None, by: str) -> None:
    if cause == "support_measure" and kind is not None:
        raise RegistryError("bad_request", "a support measure stops every kind; give no kind")
    if cause == "village" and kind is None:
        raise RegistryError("bad_request", "a village stop names the kind it turns off")
    if kind is not None and kind not in STOP_KINDS:
        raise RegistryError("bad_request", f"unknown kind {kind!r}; one of {', '.join(STOP_KINDS)}")
    if not by.strip() or len(by) > 40:
        raise RegistryError("bad_request", "name who sets or lifts it: a staff ID of 1 to 40 characters")


def set_stop(session: Session, person_id: str, *, cause: str, kind: str | None, since: date, by: str) -> int:
    """Stop kiosk issuance for the person (every kind for a support measure); idempotent while live."""
    _check(cause, kind, by)
    pk = person_pk(session, person_id)
    live = _live(session, pk, cause, kind)
    if live is not None:
        return live.id
    stop = PersonStop(person_fk=pk, cause=cause, kind=kind, since=since, set_by=by)
    session.add(stop)
    session.flush()
    return stop.id


def lift_stop(session: Session, person_id: str, *, cause: str, kind: str | None, on: date, by: str) -> int:
    """Lift the person's live stop of this cause and kind; returns its id."""
    _check(cause, kind, by)
    live = _live(session, person_pk(session, person_id), cause, kind)
    if live is None:
        raise RegistryError("stop_unknown", "no live stop of this cause and kind for the person")
    live.lifted_on = on
    live.lifted_by = by
    session.flush()
    return live.id
