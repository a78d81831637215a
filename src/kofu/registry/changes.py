"""The change journal: office writes are filed as pending changes and become current when reflected.

A pending change is never read as current (LAG-1, LAG-2): reads of addresses, seals, tax records and
registers see only reflected data, and `repository.pending_changes` tells the composer to refuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kofu.documents.seal_image import seal_png
from kofu.registry.errors import RegistryError
from kofu.registry.models import (
    CREATING_KINDS,
    Address,
    Change,
    FuhyoEntry,
    Household,
    Koseki,
    KosekiEvent,
    KosekiMember,
    Person,
    Seal,
    SealImpression,
    TaxRecord,
)
from kofu.registry.repository import person_pk
from kofu.registry.stops import lift_stop, set_stop
from kofu.registry.taxcalc import assess
from kofu.registry.vocabulary import KOSEKI_EVENT_TITLES
from kofu.rules import residenttax


def _file(
    session: Session,
    person_id: str,
    kind: str,
    filed_on: date,
    payload: dict[str, Any],
    *,
    household_fk: int | None = None,
) -> int:
    change = Change(
        person_fk=person_pk(session, person_id),
        household_fk=household_fk,
        kind=kind,
        filed_on=filed_on,
        status="pending",
        payload=json.dumps(payload, ensure_ascii=False, default=str),
    )
    session.add(change)
    session.flush()
    return change.id


def file_address_change(
    session: Session,
    person_id: str,
    *,
    address: str,
    since: date,
    notified_on: date,
    reason: str = "転居",
) -> int:
    """A move (転居) filed at the office; pending until `reflect_change` (INC-5)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident's address can change")
    if not address.strip():
        raise RegistryError("bad_request", "the new address is empty")
    payload = {
        "address": address,
        "since": since.isoformat(),
        "notified_on": notified_on.isoformat(),
        "reason": reason,
    }
    return _file(session, person_id, "address", notified_on, payload)


def abolish_seal(session: Session, person_id: str, *, on: date) -> int:
    """A seal abolition (廃止) filed; pending until reflected (INC-4)."""
    pk = person_pk(session, person_id)
    if session.scalar(select(Seal.id).where(Seal.person_fk == pk, Seal.status == "registered")) is None:
        raise RegistryError("no_seal_registration", "the person has no registered seal")
    return _file(session, person_id, "seal_abolition", on, {"abolished_on": on.isoformat()})


def file_seal_registration(
    session: Session, person_id: str, *, registration_no: str, on: date, size_mm: int, square: bool
) -> int:
    """A seal registration (印鑑登録) filed; pending until reflected, its impression made then."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident registers a seal")
    if _age_on(p.birth_date, on) < 15:  # 印鑑登録事務処理要領: from 15
        raise RegistryError("under_15", "a seal is registered from the age of 15")
    if session.scalar(select(Seal.id).where(Seal.person_fk == p.id, Seal.status == "registered")) is not None:
        raise RegistryError("seal_already_registered", "the person has a registered seal; abolish it first")
    taken = session.scalar(select(Seal.id).where(Seal.registration_no == registration_no)) is not None
    pending = select(Change.person_fk, Change.payload).where(
        Change.kind == "seal_registration", Change.status == "pending"
    )
    for fk, filed in session.execute(pending):
        if fk == p.id:
            raise RegistryError("seal_already_registered", "a registration of the person is already filed")
        taken = taken or json.loads(filed)["registration_no"] == registration_no
    if taken:
        raise RegistryError("registration_no_taken", f"registration number {registration_no} is taken")
    payload = {"registration_no": registration_no, "on": on.isoformat(), "size_mm": size_mm, "square": square}
    return _file(session, person_id, "seal_registration", on, payload)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


TAX_AMENDABLE = ("salary_income", "pension_income", "other_earnings", "ded_life_insurance", "dependants")


def file_tax_declaration(
    session: Session, person_id: str, *, fiscal_year: int, filed_on: date, amounts: dict[str, int]
) -> int:
    """A declaration or amendment (申告・修正) for one fiscal year; pending until reflected (LAG-2)."""
    unknown = set(amounts) - set(TAX_AMENDABLE)
    if unknown:
        raise RegistryError("bad_request", f"cannot amend {sorted(unknown)}; amendable: {TAX_AMENDABLE}")
    pk = person_pk(session, person_id)
    record = select(TaxRecord.id).where(TaxRecord.person_fk == pk, TaxRecord.fiscal_year == fiscal_year)
    if session.scalar(record) is None:  # refused now, not when it is reflected
        raise RegistryError("tax_record_unknown", f"no tax record for fiscal year {fiscal_year}")
    return _file(session, person_id, "tax_declaration", filed_on, {"fiscal_year": fiscal_year, **amounts})


TAX_ASSESSED = (
    "salary_income",
    "pension_income",
    "other_earnings",
    "ded_social_insurance",
    "ded_life_insurance",
    "dependants",
    "spouse",
)


def file_tax_assessment(
    session: Session, person_id: str, *, fiscal_year: int, filed_on: date, amounts: dict[str, int | str]
) -> int:
    """The municipality's assessment (賦課) of one fiscal year; pending until reflected (LAG-2)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None:
        raise RegistryError("person_unknown", f"no person {person_id!r} in the registry")
    if _address_on(session, p, date(fiscal_year, 1, 1)) is None:  # 地方税法 第39条: taxed where registered
        raise RegistryError("not_resident_on_jan_1", f"not registered here on 1 January {fiscal_year}")
    payload = {"fiscal_year": fiscal_year, **{k: amounts[k] for k in TAX_ASSESSED}}
    return _file(session, person_id, "tax_assessment", filed_on, payload)


def _address_on(session: Session, person: Person, day: date) -> str | None:
    """The address the person was registered at here on `day`, if they were."""
    arrived = person.became_resident_on
    if arrived is None or arrived > day:
        return None
    if person.status != "resident" and (person.status_changed_on is None or person.status_changed_on <= day):
        return None
    held = select(Address.address).where(Address.person_fk == person.id, Address.since <= day)
    return session.scalar(held.order_by(Address.since.desc(), Address.id.desc()).limit(1))


def file_koseki_notification(
    session: Session, person_id: str, *, event: str, event_date: date, filed_on: date, **details: str
) -> int:
    """A family-register notification (届出) about the person; pending until reflected (LAG-1)."""
    member = select(KosekiMember.id).where(
        KosekiMember.person_fk == person_pk(session, person_id), KosekiMember.removed.is_(False)
    )
    if session.scalar(member.limit(1)) is None:  # refused now, not when it is reflected
        raise RegistryError("not_in_register", "the person is not recorded in a register here")
    payload: dict[str, Any] = {"event": event, "event_date": event_date.isoformat(), **details}
    return _file(session, person_id, "koseki", filed_on, payload)


RESIDENCE_ENDS = ("moved_out", "deceased")


def file_residence_end(
    session: Session, person_id: str, *, status: str, on: date, filed_on: date, new_address: str | None = None
) -> int:
    """A resident's registration ends (転出 or 死亡) on `on`; pending until reflected (LAG-1)."""
    if status not in RESIDENCE_ENDS:
        raise RegistryError("bad_request", f"a registration ends as one of {RESIDENCE_ENDS}")
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident's registration can end")
    payload = {"status": status, "on": on.isoformat(), "new_address": new_address}
    return _file(session, person_id, "residence", filed_on, payload)


FOREIGN_STATUS_FIELDS = ("residence_status", "residence_period", "residence_until", "residence_category")


def file_foreign_status(
    session: Session, person_id: str, *, filed_on: date, items: dict[str, str | None]
) -> int:
    """A foreign resident's 在留資格 changes (更新, 変更); pending until reflected (LAG-1)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident" or p.nationality is None:
        raise RegistryError("not_foreign_resident", "only a foreign resident's 在留資格 can change")
    unknown = set(items) - set(FOREIGN_STATUS_FIELDS)
    if unknown:
        raise RegistryError("bad_request", f"cannot change {sorted(unknown)}")
    return _file(session, person_id, "foreign_status", filed_on, items)


NAME_FIELDS = ("family_name", "family_kana", "given_name", "given_kana")


def file_name_change(session: Session, person_id: str, *, filed_on: date, names: dict[str, str]) -> int:
    """A resident's 氏名 changes; pending until reflected (LAG-1: nothing printing the name meanwhile)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident's name changes on the 住民票")
    unknown = set(names) - set(NAME_FIELDS)
    if unknown or not names:
        raise RegistryError("bad_request", f"cannot change {sorted(unknown)}; changeable: {NAME_FIELDS}")
    return _file(session, person_id, "name", filed_on, names)


HEAD = "世帯主"


def file_household_change(
    session: Session, person_id: str, *, household_no: str | None, relationship: str, on: date
) -> int:
    """A resident joins another household at the same address, or heads a new one there (世帯変更);
    pending until reflected, both households' 住民票 refused meanwhile (LAG-1)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident changes household")
    if p.relationship == HEAD and len(_residents_of(session, p.household_fk)) > 1:
        raise RegistryError("head_with_members", "the head leaves a household only once another heads it")
    target: Household | None = None
    if household_no is None:
        if relationship != HEAD:
            raise RegistryError("bad_request", f"a new household's only member is its {HEAD}")
        if p.relationship == HEAD:
            raise RegistryError("already_in_household", "the person already heads a household of their own")
    else:
        target = _joinable(session, household_no, p, relationship)
    payload = {"household_no": household_no, "relationship": relationship, "on": on.isoformat()}
    return _file(session, person_id, "household", on, payload, household_fk=target.id if target else None)


def _joinable(session: Session, household_no: str, person: Person, relationship: str) -> Household:
    """The household `person` may join as `relationship`, or why not."""
    target = session.scalar(select(Household).where(Household.household_no == household_no))
    residents = _residents_of(session, target.id) if target else []
    if target is None or not residents:
        raise RegistryError("household_unknown", f"no household {household_no} with residents here")
    if target.id == person.household_fk:
        raise RegistryError("already_in_household", f"the person is already in household {household_no}")
    if relationship == HEAD and any(r.relationship == HEAD for r in residents):
        raise RegistryError("household_has_head", f"household {household_no} has its {HEAD}")
    here = {_current_address(session, r.id) for r in residents}
    if _current_address(session, person.id) not in here:  # INC-5: a household is at one address
        raise RegistryError("address_differs", "the household is at another address: file a move first")
    return target


def _residents_of(session: Session, household_fk: int | None) -> list[Person]:
    query = select(Person).where(Person.household_fk == household_fk, Person.status == "resident")
    return list(session.scalars(query)) if household_fk is not None else []


def _current_address(session: Session, person_fk: int) -> str | None:
    query = select(Address.address).where(Address.person_fk == person_fk, Address.current.is_(True))
    return session.scalar(query)


def _new_household(session: Session, formed_on: date) -> Household:
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
    change = Change(
        person_fk=None,
        household_fk=household_fk,
        kind=kind,
        filed_on=filed_on,
        status="pending",
        payload=json.dumps(payload, ensure_ascii=False, default=str),
    )
    session.add(change)
    session.flush()
    return change.id


def file_birth(session: Session, child: dict[str, Any], *, filed_on: date) -> int:
    """A birth (出生): the child joins the parent's household and register when reflected (LAG-1)."""
    parent = session.scalar(select(Person).where(Person.person_id == child["parent_id"]))
    if parent is None or parent.status != "resident" or parent.household_fk is None:
        raise RegistryError("not_resident", f"the parent {child['parent_id']} is not a resident here")
    if _register_member(session, parent.id) is not None and not child.get("koseki_relationship"):
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
        residents = _residents_of(session, target.id) if target else []
        if target is None or not residents:
            raise RegistryError("household_unknown", f"no household {no} with residents here")
        if relationship == HEAD and any(r.relationship == HEAD for r in residents):
            raise RegistryError("household_has_head", f"household {no} has its {HEAD}")
        if newcomer["address"] not in {_current_address(session, r.id) for r in residents}:
            raise RegistryError("address_differs", f"household {no} is at another address")
    payload = {**newcomer, "on": on.isoformat(), "notified_on": filed_on.isoformat()}
    return _file_newcomer(session, "move_in", filed_on, payload, target.id if target else None)


def file_separation(
    session: Session,
    person_id: str,
    *,
    on: date,
    filed_on: date,
    honseki_place: str,
    honseki_lot: str,
    elsewhere: bool,
    notifier: str,
) -> int:
    """分籍 (戸籍法 第21条): an adult member, neither 筆頭者 nor spouse, leaves for a register of their own;
    pending until reflected, the register's certificates refused meanwhile (LAG-1)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    member = _register_member(session, p.id) if p else None
    if p is None or member is None:
        raise RegistryError("not_in_register", "the person is not recorded in a register here")
    if _age_on(p.birth_date, on) < 18:
        raise RegistryError("under_18", "分籍 is for adults (18 or more)")
    register = session.get(Koseki, member.koseki_fk)
    assert register is not None  # the member's foreign key
    names = (register.hittousha_family, register.hittousha_given) == (p.family_name, member.given_name)
    heads = member.seq == 1 or names  # the 筆頭者 is recorded first
    if heads or member.spouse_role is not None:
        raise RegistryError("cannot_separate", "the 筆頭者 and their spouse do not leave by 分籍")
    payload = {
        "on": on.isoformat(),
        "notified_on": filed_on.isoformat(),
        "honseki_place": honseki_place,
        "honseki_lot": honseki_lot,
        "elsewhere": elsewhere,
        "notifier": notifier,
    }
    return _file(session, person_id, "separation", filed_on, payload)


def _register_member(session: Session, person_fk: int) -> KosekiMember | None:
    """The person's live membership of a current register here (never a 改製原戸籍 or a closed one)."""
    live = (
        select(KosekiMember)
        .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
        .where(
            KosekiMember.person_fk == person_fk, KosekiMember.removed.is_(False), Koseki.status == "current"
        )
    )
    return session.scalar(live.order_by(KosekiMember.id.desc()).limit(1))


def file_stop_change(
    session: Session, person_id: str, *, start: bool, kind: str | None, on: date, filed_on: date, by: str
) -> int:
    """A support measure (kind None) or a village stop of one kind begins or ends on `on`."""
    person_pk(session, person_id)
    payload = {"start": start, "kind": kind, "on": on.isoformat(), "by": by}
    return _file(session, person_id, "stop", filed_on, payload)


def reflect_change(session: Session, change_id: int, *, on: date) -> None:
    """Apply a pending change to the records and mark it reflected, in the caller's transaction."""
    change = session.get(Change, change_id)
    if change is None:
        raise RegistryError("change_unknown", f"no change {change_id}")
    # claimed by a conditional UPDATE: of two workers reflecting at once, one applies it, never both
    claim = (
        update(Change)
        .where(Change.id == change_id, Change.status == "pending")
        .values(status="reflected", reflected_on=on)
        .execution_options(synchronize_session=False)
    )
    if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
        raise RegistryError("change_already_reflected", f"change {change_id} is already reflected")
    session.refresh(change)
    payload = json.loads(change.payload)
    if change.kind in CREATING_KINDS:  # the person exists from now on, and the journal says who
        change.person_fk = {"birth": _reflect_birth, "move_in": _reflect_move_in}[change.kind](
            session, payload
        )
        session.flush()
        return
    assert change.person_fk is not None  # only a creating change has none
    {
        "address": _reflect_address,
        "seal_abolition": _reflect_seal,
        "seal_registration": _reflect_seal_registration,
        "tax_declaration": _reflect_tax,
        "tax_assessment": _reflect_tax_assessment,
        "koseki": _reflect_koseki,
        "residence": _reflect_residence,
        "stop": _reflect_stop_change,
        "foreign_status": _reflect_foreign_status,
        "name": _reflect_name,
        "household": _reflect_household,
        "separation": _reflect_separation,
    }[change.kind](session, change.person_fk, payload)
    session.flush()


def _reflect_address(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    old = session.scalar(select(Address).where(Address.person_fk == person_fk, Address.current.is_(True)))
    if old is not None:
        old.current = False
    session.add(
        Address(
            person_fk=person_fk,
            address=payload["address"],
            since=date.fromisoformat(payload["since"]),
            notified_on=date.fromisoformat(payload["notified_on"]),
            previous_address=old.address if old else None,
            reason=payload.get("reason", "転居"),
            current=True,
        )
    )


def _reflect_residence(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    assert person is not None  # the journal's foreign key
    if person.status == "resident":  # ended already (a death after a move-out): the record stands
        person.status = payload["status"]


def _reflect_foreign_status(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    assert person is not None  # the journal's foreign key
    for key in FOREIGN_STATUS_FIELDS:
        if key in payload:
            value = payload[key]
            setattr(person, key, date.fromisoformat(value) if key == "residence_until" and value else value)


def _reflect_name(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    assert person is not None  # the journal's foreign key
    for key in NAME_FIELDS:
        if key in payload:
            setattr(person, key, payload[key])
    if "given_name" in payload:  # the register prints its members' given names (the 氏 is the register's)
        live = select(KosekiMember).where(
            KosekiMember.person_fk == person_fk, KosekiMember.removed.is_(False)
        )
        for member in session.scalars(live):
            member.given_name = payload["given_name"]


def _reflect_household(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    assert person is not None  # the journal's foreign key
    no = payload["household_no"]
    on = date.fromisoformat(payload["on"])
    household = session.scalar(select(Household).where(Household.household_no == no)) if no else None
    person.household_fk = (household or _new_household(session, on)).id
    person.relationship = payload["relationship"]


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


def _reflect_birth(session: Session, payload: dict[str, Any]) -> int:
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
    address = _current_address(session, parent.id) or ""
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
    own = _register_member(session, parent.id)
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


def _reflect_move_in(session: Session, payload: dict[str, Any]) -> int:
    on = date.fromisoformat(payload["on"])
    since = date.fromisoformat(payload["since"]) if payload.get("since") else on
    no = payload.get("household_no")
    household = session.scalar(select(Household).where(Household.household_no == no)) if no else None
    person = _newcomer(
        session,
        payload,
        family_name=payload["family_name"],
        family_kana=payload["family_kana"],
        household_fk=(household or _new_household(session, on)).id,
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


def _reflect_separation(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    old = _register_member(session, person_fk)
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
        koseki_no=_new_koseki_no(session),
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
    address = _current_address(session, person_fk)
    if address is not None:  # the new register's 附票 begins with the address held on that day
        session.add(FuhyoEntry(member_fk=member.id, seq=1, address=address, since=on))


def _new_koseki_no(session: Session) -> str:
    """A register number after the village's last one, in its numbering (K<code>-<7 digits>)."""
    last = session.scalar(select(Koseki).order_by(Koseki.id.desc()).limit(1))
    prefix = last.koseki_no.rsplit("-", 1)[0] if last else "K"
    n = (last.id if last else 0) + 1
    while session.scalar(select(Koseki.id).where(Koseki.koseki_no == f"{prefix}-{n:07d}")):
        n += 1
    return f"{prefix}-{n:07d}"


def _reflect_stop_change(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person_id = session.scalar(select(Person.person_id).where(Person.id == person_fk))
    assert person_id is not None
    kind = payload["kind"]
    cause = "support_measure" if kind is None else "village"
    day = date.fromisoformat(payload["on"])
    if payload["start"]:
        set_stop(session, person_id, cause=cause, kind=kind, since=day, by=payload["by"])
        return
    with contextlib.suppress(RegistryError):  # an end with no live stop has nothing left to end
        lift_stop(session, person_id, cause=cause, kind=kind, on=day, by=payload["by"])


def _reflect_seal(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    for seal in session.scalars(select(Seal).where(Seal.person_fk == person_fk, Seal.status == "registered")):
        seal.status = "abolished"
        seal.abolished_on = date.fromisoformat(payload["abolished_on"])


def _reflect_seal_registration(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    family = session.scalar(select(Person.family_name).where(Person.id == person_fk))
    assert family is not None  # the journal's foreign key
    size_mm = int(payload["size_mm"])
    png = seal_png(family, square=bool(payload["square"]), size_mm=size_mm)
    sha = hashlib.sha256(png).hexdigest()
    impression = session.scalar(select(SealImpression.id).where(SealImpression.digest == sha))
    if impression is None:  # identical impressions share one row, as the generator's do
        row = SealImpression(digest=sha, png=png, size_mm=size_mm)
        session.add(row)
        session.flush()
        impression = row.id
    session.add(
        Seal(
            person_fk=person_fk,
            registration_no=payload["registration_no"],
            impression_fk=impression,
            registered_on=date.fromisoformat(payload["on"]),
            status="registered",
        )
    )


def _reflect_tax(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    fy = int(payload["fiscal_year"])
    t = session.scalar(select(TaxRecord).where(TaxRecord.person_fk == person_fk, TaxRecord.fiscal_year == fy))
    if t is None:
        raise RegistryError("tax_record_unknown", f"no tax record for fiscal year {fy}")
    for key in TAX_AMENDABLE:
        if key in payload:
            setattr(t, key, int(payload[key]))
    birth = session.scalar(select(Person.birth_date).where(Person.id == person_fk))
    assert birth is not None
    age = fy - 1 - birth.year
    a = assess(
        fiscal_year=fy,
        salary_income=t.salary_income,
        pension_income=t.pension_income,
        other_earnings=t.other_earnings,
        age=age,
        social_insurance=t.ded_social_insurance,
        life_insurance=t.ded_life_insurance,
        has_spouse=t.ded_spouse > 0,
        dependants=t.dependants,
        elderly_spouse=t.ded_spouse == residenttax.spouse_deduction(elderly=True),  # as recorded
    )
    for key, value in vars(a).items():
        setattr(t, key, value)


def _reflect_tax_assessment(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    person = session.get(Person, person_fk)
    assert person is not None  # the journal's foreign key
    fy = int(payload["fiscal_year"])
    jan1 = _address_on(session, person, date(fy, 1, 1))
    t = session.scalar(select(TaxRecord).where(TaxRecord.person_fk == person_fk, TaxRecord.fiscal_year == fy))
    if t is None:
        t = TaxRecord(person_fk=person_fk, fiscal_year=fy, address_jan1=jan1 or "")
        session.add(t)
    spouse = payload["spouse"]
    a = assess(
        fiscal_year=fy,
        salary_income=int(payload["salary_income"]),
        pension_income=int(payload["pension_income"]),
        other_earnings=int(payload["other_earnings"]),
        age=fy - 1 - person.birth_date.year,  # as _reflect_tax and the generator count it
        social_insurance=int(payload["ded_social_insurance"]),
        life_insurance=int(payload["ded_life_insurance"]),
        has_spouse=spouse != "none",
        dependants=int(payload["dependants"]),
        elderly_spouse=spouse == "elderly_spouse",
    )
    t.salary_income = int(payload["salary_income"])
    t.pension_income = int(payload["pension_income"])
    t.other_earnings = int(payload["other_earnings"])
    t.ded_life_insurance = int(payload["ded_life_insurance"])
    t.dependants = int(payload["dependants"])
    for key, value in vars(a).items():
        setattr(t, key, value)


def _reflect_koseki(session: Session, person_fk: int, payload: dict[str, Any]) -> None:
    member = session.scalar(
        select(KosekiMember)
        .where(KosekiMember.person_fk == person_fk, KosekiMember.removed.is_(False))
        .order_by(KosekiMember.id.desc())
    )
    if member is None:
        raise RegistryError("not_in_register", "the person is not recorded in a register here")
    seq = (
        session.scalar(
            select(KosekiEvent.seq).where(KosekiEvent.member_fk == member.id).order_by(KosekiEvent.seq.desc())
        )
        or 0
    )
    if payload.get("leaves"):  # 死亡, or a marriage or divorce into another register: 除籍
        member.removed = True
        member.removed_on = date.fromisoformat(payload["event_date"])
        member.removed_reason = payload.get("title") or payload["event"]
    session.add(
        KosekiEvent(
            member_fk=member.id,
            seq=seq + 1,
            kind=payload["event"],
            event_date=date.fromisoformat(payload.get("event_date") or payload["notified_on"]),
            place=payload.get("place"),
            notified_on=date.fromisoformat(payload.get("notified_on") or payload["event_date"]),
            notifier=payload.get("notifier"),
            spouse_name=payload.get("spouse_name"),
            previous_register=payload.get("previous_register"),
            new_register=payload.get("new_register"),
        )
    )
