"""The cast of the storm: which village persons fill each pool of the plan (a query, any seed).

Persons whose records the storm changes (`changes`) are kept apart: nobody of their household or family
register is requested by anyone else, so a paper printed before a change is never judged against the
record after it, and the registry read after the fact is the truth for every paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from kofu.chaos.plan import Pool
from kofu.registry.cases import find_persons
from kofu.registry.models import Change, Koseki, KosekiMember, Person, Seal


@dataclass(frozen=True)
class Adult:
    person_id: str
    household: int | None
    register: int | None
    sealed: bool


@dataclass(frozen=True)
class Cast:
    """Each pool's persons: requesters (and for pairs, the household member they ask for too)."""

    adults: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    sealed: tuple[str, ...]
    registers: tuple[str, ...]
    changes: tuple[str, ...]
    households: dict[str, tuple[str, ...]]  # requester -> the residents of the household

    def sizes(self) -> dict[Pool, int]:
        return {
            "adults": len(self.adults),
            "pairs": len(self.pairs),
            "sealed": len(self.sealed),
            "registers": len(self.registers),
            "changes": len(self.changes),
        }

    def requesters(self) -> list[str]:
        """Everyone who needs a card."""
        return sorted({*self.adults, *self.changes})


def settled_adults(session: Session) -> list[Adult]:
    """Resident adults (20+) with no change pending for them, their household or their register."""
    born_before = date.today() - timedelta(days=366 * 20)
    waiting = Change.status == "pending"
    pending = {pk for pk in session.scalars(select(Change.person_fk).where(waiting)) if pk is not None}
    joined = set(
        session.scalars(select(Change.household_fk).where(waiting, Change.household_fk.is_not(None)))
    )
    register = dict(
        session.execute(
            select(KosekiMember.person_fk, KosekiMember.koseki_fk)
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .where(Koseki.status == "current", KosekiMember.removed.is_(False))
        ).all()
    )
    homes = dict(session.execute(select(Person.id, Person.household_fk)).all())
    bad_homes = ({homes.get(pk) for pk in pending} | joined) - {None}  # joined: a newcomer's household
    bad_registers = {register.get(pk) for pk in pending} - {None}
    rows = session.execute(
        select(
            Person.id,
            Person.person_id,
            Person.household_fk,
            exists().where(Seal.person_fk == Person.id, Seal.status == "registered"),
        )
        .where(Person.status == "resident", Person.birth_date <= born_before)
        .order_by(Person.id)
    ).all()
    return [
        Adult(pid, household, register.get(pk), bool(sealed))
        for pk, pid, household, sealed in rows
        if pk not in pending and household not in bad_homes and register.get(pk) not in bad_registers
    ]


def choose_cast(factory: sessionmaker[Session], *, changes: int, requesters: int) -> Cast:
    """Pools for a storm with up to `changes` record changes and about `requesters` card holders."""
    with factory() as session:
        adults = settled_adults(session)
        large = set(find_persons(session, "large_register"))
        residents = session.execute(
            select(Person.person_id, Person.household_fk).where(Person.status == "resident")
        ).all()
    by_home: dict[int, list[str]] = {}
    for pid, household in residents:
        if household is not None:
            by_home.setdefault(household, []).append(pid)
    chosen_changes: list[str] = []
    used_homes: set[int | None] = set()
    used_registers: set[int | None] = set()
    for adult in reversed(adults):  # from the end: the pools below take from the start
        if len(chosen_changes) >= changes:
            break
        if not adult.sealed or adult.household in used_homes or adult.register in used_registers:
            continue
        chosen_changes.append(adult.person_id)
        used_homes.add(adult.household)
        used_registers.add(adult.register)
    used_homes.discard(None)
    used_registers.discard(None)
    rest = [
        a
        for a in adults
        if a.person_id not in chosen_changes
        and a.household not in used_homes
        and (a.register is None or a.register not in used_registers)
    ][:requesters]
    households = {
        a.person_id: tuple(by_home.get(a.household, [a.person_id])) if a.household else (a.person_id,)
        for a in [*rest, *(x for x in adults if x.person_id in chosen_changes)]
    }
    pairs = [
        (a.person_id, other)
        for a in rest
        for other in households[a.person_id][:2]
        if other != a.person_id and a.household is not None
    ]
    registers = [a.person_id for a in rest if a.register is not None and a.person_id in large]
    registers += [a.person_id for a in rest if a.register is not None and a.person_id not in large]
    return Cast(
        adults=tuple(a.person_id for a in rest),
        pairs=tuple(pairs),
        sealed=tuple(a.person_id for a in rest if a.sealed),
        registers=tuple(registers),
        changes=tuple(chosen_changes),
        households=households,
    )
