"""Judging the printed paper, not the API's word: pdftotext of every page against the registry.

A printed document passes when every page carries the same unique number and its own "n / N"
(PAG-1, INC-3: else `mixed_pages`), it names every person the requester chose and nobody else
(CRT-1, INC-1/2/7/8: else `wrong_person`), and what it says is the registry's current record
(INC-4, INC-5, INC-6: else `stale`). Shared by the incident suite and `kofu bench chaos`.
"""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kofu.registry.models import Address, Change, Koseki, KosekiMember, Person, Seal
from kofu.rules.ids import DOCUMENT_NUMBER

NUMBER = re.compile(DOCUMENT_NUMBER.body)
LABEL = re.compile(rf"証明書番号({DOCUMENT_NUMBER.body})([0-9]+)/([0-9]+)")
GIVEN = re.compile(r"【名】\s*(\S+)")
NAME_MIN = 3  # shorter names occur inside ordinary words and other names: not judged as strangers

Key = Literal["wrong_person", "mixed_pages", "stale"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a paper, under the invariant it breaks."""

    key: Key
    text: str


def squeeze(text: str) -> str:
    """Text without spaces, full-width letters and digits folded (NFKC), to compare printed and stored."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Resident:
    """One person's current record as the registry holds it."""

    person_id: str
    name: str  # family + given, squeezed
    given: str
    former_surname: str | None
    address: str | None  # current, squeezed
    household: int | None
    seal_registered: bool
    register: int | None  # the current family register the person is a member of
    change_pending: bool = False  # a change filed and not yet reflected (LAG-1: must be refused)


@dataclass(frozen=True)
class Registry:
    """The registry read at one moment: persons, and each register's members' given names."""

    persons: dict[str, Resident]
    register_given: dict[int, frozenset[str]]

    def household_of(self, person_id: str) -> list[Resident]:
        household = self.persons[person_id].household
        return [r for r in self.persons.values() if household is not None and r.household == household]

    @cached_property
    def _named(self) -> dict[str, dict[str, list[str]]]:
        """Person IDs by full name, under the name's first two characters (names of 3 or more only)."""
        index: dict[str, dict[str, list[str]]] = {}
        for r in self.persons.values():
            if len(r.name) >= NAME_MIN:
                index.setdefault(r.name[:2], {}).setdefault(r.name, []).append(r.person_id)
        return index

    def named_in(self, text: str) -> dict[str, list[str]]:
        """Every name (3 characters or more) that occurs in `text`, with the persons of that name.

        One pass over the text with a dict lookup a position, not one search of it a person.
        """
        found: dict[str, list[str]] = {}
        for at in range(len(text) - NAME_MIN + 1):
            for name, ids in self._named.get(text[at : at + 2], {}).items():
                if name not in found and text.startswith(name, at):
                    found[name] = ids
        return found


def read_registry(factory: sessionmaker[Session]) -> Registry:
    """Every person's current name, address, household, seal, register and pending changes (one read)."""
    with factory() as session:
        addresses = dict(
            session.execute(select(Address.person_fk, Address.address).where(Address.current)).all()
        )
        sealed = set(session.scalars(select(Seal.person_fk).where(Seal.status == "registered")))
        pending = set(session.scalars(select(Change.person_fk).where(Change.status == "pending")))
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
                p.id in pending,
            )
    return Registry(persons, {k: frozenset(v) for k, v in given.items()})


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (`pdftotext -layout`, one run; pages end with a form feed)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@dataclass(frozen=True)
class Request:
    """What the requester chose: the kind, the persons (none: the requester), the option."""

    requester: str
    kind: str
    persons: tuple[str, ...] = ()
    option: str | None = None


def subjects(request: Request, registry: Registry) -> list[Resident]:
    """Whom the document must name: the chosen persons, the requester, or the whole register."""
    if request.kind == "koseki" and request.option == "whole":
        register = registry.persons[request.requester].register
        return [r for r in registry.persons.values() if register is not None and r.register == register]
    if request.persons:
        return [registry.persons[p] for p in request.persons]
    return [registry.persons[request.requester]]


def document_numbers(pages: list[str]) -> set[str]:
    """The unique numbers printed anywhere on the document."""
    return set(NUMBER.findall("".join(squeeze(p) for p in pages)))


def _pages_problems(pages: list[str], squeezed: list[str], numbers: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if len(numbers) != 1:
        problems.append(Problem("mixed_pages", f"{len(numbers)} unique numbers in one document"))
    labels = [set(LABEL.findall(p)) for p in squeezed]
    totals = {int(total) for found in labels for _, _, total in found}
    if len(totals) != 1:
        problems.append(Problem("mixed_pages", f"page totals disagree: {sorted(totals)}"))
        return problems
    total = totals.pop()
    sides = 2 if total * 2 == len(pages) else 1  # front and back (裏面) of each sheet
    if total * sides != len(pages):
        problems.append(Problem("mixed_pages", f"{len(pages)} pages printed for a document of {total}"))
    for index, found in enumerate(labels):
        expected = math.ceil((index + 1) / sides)
        if {(int(n), int(t)) for _, n, t in found} != {(expected, total)}:
            problems.append(
                Problem("mixed_pages", f"page {index + 1} does not carry only its label {expected} / {total}")
            )
        if {number for number, _, _ in found} != numbers:
            problems.append(Problem("mixed_pages", f"page {index + 1} carries another document's number"))
    return problems


def judge_pages(pages: list[str], request: Request, registry: Registry) -> list[Problem]:
    """What is wrong with one printed document, given the text of its pages (empty: nothing)."""
    squeezed = [squeeze(p) for p in pages]
    everything = "".join(squeezed)
    problems = _pages_problems(pages, squeezed, set(NUMBER.findall(everything)))
    wanted = subjects(request, registry)
    kind = request.kind
    for person in wanted:
        if person.change_pending:
            problems.append(Problem("stale", f"{person.person_id}: printed with a change pending (LAG-1)"))
    if kind == "koseki":
        register = registry.persons[request.requester].register
        allowed = registry.register_given.get(register or -1, frozenset())
        printed_given = {squeeze(m) for page in pages for m in GIVEN.findall(page)}
        for person in wanted:
            if person.given not in printed_given:
                problems.append(Problem("wrong_person", f"{person.person_id} chosen but not printed"))
        strangers = printed_given - allowed
        if strangers:
            problems.append(Problem("wrong_person", f"given names of another register: {sorted(strangers)}"))
        return problems
    for person in wanted:
        if person.name not in everything:
            problems.append(Problem("wrong_person", f"{person.person_id} chosen but not printed"))
    allowed_names = {p.name for p in wanted}
    if kind == "juminhyo":  # the head of the household is named as 世帯主
        allowed_names |= {r.name for r in registry.household_of(request.requester)}
    rest = everything  # the text without the allowed names: 林里佳 inside 小林里佳 is not a stranger
    for name in sorted(allowed_names, key=len, reverse=True):
        rest = rest.replace(name, "\u0000")
    others = sorted(
        person for name, ids in registry.named_in(rest).items() if name not in allowed_names for person in ids
    )
    if others:
        problems.append(Problem("wrong_person", f"names of persons not chosen printed: {others}"))
    if kind in ("juminhyo", "inkan"):
        for person in wanted:
            if person.address is None or person.address not in everything:
                problems.append(Problem("stale", f"{person.person_id}: not the current address"))
    if kind == "inkan" and not registry.persons[request.requester].seal_registered:
        problems.append(Problem("stale", "a seal certificate printed for a seal not registered now"))
    if kind == "juminhyo":
        for person in wanted:
            if person.former_surname and f"旧氏{squeeze(person.former_surname)}" not in everything:
                problems.append(Problem("stale", f"{person.person_id}: registered 旧氏 missing"))
    return problems
