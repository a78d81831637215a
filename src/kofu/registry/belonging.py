"""Where a person belongs, as the journal's changes read and extend it: their household and its
residents, their current address, their membership of a current register; new households and registers
numbered in the village's own numbering.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.registry.models import Address, Household, Koseki, KosekiMember, Person

HEAD = "世帯主"


def residents_of(session: Session, household_fk: int | None) -> list[Person]:
    """The household's residents."""
    query = select(Person).where(Person.household_fk == household_fk, Person.status == "resident")
    return list(session.scalars(query)) if household_fk is not None else []


def current_address(session: Session, person_fk: int) -> str | None:
    """The person's current address, if any."""
    query = select(Address.address).where(Address.person_fk == person_fk, Address.current.is_(True))
    return session.scalar(query)


def new_household(session: Session, formed_on: date) -> Household:
    """A household numbered after the village's last one, in its numbering (<code>-H<7 digits>)."""
    last = session.scalar(select(Household).order_by(Household.id.desc()).limit(1))
    prefix = last.household_no.rsplit("-H", 1)[0] if last else "H"
    n = (last.id if last else 0) + 1
    while session.scalar(select(Household.id).where(Household.household_no == f"{prefix}-H{n:07d}")):
        n += 1
    household = Household(household_no=f"{prefix}-H{n:07d}", formed_on=formed_on)
    session.add(household)
    session.flush()
    return household


def register_member(session: Session, person_fk: int) -> KosekiMember | None:
    """The person's live membership of a current register here (never a 改製原戸籍 or a closed one)."""
    live = (
        select(KosekiMember)
        .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
        .where(
            KosekiMember.person_fk == person_fk, KosekiMember.removed.is_(False), Koseki.status == "current"
        )
    )
    return session.scalar(live.order_by(KosekiMember.id.desc()).limit(1))


def new_koseki_no(session: Session) -> str:
    """A register number after the village's last one, in its numbering (K<code>-<7 digits>)."""
    last = session.scalar(select(Koseki).order_by(Koseki.id.desc()).limit(1))
    prefix = last.koseki_no.rsplit("-", 1)[0] if last else "K"
    n = (last.id if last else 0) + 1
    while session.scalar(select(Koseki.id).where(Koseki.koseki_no == f"{prefix}-{n:07d}")):
        n += 1
    return f"{prefix}-{n:07d}"


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
