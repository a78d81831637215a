"""The journal's changes that create a person (出生, 転入): filed with no person, their record waiting in
the payload, so nothing of the newcomer exists until the change is reflected; the household they join
is named on the change (its 住民票 is refused meanwhile).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.registry.belonging import HEAD, current_address, new_household, register_member, residents_of
from kofu.registry.errors import RegistryError
from kofu.registry.journal import file_change
from kofu.registry.models import (
    CREATING_KINDS,
    Address,
    Change,
    FuhyoEntry,
    Household,
    KosekiEvent,
    KosekiMember,
    Person,
)


def _file_newcomer(
    session: Session, kind: str, filed_on: date, payload: dict[str, Any], household_fk: int | None
) -> int:
    """A change that creates a person: filed with no person, whose record waits in the payload."""
    person_id = payload["person_id"]
    if session.scalar(select(Person.id).where(Person.person_id == person_id)) is not None:
        raise RegistryError("person_exists", f"person {person_id} is already in the registry")
    pending = select(Change.payload).where(Change.kind.in_(CREATING_KINDS), Change.status == "pending")
    if any(json.loads(filed)["person_id"] == person_id for filed in session.scalars(pending)):
        raise RegistryError("person_exists", f"person {person_id} is already filed to be created")
    return file_change(
        session, person_fk=None, kind=kind, filed_on=filed_on, payload=payload, household_fk=household_fk
    )


def file_birth(session: Session, child: dict[str, Any], *, filed_on: date) -> int:
    """A birth (出生): the child joins the parent's household and register when reflected (LAG-1)."""
    parent = session.scalar(select(Person).where(Person.person_id == child["parent_id"]))
    if parent is None or parent.status != "resident" or parent.household_fk is None:
        raise RegistryError("not_resident", f"the parent {child['parent_id']} is not a resident here")
    if register_member(session, parent.id) is not None and not child.get("koseki_relationship"):
        raise RegistryError(
            "bad_request", "koseki_relationship (長男, 長女...) is required: the register is here"
        )
    payload = {**child, "notified_on": filed_on.isoformat()}
    return _file_newcomer(session, "birth", filed_on, payload, parent.household_fk)


def file_move_in(session: Session, newcomer: dict[str, Any], *, on: date, filed_on: date) -> int:
    """A move-in (転入): a new resident at `address`, in an existing household there or a new one."""
    no, relationship = newcomer.get("household_no"), newcomer.get("relationship", HEAD)
    target: Household | None = None
    if no is None and relationship != HEAD:
        raise RegistryError("bad_request", f"a new household's only member is its {HEAD}")
    if no is not None:
        target = session.scalar(select(Household).where(Household.household_no == no))
        residents = residents_of(session, target.id) if target else []
        if target is None or not residents:
            raise RegistryError("household_unknown", f"no household {no} with residents here")
        if relationship == HEAD and any(r.relationship == HEAD for r in residents):
            raise RegistryError("household_has_head", f"household {no} has its {HEAD}")
        if newcomer["address"] not in {current_address(session, r.id) for r in residents}:
            raise RegistryError("address_differs", f"household {no} is at another address")
    payload = {**newcomer, "on": on.isoformat(), "notified_on": filed_on.isoformat()}
    return _file_newcomer(session, "move_in", filed_on, payload, target.id if target else None)


def _newcomer(session: Session, payload: dict[str, Any], **record: Any) -> Person:
    person = Person(
        person_id=payload["person_id"],
        given_name=payload["given_name"],
        given_kana=payload["given_kana"],
        birth_date=date.fromisoformat(payload["birth_date"]),
        sex=payload["sex"],
        status="resident",
        relationship=payload["relationship"],
        **record,
    )
    session.add(person)
    session.flush()
    return person


def reflect_birth(session: Session, payload: dict[str, Any]) -> int:
    """The child created, in the parent's household, address and register; returns their row id."""
    parent = session.scalar(select(Person).where(Person.person_id == payload["parent_id"]))
    if parent is None or parent.status != "resident":
        raise RegistryError("not_resident", f"the parent {payload['parent_id']} is not a resident here")
    born = date.fromisoformat(payload["birth_date"])
    child = _newcomer(
        session,
        payload,
        family_name=payload.get("family_name") or parent.family_name,
        family_kana=payload.get("family_kana") or parent.family_kana,
        household_fk=parent.household_fk,
        became_resident_on=born,
        honseki=parent.honseki,
        hittousha=parent.hittousha,
    )
    address = current_address(session, parent.id) or ""
    notified = date.fromisoformat(payload["notified_on"])
    session.add(
        Address(
            person_fk=child.id,
            address=address,
            since=born,
            notified_on=notified,
            previous_address=None,
            reason="出生",
            current=True,
        )
    )
    own = register_member(session, parent.id)
    if own is None:  # the parent's register is elsewhere: its municipality records the birth
        return child.id
    parent_name = f"{parent.family_name}{parent.given_name}"
    father = payload.get("father_name") or (parent_name if parent.sex == "male" else None)
    mother = payload.get("mother_name") or (parent_name if parent.sex == "female" else None)
    last = session.scalar(
        select(KosekiMember.seq)
        .where(KosekiMember.koseki_fk == own.koseki_fk)
        .order_by(KosekiMember.seq.desc())
    )
    member = KosekiMember(
        koseki_fk=own.koseki_fk,
        person_fk=child.id,
        seq=(last or 0) + 1,
        given_name=child.given_name,
        birth_date=born,
        sex=child.sex,
        father_name=father,
        mother_name=mother,
        relationship=payload["koseki_relationship"],
        removed=False,
    )
    session.add(member)
    session.flush()
    notifier = payload.get("notifier") or ("父" if parent.sex == "male" else "母")
    session.add(
        KosekiEvent(
            member_fk=member.id,
            seq=1,
            kind="birth",
            event_date=born,
            place=payload.get("place"),
            notified_on=notified,
            notifier=notifier,
        )
    )
    session.add(FuhyoEntry(member_fk=member.id, seq=1, address=address, since=born))
    return child.id


def reflect_move_in(session: Session, payload: dict[str, Any]) -> int:
    """The newcomer created at their address and household; returns their row id."""
    on = date.fromisoformat(payload["on"])
    since = date.fromisoformat(payload["since"]) if payload.get("since") else on
    no = payload.get("household_no")
    household = session.scalar(select(Household).where(Household.household_no == no)) if no else None
    person = _newcomer(
        session,
        payload,
        family_name=payload["family_name"],
        family_kana=payload["family_kana"],
        household_fk=(household or new_household(session, on)).id,
        became_resident_on=on,  # 住民となった年月日
        honseki=payload.get("honseki"),
        hittousha=payload.get("hittousha"),
    )
    session.add(
        Address(
            person_fk=person.id,
            address=payload["address"],
            since=since,  # 住所を定めた年月日
            notified_on=date.fromisoformat(payload["notified_on"]),
            previous_address=payload["previous_address"],  # 従前の住所
            reason="転入",
            current=True,
        )
    )
    return person.id
