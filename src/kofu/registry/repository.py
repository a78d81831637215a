"""Reads of the registry for kiosks and the composer; each returns frozen records, never ORM objects.

Every lookup goes through an index (persons by id, card links by serial, persons by household, members by
register, tax records by person and year). `read_snapshot` takes one consistent read of everything a
certificate needs: REPEATABLE READ on PostgreSQL, one read transaction (BEGIN … COMMIT) on SQLite.
The statements are plain Core on the tables: loading ORM objects only to copy them into records cost
more CPU than the SQL (two snapshots a certificate at the municipal server).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Executable, Result, Row, bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kofu.db import isolation_view, table_of
from kofu.registry.cards import storable_serial
from kofu.registry.errors import RegistryError
from kofu.registry.models import (
    FOREIGN_COLUMNS,
    Address,
    CardLink,
    Change,
    FuhyoEntry,
    Household,
    Koseki,
    KosekiEvent,
    KosekiMember,
    Person,
    PersonStop,
    Seal,
    SealImpression,
    TaxRecord,
    UsageRegistration,
)
from kofu.registry.records import (
    TAX_CHANGE_KINDS,
    AddressRecord,
    ForeignRecord,
    FuhyoRecord,
    HouseholdRecord,
    KosekiEventRecord,
    KosekiMemberRecord,
    KosekiRecord,
    PendingChange,
    PersonRecord,
    PersonSnapshot,
    SealRecord,
    StopRecord,
    TaxYearRecord,
    UsageRecord,
)

T = TypeVar("T")

_PERSONS = table_of(Person)
_HOUSEHOLDS = table_of(Household)
_ADDRESSES = table_of(Address)
_CARD_LINKS = table_of(CardLink)
_SEALS = table_of(Seal)
_IMPRESSIONS = table_of(SealImpression)
_TAX = table_of(TaxRecord)
_KOSEKI = table_of(Koseki)
_MEMBERS = table_of(KosekiMember)
_EVENTS = table_of(KosekiEvent)
_FUHYO = table_of(FuhyoEntry)
_USAGE = table_of(UsageRegistration)
_CHANGES = table_of(Change)
_STOPS = table_of(PersonStop)

_PERSON_COLUMNS = (
    *(
        _PERSONS.c[name]
        for name in (
            "id",
            "person_id",
            "family_name",
            "given_name",
            "family_kana",
            "given_kana",
            "former_surname",
            "former_surname_kana",
            "birth_date",
            "sex",
            "status",
        )
    ),
    _HOUSEHOLDS.c.household_no,
    *(_PERSONS.c[name] for name in ("relationship", "became_resident_on", "honseki", "hittousha")),
    *(_PERSONS.c[name] for name in FOREIGN_COLUMNS),
    *(_ADDRESSES.c[name] for name in ("address", "since", "notified_on", "previous_address", "reason")),
)


def _execute(session: Session, statement: Executable, params: dict[str, Any]) -> Result[Any]:
    """A Core statement in the session's transaction, after what the session holds unflushed."""
    if session.autoflush:  # as an ORM query would: a caller's pending changes are seen
        session.flush()
    return session.connection().execute(statement, params)


# Only the current address joins: a pending change lives in the journal, never in `addresses`.
_PERSON_SELECT = (
    select(*_PERSON_COLUMNS)
    .outerjoin(_HOUSEHOLDS, _HOUSEHOLDS.c.id == _PERSONS.c.household_fk)
    .outerjoin(_ADDRESSES, (_ADDRESSES.c.person_fk == _PERSONS.c.id) & _ADDRESSES.c.current.is_(True))
)
# The statements are built once: building one cost more than running it (person_id etc. are bound)
_IS_PERSON = _PERSONS.c.person_id == bindparam("person_id")
_PK = select(_PERSONS.c.id).where(_IS_PERSON)
_PERSON = _PERSON_SELECT.where(_IS_PERSON)
_BY_SERIAL = _PERSON_SELECT.join(_CARD_LINKS, _CARD_LINKS.c.person_fk == _PERSONS.c.id).where(
    _CARD_LINKS.c.auth_serial == bindparam("serial")
)
# the household id from an indexed subquery, the members from the household index
_HOUSEHOLD_MEMBERS = _PERSON_SELECT.where(
    _PERSONS.c.household_fk == select(_PERSONS.c.household_fk).where(_IS_PERSON).scalar_subquery(),
    _PERSONS.c.status == "resident",
).order_by(_PERSONS.c.id)
_SEALS_OF = (
    select(
        *(_SEALS.c[name] for name in ("registration_no", "status", "registered_on", "abolished_on")),
        _IMPRESSIONS.c.png,
        _IMPRESSIONS.c.size_mm,
    )
    .join(_PERSONS, _PERSONS.c.id == _SEALS.c.person_fk)
    .join(_IMPRESSIONS, _IMPRESSIONS.c.id == _SEALS.c.impression_fk)
    .where(_IS_PERSON)
    .order_by(_SEALS.c.registered_on, _SEALS.c.id)
)
# the record's fields, so a row builds it by name
_TAX_OF = (
    select(*(_TAX.c[f] for f in TaxYearRecord.__dataclass_fields__))
    .join(_PERSONS, _PERSONS.c.id == _TAX.c.person_fk)
    .where(_IS_PERSON)
)
_TAX_YEARS = _TAX_OF.order_by(_TAX.c.fiscal_year)
_TAX_YEAR = _TAX_OF.where(_TAX.c.fiscal_year == bindparam("fiscal_year"))
_REGISTERS_OF = (
    select(_KOSEKI.c.id, _KOSEKI.c.status, _MEMBERS.c.removed)
    .join(_MEMBERS, _MEMBERS.c.koseki_fk == _KOSEKI.c.id)
    .join(_PERSONS, _PERSONS.c.id == _MEMBERS.c.person_fk)
    .where(_IS_PERSON)
)
_MEMBER_FIELDS = (
    "seq",
    "given_name",
    "birth_date",
    "sex",
    "father_name",
    "mother_name",
    "relationship",
    "spouse_role",
    "removed",
    "removed_on",
    "removed_reason",
)
_KOSEKI_ROW = select(_KOSEKI).where(_KOSEKI.c.id == bindparam("koseki"))
_KOSEKI_MEMBERS = (
    select(
        _MEMBERS.c.id,
        _PERSONS.c.person_id,
        _PERSONS.c.former_surname,
        _PERSONS.c.family_name,
        _PERSONS.c.family_kana,
        _PERSONS.c.given_kana,
        *(_MEMBERS.c[f] for f in _MEMBER_FIELDS),
    )
    .outerjoin(_PERSONS, _PERSONS.c.id == _MEMBERS.c.person_fk)
    .where(_MEMBERS.c.koseki_fk == bindparam("koseki"))
    .order_by(_MEMBERS.c.seq)
)
_MEMBERS_EVENTS = (
    select(_EVENTS.c.member_fk, *(_EVENTS.c[f] for f in KosekiEventRecord.__dataclass_fields__))
    .where(_EVENTS.c.member_fk.in_(bindparam("members", expanding=True)))
    .order_by(_EVENTS.c.member_fk, _EVENTS.c.seq)
)
_MEMBERS_FUHYO = (
    select(_FUHYO.c.member_fk, _FUHYO.c.address, _FUHYO.c.since)
    .where(_FUHYO.c.member_fk.in_(bindparam("members", expanding=True)))
    .order_by(_FUHYO.c.member_fk, _FUHYO.c.seq)
)
_PENDING_OF = (
    select(_CHANGES.c.id, _PERSONS.c.person_id, _CHANGES.c.kind, _CHANGES.c.filed_on, _CHANGES.c.payload)
    .join(_PERSONS, _PERSONS.c.id == _CHANGES.c.person_fk)
    .where(_PERSONS.c.person_id.in_(bindparam("persons", expanding=True)), _CHANGES.c.status == "pending")
    .order_by(_CHANGES.c.id)
)
# the pending changes that alter a household without being about one of its members (one joining it)
_PENDING_IN = (
    select(_CHANGES.c.id, _PERSONS.c.person_id, _CHANGES.c.kind, _CHANGES.c.filed_on, _CHANGES.c.payload)
    .select_from(_CHANGES)
    .join(_HOUSEHOLDS, _HOUSEHOLDS.c.id == _CHANGES.c.household_fk)
    .outerjoin(_PERSONS, _PERSONS.c.id == _CHANGES.c.person_fk)
    .where(
        _HOUSEHOLDS.c.household_no.in_(bindparam("households", expanding=True)),
        _CHANGES.c.status == "pending",
    )
)
_STOPS_OF = (
    select(_PERSONS.c.person_id, _STOPS.c.kind)
    .join(_PERSONS, _PERSONS.c.id == _STOPS.c.person_fk)
    .where(_PERSONS.c.person_id.in_(bindparam("persons", expanding=True)), _STOPS.c.lifted_on.is_(None))
    .order_by(_STOPS.c.id)
)
_USAGE_OF = (
    select(_USAGE.c.status, _USAGE.c.filed_on, _USAGE.c.decided_on)
    .join(_PERSONS, _PERSONS.c.id == _USAGE.c.person_fk)
    .where(_IS_PERSON)
    .order_by(_USAGE.c.filed_on.desc(), _USAGE.c.id.desc())
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
        foreign=_foreign_record(row),
    )


def _foreign_record(row: Row[Any]) -> ForeignRecord | None:
    if row.nationality is None:
        return None
    return ForeignRecord(
        nationality=row.nationality,
        residence_status=row.residence_status,
        residence_period=row.residence_period,
        residence_until=row.residence_until,
        category=row.residence_category,
        alias=row.alias,
        alias_kana=row.alias_kana,
    )


def _pk(session: Session, person_id: str) -> int | None:
    return _execute(session, _PK, {"person_id": person_id}).scalar()


def person_pk(session: Session, person_id: str) -> int:
    """The row id of a person the caller is about to write about; person_unknown when there is none."""
    pk = _pk(session, person_id)
    if pk is None:
        raise RegistryError("person_unknown", f"no person {person_id!r} in the registry")
    return pk


def person(session: Session, person_id: str) -> PersonRecord | None:
    """A person by public id."""
    row = _execute(session, _PERSON, {"person_id": person_id}).first()
    return _person_record(row) if row else None


def person_by_serial(session: Session, serial: int) -> PersonRecord | None:
    """The person whose card or phone user-authentication certificate has `serial`."""
    if not storable_serial(serial):
        return None
    row = _execute(session, _BY_SERIAL, {"serial": serial}).first()
    return _person_record(row) if row else None


def household_members(session: Session, person_id: str) -> tuple[PersonRecord, ...]:
    """The current residents of the person's household, head first (empty when not in one)."""
    rows = _execute(session, _HOUSEHOLD_MEMBERS, {"person_id": person_id}).all()
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
    rows = _execute(session, _SEALS_OF, {"person_id": person_id}).all()
    if not rows:
        return None
    registered = [r for r in rows if r.status == "registered"]
    return SealRecord(**(registered or rows)[-1]._mapping)


def tax_years(session: Session, person_id: str) -> tuple[TaxYearRecord, ...]:
    """All the person's tax records, oldest first."""
    rows = _execute(session, _TAX_YEARS, {"person_id": person_id})
    return tuple(TaxYearRecord(**t._mapping) for t in rows)


def tax_year(session: Session, person_id: str, fiscal_year: int) -> TaxYearRecord | None:
    """One fiscal year's record (indexed by person and year)."""
    t = _execute(session, _TAX_YEAR, {"person_id": person_id, "fiscal_year": fiscal_year}).first()
    return TaxYearRecord(**t._mapping) if t else None


_STATUS_ORDER = {"current": 0, "closed": 1, "pre_conversion": 2}


def register_of(session: Session, person_id: str) -> KosekiRecord | None:
    """The register the person is recorded in: a current one where not removed, else the latest other."""
    rows = _execute(session, _REGISTERS_OF, {"person_id": person_id}).all()
    if not rows:
        return None
    best = min(rows, key=lambda r: (r.removed, _STATUS_ORDER[r.status], -r.id))
    return register(session, best.id)


def register(session: Session, koseki_pk: int) -> KosekiRecord | None:
    """A register with every member, event and 附票 line (four indexed queries)."""
    k = _execute(session, _KOSEKI_ROW, {"koseki": koseki_pk}).first()
    if k is None:
        return None
    members = _execute(session, _KOSEKI_MEMBERS, {"koseki": k.id}).all()
    ids = [m.id for m in members]
    events: dict[int, list[KosekiEventRecord]] = {i: [] for i in ids}
    fuhyo: dict[int, list[FuhyoRecord]] = {i: [] for i in ids}
    if ids:
        for e in _execute(session, _MEMBERS_EVENTS, {"members": ids}):
            events[e.member_fk].append(KosekiEventRecord(*tuple(e)[1:]))
        for f in _execute(session, _MEMBERS_FUHYO, {"members": ids}):
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
        # one who left by marriage bears another 氏: the reading is a member's who bears the register's
        family_kana=next((m.family_kana for m in members if m.family_name == k.hittousha_family), None),
        members=tuple(
            KosekiMemberRecord(
                person_id=m.person_id,
                family_name=k.hittousha_family,
                former_surname=m.former_surname,
                given_kana=m.given_kana,
                events=tuple(events[m.id]),
                fuhyo=tuple(fuhyo[m.id]),
                **{f: m._mapping[f] for f in _MEMBER_FIELDS},
            )
            for m in members
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


def pending_changes(
    session: Session, person_ids: Iterable[str], households: Iterable[str] = ()
) -> tuple[PendingChange, ...]:
    """Changes filed and not yet reflected for any of `person_ids` or altering any of `households`."""
    ids, nos = sorted(set(person_ids)), sorted(set(households))
    rows = {r.id: r for r in (_execute(session, _PENDING_OF, {"persons": ids}).all() if ids else ())}
    if nos:
        rows.update((r.id, r) for r in _execute(session, _PENDING_IN, {"households": nos}))
    out = []
    for _, r in sorted(rows.items()):
        payload = json.loads(r.payload)
        fy = payload.get("fiscal_year") if r.kind in TAX_CHANGE_KINDS else None
        who = r.person_id or payload["person_id"]  # a change creating a person names them in its payload
        out.append(PendingChange(r.id, who, r.kind, r.filed_on, int(fy) if fy is not None else None))
    return tuple(out)


def live_stops(session: Session, person_ids: Iterable[str]) -> tuple[StopRecord, ...]:
    """The stops not lifted of any of `person_ids` (支援措置, kinds the village turned off)."""
    ids = sorted(set(person_ids))
    if not ids:
        return ()
    return tuple(StopRecord(r.person_id, r.kind) for r in _execute(session, _STOPS_OF, {"persons": ids}))


def has_pending_change(session: Session, person_id: str, kind: str | None = None) -> bool:
    """Whether the person has a change not yet reflected (LAG-1: the composer then refuses)."""
    return any(kind is None or c.kind == kind for c in pending_changes(session, [person_id]))


def usage_registration(session: Session, person_id: str) -> UsageRecord | None:
    """The person's latest usage registration (REG-1)."""
    u = _execute(session, _USAGE_OF, {"person_id": person_id}).first()
    return UsageRecord(**u._mapping) if u else None


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
        pending=pending_changes(session, involved, [hh.household_no] if hh else ()),
        stops=live_stops(session, involved),
    )


def read_snapshot(engine: Engine, person_id: str) -> PersonSnapshot | None:
    """`snapshot` in its own consistent read transaction (INC-4, INC-5: nothing half-updated is seen)."""
    return read_consistently(engine, lambda session: snapshot(session, person_id))


def read_consistently(engine: Engine, work: Callable[[Session], T]) -> T:
    """`work` in one read transaction that sees one moment of the registry (REPEATABLE READ, WAL)."""
    if engine.dialect.name == "postgresql":
        engine = isolation_view(engine, "REPEATABLE READ")
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
