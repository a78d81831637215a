"""Reads of the registry for kiosks and the composer; each returns frozen records, never ORM objects.

Every lookup goes through an index (persons by id, card links by serial, persons by household, members by
register, tax records by person and year). `read_snapshot` takes one consistent read of everything a
certificate needs: REPEATABLE READ on PostgreSQL, one read transaction (BEGIN … ROLLBACK) on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Row, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kofu.registry.cards import storable_serial
from kofu.registry.models import (
    Address,
    CardLink,
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
    UsageRegistration,
)
from kofu.registry.records import (
    AddressRecord,
    FuhyoRecord,
    HouseholdRecord,
    KosekiEventRecord,
    KosekiMemberRecord,
    KosekiRecord,
    PendingChange,
    PersonRecord,
    PersonSnapshot,
    SealRecord,
    TaxYearRecord,
    UsageRecord,
)

T = TypeVar("T")

_PERSON_COLUMNS = (
    Person.id,
    Person.person_id,
    Person.family_name,
    Person.given_name,
    Person.family_kana,
    Person.given_kana,
    Person.former_surname,
    Person.former_surname_kana,
    Person.birth_date,
    Person.sex,
    Person.status,
    Household.household_no,
    Person.relationship,
    Person.became_resident_on,
    Person.honseki,
    Person.hittousha,
    Address.address,
    Address.since,
    Address.notified_on,
    Address.previous_address,
    Address.reason,
)


def _person_select() -> Any:
    # Only the current address joins: a pending change lives in the journal, never in `addresses`.
    return (
        select(*_PERSON_COLUMNS)
        .outerjoin(Household, Household.id == Person.household_fk)
        .outerjoin(Address, (Address.person_fk == Person.id) & Address.current.is_(True))
    )


def _person_record(row: Row[Any]) -> PersonRecord:
    address = (
        AddressRecord(row.address, row.since, row.notified_on, row.previous_address, row.reason)
        if row.address is not None
        else None
    )
    return PersonRecord(
        person_id=row.person_id,
        family_name=row.family_name,
        given_name=row.given_name,
        family_kana=row.family_kana,
        given_kana=row.given_kana,
        former_surname=row.former_surname,
        former_surname_kana=row.former_surname_kana,
        birth_date=row.birth_date,
        sex=row.sex,
        status=row.status,
        household_no=row.household_no,
        relationship=row.relationship,
        became_resident_on=row.became_resident_on,
        honseki=row.honseki,
        hittousha=row.hittousha,
        address=address,
    )


def _pk(session: Session, person_id: str) -> int | None:
    return session.scalar(select(Person.id).where(Person.person_id == person_id))


def person(session: Session, person_id: str) -> PersonRecord | None:
    """A person by public id."""
    row = session.execute(_person_select().where(Person.person_id == person_id)).first()
    return _person_record(row) if row else None


def person_by_serial(session: Session, serial: int) -> PersonRecord | None:
    """The person whose card or phone user-authentication certificate has `serial`."""
    if not storable_serial(serial):
        return None
    row = session.execute(
        _person_select().join(CardLink, CardLink.person_fk == Person.id).where(CardLink.auth_serial == serial)
    ).first()
    return _person_record(row) if row else None


def household_members(session: Session, person_id: str) -> tuple[PersonRecord, ...]:
    """The current residents of the person's household, head first (empty when not in one)."""
    # One statement: the household id comes from an indexed subquery, members from the household index.
    hh = select(Person.household_fk).where(Person.person_id == person_id).scalar_subquery()
    rows = session.execute(
        _person_select().where(Person.household_fk == hh, Person.status == "resident").order_by(Person.id)
    ).all()
    members = [_person_record(r) for r in rows]
    members.sort(key=lambda p: not p.is_head)
    return tuple(members)


def household(session: Session, person_id: str) -> HouseholdRecord | None:
    """The person's household with its members."""
    members = household_members(session, person_id)
    if not members:
        return None
    head = next((m for m in members if m.is_head), None)
    first = head or members[0]
    return HouseholdRecord(
        household_no=first.household_no or "",
        address=first.address.address if first.address else None,
        head=head,
        members=members,
    )


def seal(session: Session, person_id: str) -> SealRecord | None:
    """The person's registration: the registered one if any, else the latest abolished one."""
    rows = session.execute(
        select(Seal, SealImpression.png, SealImpression.size_mm)
        .join(Person, Person.id == Seal.person_fk)
        .join(SealImpression, SealImpression.id == Seal.impression_fk)
        .where(Person.person_id == person_id)
        .order_by(Seal.registered_on, Seal.id)
    ).all()
    if not rows:
        return None
    registered = [r for r in rows if r[0].status == "registered"]
    s, png, size = (registered or rows)[-1]
    return SealRecord(s.registration_no, s.status, s.registered_on, s.abolished_on, png, size)


_TAX_FIELDS = tuple(TaxYearRecord.__dataclass_fields__)


def tax_years(session: Session, person_id: str) -> tuple[TaxYearRecord, ...]:
    """All the person's tax records, oldest first."""
    rows = session.scalars(
        select(TaxRecord)
        .join(Person, Person.id == TaxRecord.person_fk)
        .where(Person.person_id == person_id)
        .order_by(TaxRecord.fiscal_year)
    ).all()
    return tuple(TaxYearRecord(**{f: getattr(t, f) for f in _TAX_FIELDS}) for t in rows)


def tax_year(session: Session, person_id: str, fiscal_year: int) -> TaxYearRecord | None:
    """One fiscal year's record (indexed by person and year)."""
    t = session.scalar(
        select(TaxRecord)
        .join(Person, Person.id == TaxRecord.person_fk)
        .where(Person.person_id == person_id, TaxRecord.fiscal_year == fiscal_year)
    )
    return TaxYearRecord(**{f: getattr(t, f) for f in _TAX_FIELDS}) if t else None


_STATUS_ORDER = {"current": 0, "closed": 1, "pre_conversion": 2}


def register_of(session: Session, person_id: str) -> KosekiRecord | None:
    """The register the person is recorded in: a current one where not removed, else the latest other."""
    rows = session.execute(
        select(Koseki.id, Koseki.status, KosekiMember.removed)
        .join(KosekiMember, KosekiMember.koseki_fk == Koseki.id)
        .join(Person, Person.id == KosekiMember.person_fk)
        .where(Person.person_id == person_id)
    ).all()
    if not rows:
        return None
    best = min(rows, key=lambda r: (r.removed, _STATUS_ORDER[r.status], -r.id))
    return register(session, best.id)


def register(session: Session, koseki_pk: int) -> KosekiRecord | None:
    """A register with every member, event and 附票 line (three indexed queries)."""
    k = session.get(Koseki, koseki_pk)
    if k is None:
        return None
    members = session.execute(
        select(KosekiMember, Person.person_id)
        .outerjoin(Person, Person.id == KosekiMember.person_fk)
        .where(KosekiMember.koseki_fk == k.id)
        .order_by(KosekiMember.seq)
    ).all()
    ids = [m.id for m, _ in members]
    events: dict[int, list[KosekiEventRecord]] = {i: [] for i in ids}
    fuhyo: dict[int, list[FuhyoRecord]] = {i: [] for i in ids}
    if ids:
        for e in session.scalars(
            select(KosekiEvent)
            .where(KosekiEvent.member_fk.in_(ids))
            .order_by(KosekiEvent.member_fk, KosekiEvent.seq)
        ):
            events[e.member_fk].append(
                KosekiEventRecord(
                    e.kind,
                    e.event_date,
                    e.place,
                    e.notified_on,
                    e.notifier,
                    e.spouse_name,
                    e.previous_register,
                )
            )
        for f in session.scalars(
            select(FuhyoEntry)
            .where(FuhyoEntry.member_fk.in_(ids))
            .order_by(FuhyoEntry.member_fk, FuhyoEntry.seq)
        ):
            fuhyo[f.member_fk].append(FuhyoRecord(f.address, f.since))
    return KosekiRecord(
        koseki_no=k.koseki_no,
        honseki_place=k.honseki_place,
        honseki_lot=k.honseki_lot,
        hittousha_family=k.hittousha_family,
        hittousha_given=k.hittousha_given,
        made_on=k.made_on,
        converted_on=k.converted_on,
        conversion_reason=k.conversion_reason,
        status=k.status,
        closed_on=k.closed_on,
        members=tuple(
            KosekiMemberRecord(
                seq=m.seq,
                person_id=pid,
                family_name=k.hittousha_family,
                given_name=m.given_name,
                birth_date=m.birth_date,
                sex=m.sex,
                father_name=m.father_name,
                mother_name=m.mother_name,
                relationship=m.relationship,
                spouse_role=m.spouse_role,
                removed=m.removed,
                removed_on=m.removed_on,
                removed_reason=m.removed_reason,
                events=tuple(events[m.id]),
                fuhyo=tuple(fuhyo[m.id]),
            )
            for m, pid in members
        ),
    )


def register_members(session: Session, person_id: str) -> tuple[KosekiMemberRecord, ...]:
    """The members of the person's register (see `register_of`)."""
    k = register_of(session, person_id)
    return k.members if k else ()


def fuhyo(session: Session, person_id: str) -> tuple[FuhyoRecord, ...]:
    """The person's 附票 lines in their register, oldest first."""
    k = register_of(session, person_id)
    m = k.member(person_id) if k else None
    return m.fuhyo if m else ()


def pending_changes(session: Session, person_ids: Iterable[str]) -> tuple[PendingChange, ...]:
    """Changes filed and not yet reflected for any of `person_ids`."""
    ids = sorted(set(person_ids))
    if not ids:
        return ()
    rows = session.execute(
        select(Change.id, Person.person_id, Change.kind, Change.filed_on, Change.payload)
        .join(Person, Person.id == Change.person_fk)
        .where(Person.person_id.in_(ids), Change.status == "pending")
        .order_by(Change.id)
    ).all()
    out = []
    for r in rows:
        fy = json.loads(r.payload).get("fiscal_year") if r.kind == "tax_declaration" else None
        out.append(PendingChange(r.id, r.person_id, r.kind, r.filed_on, int(fy) if fy is not None else None))
    return tuple(out)


def has_pending_change(session: Session, person_id: str, kind: str | None = None) -> bool:
    """Whether the person has a change not yet reflected (LAG-1: the composer then refuses)."""
    return any(kind is None or c.kind == kind for c in pending_changes(session, [person_id]))


def usage_registration(session: Session, person_id: str) -> UsageRecord | None:
    """The person's latest usage registration (REG-1)."""
    u = session.scalar(
        select(UsageRegistration)
        .join(Person, Person.id == UsageRegistration.person_fk)
        .where(Person.person_id == person_id)
        .order_by(UsageRegistration.filed_on.desc(), UsageRegistration.id.desc())
    )
    return UsageRecord(u.status, u.filed_on, u.decided_on) if u else None


def snapshot(session: Session, person_id: str) -> PersonSnapshot | None:
    """Everything for one person's certificates, read in the caller's transaction."""
    p = person(session, person_id)
    if p is None:
        return None
    hh = household(session, person_id) if p.status == "resident" else None
    k = register_of(session, person_id)
    involved = {person_id}
    if hh:
        involved.update(m.person_id for m in hh.members)
    if k:
        involved.update(m.person_id for m in k.members if m.person_id)
    return PersonSnapshot(
        person=p,
        household=hh,
        seal=seal(session, person_id),
        tax_years=tax_years(session, person_id),
        koseki=k,
        usage=usage_registration(session, person_id),
        pending=pending_changes(session, involved),
    )


def read_snapshot(engine: Engine, person_id: str) -> PersonSnapshot | None:
    """`snapshot` in its own consistent read transaction (INC-4, INC-5: nothing half-updated is seen)."""
    return read_consistently(engine, lambda session: snapshot(session, person_id))


def _repeatable_read(engine: Engine) -> Engine:
    """The engine's REPEATABLE READ view, made once and kept on the engine: every menu and render reads
    through it (a cache keyed by engine would keep dropped engines and their pools alive)."""
    view: Engine | None = getattr(engine, "_kofu_repeatable_read", None)
    if view is None:
        view = engine.execution_options(isolation_level="REPEATABLE READ")
        engine._kofu_repeatable_read = view  # type: ignore[attr-defined]
    return view


def read_consistently(engine: Engine, work: Callable[[Session], T]) -> T:
    """`work` in one read transaction that sees one moment of the registry (REPEATABLE READ, WAL)."""
    if engine.dialect.name == "postgresql":
        engine = _repeatable_read(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite does not open a transaction for SELECTs; BEGIN pins one read snapshot (WAL).
            conn.exec_driver_sql("BEGIN")
        with Session(bind=conn) as session:
            try:
                found = work(session)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()  # not ROLLBACK, at which psycopg forgets every statement it prepared
            return found
