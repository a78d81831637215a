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
from kofu.registry import newcomers
from kofu.registry.belonging import (
    HEAD,
    age_on,
    current_address,
    new_household,
    register_member,
    residents_of,
)
from kofu.registry.errors import RegistryError
from kofu.registry.journal import file_change
from kofu.registry.models import (
    CREATING_KINDS,
    Address,
    Change,
    Household,
    KosekiEvent,
    KosekiMember,
    Person,
    Seal,
    SealImpression,
    TaxRecord,
)
from kofu.registry.repository import person_pk
from kofu.registry.separation import reflect_separation, separation_payload
from kofu.registry.stops import lift_stop, set_stop
from kofu.registry.taxcalc import assess
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
    person_fk = person_pk(session, person_id)
    return file_change(
        session, person_fk=person_fk, kind=kind, filed_on=filed_on, payload=payload, household_fk=household_fk
    )


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
    if age_on(p.birth_date, on) < 15:  # 印鑑登録事務処理要領: from 15
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
    if register_member(session, person_pk(session, person_id)) is None:  # refused now, not when reflected
        raise RegistryError("not_in_register", "the person is not recorded in a current register here")
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


def file_household_change(
    session: Session, person_id: str, *, household_no: str | None, relationship: str, on: date
) -> int:
    """A resident joins another household at the same address, or heads a new one there (世帯変更);
    pending until reflected, both households' 住民票 refused meanwhile (LAG-1)."""
    p = session.scalar(select(Person).where(Person.person_id == person_id))
    if p is None or p.status != "resident":
        raise RegistryError("not_resident", "only a resident changes household")
    if p.relationship == HEAD and len(residents_of(session, p.household_fk)) > 1:
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
    residents = residents_of(session, target.id) if target else []
    if target is None or not residents:
        raise RegistryError("household_unknown", f"no household {household_no} with residents here")
    if target.id == person.household_fk:
        raise RegistryError("already_in_household", f"the person is already in household {household_no}")
    if relationship == HEAD and any(r.relationship == HEAD for r in residents):
        raise RegistryError("household_has_head", f"household {household_no} has its {HEAD}")
    here = {current_address(session, r.id) for r in residents}
    if current_address(session, person.id) not in here:  # INC-5: a household is at one address
        raise RegistryError("address_differs", "the household is at another address: file a move first")
    return target


def file_separation(session: Session, person_id: str, *, on: date, filed_on: date, **new: Any) -> int:
    """分籍: the member leaves for a register of their own; pending until reflected, the register's
    certificates refused meanwhile (LAG-1)."""
    payload = separation_payload(session, person_id, on=on, filed_on=filed_on, **new)
    return _file(session, person_id, "separation", filed_on, payload)


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
        create = newcomers.reflect_birth if change.kind == "birth" else newcomers.reflect_move_in
        change.person_fk = create(session, payload)
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
        "separation": reflect_separation,
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
        person.status_changed_on = date.fromisoformat(payload["on"])


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
    person.household_fk = (household or new_household(session, on)).id
    person.relationship = payload["relationship"]


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
    member = register_member(session, person_fk)  # never a 改製原戸籍's or a closed register's entry
    if member is None:
        raise RegistryError("not_in_register", "the person is not recorded in a current register here")
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
