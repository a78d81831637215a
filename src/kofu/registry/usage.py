"""Usage registrations of non-resident 本籍 holders (REG-1, ELG-4): filed, then approved or refused.

Who may file is a rule (`kofu.rules`); this module only keeps the records consistent: the person must be
recorded in a register here and not be a resident, and has at most one open or approved registration
(REG-1: once per person, whichever card files it; the database holds it too, for two filings at once).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kofu.registry.errors import RegistryError
from kofu.registry.models import Koseki, KosekiMember, Person, UsageRegistration


def file_usage_registration(session: Session, person_id: str, *, filed_on: date) -> int:
    """Record a usage registration as pending; returns its id."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None:
        raise RegistryError("person_unknown", f"no person {person_id!r} in the registry")
    if p.status == "resident":
        raise RegistryError("not_required", "residents do not need a usage registration")
    honseki = session.scalar(
        select(KosekiMember.id)
        .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
        .where(KosekiMember.person_fk == p.id, KosekiMember.removed.is_(False), Koseki.status == "current")
    )
    if honseki is None:
        raise RegistryError("not_honseki", "the person's 本籍 is not in this municipality")
    open_ = session.scalar(
        select(UsageRegistration.id).where(
            UsageRegistration.person_fk == p.id, UsageRegistration.status.in_(("pending", "approved"))
        )
    )
    if open_ is not None:
        raise RegistryError("already_registered", "a usage registration is already filed or approved")
    reg = UsageRegistration(person_fk=p.id, filed_on=filed_on, status="pending")
    session.add(reg)
    try:
        session.flush()
    except (
        IntegrityError
    ) as exc:  # a concurrent filing for the same person won; the caller's transaction is void
        raise RegistryError(
            "already_registered", "a usage registration is already filed or approved"
        ) from exc
    return reg.id


def decide_usage_registration(session: Session, person_id: str, *, approve: bool, on: date) -> None:
    """Approve or refuse the person's pending usage registration (back office)."""
    reg = session.scalar(
        select(UsageRegistration)
        .join(Person, Person.id == UsageRegistration.person_fk)
        .where(Person.person_id == person_id, UsageRegistration.status == "pending")
    )
    if reg is None:
        raise RegistryError("usage_registration_unknown", "no pending usage registration for this person")
    reg.status = "approved" if approve else "refused"
    reg.decided_on = on
    session.flush()
