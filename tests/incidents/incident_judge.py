"""Judging the printed paper, not the API's word: pdftotext of every page against the registry now.

A printed document passes when every page carries the same unique number and its own "n / N"
(PAG-1, INC-3), it names every person the requester chose and nobody else (CRT-1, INC-1/2/7/8), and
what it says is the registry's current record, read after the fact (INC-4, INC-5, INC-6). The
center's ledger must show one charge per printed paper and none for an order that printed nothing.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from incident_kiosk import Outcome
from incident_stack import Stack
from sqlalchemy import select

from kofu.center.models import LedgerEntry, Order
from kofu.registry.models import Address, Koseki, KosekiMember, Person, Seal

NUMBER = re.compile(r"[0-9]{6}-[0-9]{8}-[0-9]{6}-[0-9]")
LABEL = re.compile(r"証明書番号([0-9]{6}-[0-9]{8}-[0-9]{6}-[0-9])([0-9]+)/([0-9]+)")
GIVEN = re.compile(r"【名】\s*(\S+)")


def squeeze(text: str) -> str:
    """Text without spaces, full-width letters and digits folded (NFKC), to compare printed and stored."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Resident:
    """One person's current record as the registry holds it after the fact."""

    person_id: str
    name: str  # family + given, squeezed
    given: str
    former_surname: str | None
    address: str | None  # current, squeezed
    household: int | None
    seal_registered: bool
    register: int | None  # the current family register the person is a member of


@dataclass(frozen=True)
class Registry:
    """The registry read after the fact: persons, and each register's members' given names."""

    persons: dict[str, Resident]
    register_given: dict[int, frozenset[str]]

    def household_of(self, person_id: str) -> list[Resident]:
        household = self.persons[person_id].household
        return [r for r in self.persons.values() if household is not None and r.household == household]


def read_registry(stack: Stack) -> Registry:
    """Every person's current name, address, household, seal and register (one read, after the fact)."""
    with stack.registry_sessions()() as session:
        addresses = dict(
            session.execute(select(Address.person_fk, Address.address).where(Address.current)).all()
        )
        sealed = set(session.scalars(select(Seal.person_fk).where(Seal.status == "registered")))
        members = session.execute(
            select(
                KosekiMember.koseki_fk, KosekiMember.person_fk, KosekiMember.given_name, KosekiMember.removed
            )
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .where(Koseki.status == "current")
        ).all()
        register_of = {pfk: kfk for kfk, pfk, _, removed in members if pfk is not None and not removed}
        given: dict[int, set[str]] = {}
        for kfk, _, name, _ in members:
            given.setdefault(kfk, set()).add(squeeze(name))
        persons = {}
        for p in session.scalars(select(Person)):
            address = addresses.get(p.id)
            persons[p.person_id] = Resident(
                p.person_id,
                squeeze(p.family_name + p.given_name),
                squeeze(p.given_name),
                p.former_surname,
                squeeze(address) if address else None,
                p.household_fk,
                p.id in sealed,
                register_of.get(p.id),
            )
    return Registry(persons, {k: frozenset(v) for k, v in given.items()})


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, as pdftotext reads it (`-f n -l n`), with its layout."""
    stat = pdf.stat()
    return list(_page_texts(str(pdf), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=256)
def _page_texts(pdf: str, _size: int, _mtime: int) -> tuple[str, ...]:
    """Cached per file version: a printed paper never changes, and is judged more than once."""
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return tuple(
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), pdf, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    )


def subjects(outcome: Outcome, registry: Registry) -> list[Resident]:
    """Whom the document must name: the chosen persons, the requester, or the whole register."""
    choice = outcome.choice
    if choice.kind == "koseki" and choice.option == "whole":
        register = registry.persons[outcome.requester].register
        return [r for r in registry.persons.values() if register is not None and r.register == register]
    if choice.persons:
        return [registry.persons[p] for p in choice.persons]
    return [registry.persons[outcome.requester]]


def judge_paper(outcome: Outcome, registry: Registry) -> list[str]:
    """What is wrong with one printed paper (empty: nothing)."""
    problems: list[str] = []
    pages = page_texts(outcome.paper)
    squeezed = [squeeze(p) for p in pages]
    everything = "".join(squeezed)
    numbers = set(NUMBER.findall(everything))
    if len(numbers) != 1:
        problems.append(f"{len(numbers)} different unique numbers in one document: {sorted(numbers)}")
    labels = [set(LABEL.findall(p)) for p in squeezed]
    totals = {int(total) for found in labels for _, _, total in found}
    if len(totals) != 1:
        problems.append(f"page totals disagree: {sorted(totals)}")
    else:
        total = totals.pop()
        sides = 2 if total * 2 == len(pages) else 1  # front and back (裏面) of each sheet
        if total * sides != len(pages):
            problems.append(f"{len(pages)} pages printed for a document of {total}")
        for index, found in enumerate(labels):
            expected = math.ceil((index + 1) / sides)
            if {(int(n), int(t)) for _, n, t in found} != {(expected, total)}:
                problems.append(f"page {index + 1} does not carry only its own label {expected} / {total}")
            if {number for number, _, _ in found} != numbers:
                problems.append(f"page {index + 1} carries another document's number")
    wanted = subjects(outcome, registry)
    kind = outcome.choice.kind
    if kind == "koseki":
        register = registry.persons[outcome.requester].register
        allowed = registry.register_given.get(register or -1, frozenset())
        printed_given = {squeeze(m) for page in pages for m in GIVEN.findall(page)}
        for person in wanted:
            if person.given not in printed_given:
                problems.append(f"{person.person_id} chosen but not printed")
        strangers = printed_given - allowed
        if strangers:
            problems.append(f"given names of another register printed: {sorted(strangers)}")
    else:
        for person in wanted:
            if person.name not in everything:
                problems.append(f"{person.person_id} chosen but not printed")
        allowed_names = {p.name for p in wanted}
        if kind == "juminhyo":  # the head of the household is named as 世帯主
            allowed_names |= {r.name for r in registry.household_of(outcome.requester)}
        others = sorted(
            r.person_id
            for r in registry.persons.values()
            if r.name not in allowed_names and len(r.name) >= 3 and r.name in everything
        )
        if others:
            problems.append(f"names of persons not chosen printed: {others}")
        if kind in ("juminhyo", "inkan"):
            for person in wanted:
                if person.address is None or person.address not in everything:
                    problems.append(f"{person.person_id}: not the current address {person.address}")
        if kind == "inkan" and not registry.persons[outcome.requester].seal_registered:
            problems.append("a seal certificate printed for a seal not registered now")
        if kind == "juminhyo":
            for person in wanted:
                if person.former_surname and f"旧氏{squeeze(person.former_surname)}" not in everything:
                    problems.append(f"{person.person_id}: registered 旧氏 missing")
    return problems


@dataclass(frozen=True)
class Ledger:
    """The center's orders and charges, read after the fact."""

    states: dict[str, str]
    void_reasons: dict[str, str | None]
    charged: dict[str, int]  # order id -> ledger entries
    numbers: dict[str, str | None]


def read_ledger(stack: Stack) -> Ledger:
    with stack.center_sessions()() as session:
        orders = session.scalars(select(Order)).all()
        entries = session.scalars(select(LedgerEntry.order_id)).all()
    charged: dict[str, int] = {}
    for order_id in entries:
        charged[str(order_id)] = charged.get(str(order_id), 0) + 1
    return Ledger(
        {str(o.order_id): o.state for o in orders},
        {str(o.order_id): o.void_reason for o in orders},
        charged,
        {str(o.order_id): o.document_number for o in orders},
    )


def judge_ledger(outcomes: Iterable[Outcome], ledger: Ledger) -> list[str]:
    """NRF-1, FEE-1, INC-1: one charge per printed paper; an order that printed nothing is voided, free."""
    problems = []
    for outcome in outcomes:
        charged = [o for o in outcome.orders if ledger.charged.get(o, 0) > 0]
        if any(ledger.charged.get(o, 0) > 1 for o in outcome.orders):
            problems.append(f"{outcome.terminal}: an order charged twice")
        if outcome.printed and len(charged) != 1:
            problems.append(f"{outcome.terminal}: printed with {len(charged)} charges ({outcome.code})")
        if not outcome.printed and charged:
            problems.append(f"{outcome.terminal}: charged without a print ({outcome.code})")
        for order_id in outcome.orders:
            state = ledger.states.get(order_id)
            if state not in ("charged", "voided"):
                problems.append(f"{outcome.terminal}: order {order_id} left {state}")
            if state == "voided" and ledger.charged.get(order_id):
                problems.append(f"{outcome.terminal}: voided order {order_id} charged")
    return problems


def judge_all(stack: Stack, outcomes: list[Outcome]) -> list[str]:
    """Every printed paper and the ledger, against the registry and the center read after the fact."""
    registry = read_registry(stack)
    problems = []
    for outcome in outcomes:
        if outcome.printed:
            problems += [
                f"{outcome.terminal} {outcome.requester}: {p}" for p in judge_paper(outcome, registry)
            ]
    problems += judge_ledger(outcomes, read_ledger(stack))
    return problems
