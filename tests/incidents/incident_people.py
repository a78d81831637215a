"""Choosing the village persons an incident needs, by querying the registry (works for any seed)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from incident_stack import Stack
from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.chaos.cast import settled_adults
from kofu.db import transaction
from kofu.registry.cases import find_persons
from kofu.registry.models import Koseki, KosekiMember, Person

T = TypeVar("T")


def adults(stack: Stack) -> list[tuple[str, int | None, bool]]:
    """(person id, household, has a registered seal) of resident adults whose records are settled.

    Settled: no change pending for the person, nor for anyone of the person's household or family
    register (the composer refuses those with record_change_pending, LAG-1).
    """
    with stack.registry_sessions()() as session:
        return [(a.person_id, a.household, a.sealed) for a in settled_adults(session)]


def household_of(session: Session, person_id: str) -> list[str]:
    """The residents of the person's household (the person alone when in none)."""
    household = session.scalar(select(Person.household_fk).where(Person.person_id == person_id))
    if household is None:
        return [person_id]
    return list(
        session.scalars(
            select(Person.person_id).where(Person.household_fk == household, Person.status == "resident")
        )
    )


def household_pairs(stack: Stack, count: int) -> list[tuple[str, str]]:
    """`count` pairs of adults living in the same household (distinct households)."""
    by_household: dict[int, list[str]] = {}
    for pid, household, _ in adults(stack):
        if household is not None:
            by_household.setdefault(household, []).append(pid)
    pairs = [(members[0], members[1]) for members in by_household.values() if len(members) >= 2]
    assert len(pairs) >= count, f"the village has only {len(pairs)} households with two adults"
    return pairs[:count]


def sealed_adults(stack: Stack, count: int) -> list[str]:
    """`count` adults with a registered seal, sharing neither household nor family register.

    A change filed for one of them then touches no other one's records (the composer refuses a
    record whose household or register has a change pending).
    """
    with stack.registry_sessions()() as session:
        register = dict(
            session.execute(
                select(Person.person_id, KosekiMember.koseki_fk).join(
                    KosekiMember, KosekiMember.person_fk == Person.id
                )
            ).all()
        )
    found: list[str] = []
    households: set[int | None] = set()
    registers: set[int | None] = set()
    for pid, household, sealed in adults(stack):
        if not sealed or household in households or (register.get(pid) in registers):
            continue
        found.append(pid)
        households.add(household)
        if pid in register:
            registers.add(register[pid])
    assert len(found) >= count, f"the village has only {len(found)} unrelated adults with a seal"
    return found[:count]


def large_register_adults(stack: Stack, count: int) -> list[str]:
    """Adults of large family registers (several pages), one per register first."""
    grown = {pid for pid, _, _ in adults(stack)}
    with stack.registry_sessions()() as session:
        candidates = [p for p in find_persons(session, "large_register") if p in grown]
        register = dict(
            session.execute(
                select(Person.person_id, KosekiMember.koseki_fk)
                .join(KosekiMember, KosekiMember.person_fk == Person.id)
                .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
                .where(Person.person_id.in_(candidates), Koseki.status == "current")
            ).all()
        )
    first: dict[int, str] = {}
    for p in candidates:
        first.setdefault(register[p], p)
    rest = [p for p in candidates if p not in first.values()]
    chosen = (list(first.values()) + rest)[:count]
    assert len(chosen) >= min(count, 2), "the village has too few adults of large registers"
    return chosen


def record_former_surname(stack: Stack, person_ids: Sequence[str], surname: str, kana: str) -> None:
    """The office records a 旧氏 for these persons (the registry's own field; INC-6)."""
    with transaction(stack.registry_sessions()) as session:
        for person in session.scalars(select(Person).where(Person.person_id.in_(person_ids))):
            person.former_surname, person.former_surname_kana = surname, kana


class Gate:
    """Holds every session at one step until all have arrived (or ended early): same-second requests."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.cond = threading.Condition()
        self.local = threading.local()

    def _count(self) -> None:
        with self.cond:
            self.arrived += 1
            self.cond.notify_all()

    def arrive(self) -> None:
        self.local.arrived = True
        self._count()
        with self.cond:
            self.cond.wait_for(lambda: self.arrived >= self.parties, timeout=120)

    def run(self, job: Callable[[], T]) -> T:
        """Run `job`; if it ends without reaching the gate, it counts as arrived so the others go on."""
        self.local.arrived = False
        try:
            return job()
        finally:
            if not self.local.arrived:
                self._count()


def concurrently(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run the jobs in as many threads at once; their results in order (a failure is raised)."""
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result() for f in futures]
