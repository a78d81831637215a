"""分籍 (戸籍法 第21条) through the journal: an adult member, neither 筆頭者 nor spouse, leaves their
register for a new one of their own, made here (戸籍編製) or by another municipality.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.registry.belonging import age_on, current_address, new_koseki_no, register_member
from kofu.registry.errors import RegistryError
from kofu.registry.models import FuhyoEntry, Koseki, KosekiEvent, KosekiMember, Person
from kofu.registry.vocabulary import KOSEKI_EVENT_TITLES


def separation_payload(
    session: Session,
    person_id: str,
    *,
    on: date,
    filed_on: date,
    honseki_place: str,
    honseki_lot: str,
    elsewhere: bool,
    notifier: str,
) -> dict[str, Any]:
    """The journal's payload of a 分籍, or why it could never be reflected (refused when filed)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    member = register_member(session, p.id) if p else None
    if p is None or member is None:
        raise RegistryError("not_in_register", "the person is not recorded in a register here")
    if age_on(p.birth_date, on) < 18:
        raise RegistryError("under_18", "分籍 is for adults (18 or more)")
    register = session.get(Koseki, member.koseki_fk)
    assert register is not None  # the member's foreign key
    names = (register.hittousha_family, register.hittousha_given) == (p.family_name, member.given_name)
    heads = member.seq == 1 or names  # the 筆頭者 is recorded first
    if heads or member.spouse_role is not None:
        raise RegistryError("cannot_separate", "the 筆頭者 and their spouse do not leave by 分籍")
    return {
        "on": on.isoformat(),
        "notified_on": filed_on.isoformat(),
        "honseki_place": honseki_place,
        "honseki_lot": honseki_lot,
        "elsewhere": elsewhere,
        "notifier": notifier,
    }


def reflect_separation(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    """The member 除籍 from their register, and heading a new one here unless it is elsewhere."""
    person = session.get(Person, person_fk)
    old = register_member(session, person_fk)
    if person is None or old is None:
        raise RegistryError("not_in_register", "the person is not recorded in a register here")
    left = session.get(Koseki, old.koseki_fk)
    assert left is not None  # the member's foreign key
    on, notified = date.fromisoformat(payload["on"]), date.fromisoformat(payload["notified_on"])
    honseki = f"{payload['honseki_place']}{payload['honseki_lot']}"
    before = f"{left.honseki_place}{left.honseki_lot}　{left.hittousha_family}{left.hittousha_given}"
    events = list(
        session.scalars(select(KosekiEvent).where(KosekiEvent.member_fk == old.id).order_by(KosekiEvent.seq))
    )
    old.removed, old.removed_on, old.removed_reason = True, on, KOSEKI_EVENT_TITLES["separation"]
    entry = {"kind": "separation", "event_date": on, "notified_on": notified, "notifier": payload["notifier"]}
    session.add(KosekiEvent(member_fk=old.id, seq=len(events) + 1, new_register=honseki, **entry))
    person.honseki, person.hittousha = honseki, f"{person.family_name}{person.given_name}"
    if payload["elsewhere"]:  # the new register is another municipality's
        return
    made = Koseki(
        koseki_no=new_koseki_no(session),
        honseki_place=payload["honseki_place"],
        honseki_lot=payload["honseki_lot"],
        hittousha_family=person.family_name,
        hittousha_given=old.given_name,
        made_on=on,
        status="current",
    )
    session.add(made)
    session.flush()
    member = KosekiMember(
        koseki_fk=made.id,
        person_fk=person_fk,
        seq=1,
        given_name=old.given_name,
        birth_date=old.birth_date,
        sex=old.sex,
        father_name=old.father_name,
        mother_name=old.mother_name,
        relationship=old.relationship,
        removed=False,
    )
    session.add(member)
    session.flush()
    births = [e for e in events if e.kind == "birth"]  # the 出生 entry is carried to the new register
    for seq, e in enumerate(births, start=1):
        carried = {k: getattr(e, k) for k in ("kind", "event_date", "place", "notified_on", "notifier")}
        session.add(KosekiEvent(member_fk=member.id, seq=seq, **carried))
    session.add(KosekiEvent(member_fk=member.id, seq=len(births) + 1, previous_register=before, **entry))
    address = current_address(session, person_fk)
    if address is not None:  # the new register's 附票 begins with the address held on that day
        session.add(FuhyoEntry(member_fk=member.id, seq=1, address=address, since=on))
