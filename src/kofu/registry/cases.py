"""Named cases a rule or an incident test needs ("a person under 15", "a pending address change"...).

Each case is a query over the registry, so it works on a generated village and on imported CSV alike;
`find_person` returns the first matching person id in id order (deterministic for a seed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from kofu.registry.models import (
    CardLink,
    Change,
    Koseki,
    KosekiMember,
    Person,
    Seal,
    TaxRecord,
    UsageRegistration,
)
from kofu.rules.calendar import newest_fiscal_year


def today_jst() -> date:
    """Today in Japan (the registry's DAY-1 dates are Japan dates)."""
    from kofu.rules.calendar import JST

    return datetime.now(JST).date()


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _usable_card(today: date) -> Any:
    # A card that passes DAY-1 today: not issued today, no continued-use procedure today.
    return exists().where(
        CardLink.person_fk == Person.id,
        CardLink.credential == "card",
        CardLink.sign_serial.is_not(None),
        CardLink.issued_on < today,
        or_(CardLink.continued_use_on.is_(None), CardLink.continued_use_on < today),
    )


def _pending(kind: str | None = None) -> Any:
    cond = [Change.person_fk == Person.id, Change.status == "pending"]
    if kind is not None:
        cond.append(Change.kind == kind)
    return exists().where(*cond)


def _in_register(status: str, removed: bool | None = None) -> Any:
    cond = [KosekiMember.person_fk == Person.id, Koseki.id == KosekiMember.koseki_fk, Koseki.status == status]
    if removed is not None:
        cond.append(KosekiMember.removed.is_(removed))
    return exists().where(*cond)


def _usage(status: str) -> Any:
    return exists().where(UsageRegistration.person_fk == Person.id, UsageRegistration.status == status)


def _registered_seal() -> Any:
    return exists().where(Seal.person_fk == Person.id, Seal.status == "registered")


def _conditions(case: str, today: date, fiscal_year: int) -> list[Any]:
    resident = Person.status == "resident"
    adult = Person.birth_date <= _years_before(today, 20)
    card = _usable_card(today)
    calm = not_(_pending())
    big = aliased(KosekiMember)
    other = aliased(Person)
    table: dict[str, Callable[[], list[Any]]] = {
        "adult_resident": lambda: [
            resident,
            adult,
            card,
            calm,
            _registered_seal(),
            _in_register("current", removed=False),
            exists().where(TaxRecord.person_fk == Person.id, TaxRecord.fiscal_year == fiscal_year),
        ],
        "under_15": lambda: [
            resident,
            Person.birth_date > _years_before(today, 15),
            exists().where(CardLink.person_fk == Person.id, CardLink.issued_on < today),
        ],
        "former_surname": lambda: [resident, Person.former_surname.is_not(None), card, calm],
        "seal_abolished": lambda: [
            resident,
            card,
            calm,
            exists().where(Seal.person_fk == Person.id, Seal.status == "abolished"),
            not_(_registered_seal()),
        ],
        "no_seal": lambda: [resident, adult, card, calm, not_(exists().where(Seal.person_fk == Person.id))],
        "pending_address_change": lambda: [resident, card, _pending("address")],
        "seal_abolition_pending": lambda: [resident, card, _pending("seal_abolition")],
        "koseki_pending": lambda: [card, _pending("koseki")],
        "tax_pending": lambda: [resident, card, _pending("tax_declaration")],
        "foreign_resident": lambda: [resident, card, calm, Person.nationality.is_not(None)],
        "nonresident_honseki_registered": lambda: [
            Person.status == "nonresident",
            card,
            _usage("approved"),
            _in_register("current", removed=False),
        ],
        "nonresident_honseki_pending": lambda: [Person.status == "nonresident", card, _usage("pending")],
        "nonresident_honseki_refused": lambda: [Person.status == "nonresident", card, _usage("refused")],
        "nonresident_honseki_unregistered": lambda: [
            Person.status == "nonresident",
            card,
            not_(exists().where(UsageRegistration.person_fk == Person.id)),
            _in_register("current", removed=False),
        ],
        "honseki_elsewhere": lambda: [
            resident,
            card,
            calm,
            not_(exists().where(KosekiMember.person_fk == Person.id)),
        ],
        "closed_register_member": lambda: [card, _in_register("closed")],
        "pre_conversion_member": lambda: [card, _in_register("pre_conversion")],
        "removed_register_member": lambda: [card, _in_register("current", removed=True)],
        "large_register": lambda: [
            card,
            exists().where(
                KosekiMember.person_fk == Person.id,
                KosekiMember.removed.is_(False),
                Koseki.id == KosekiMember.koseki_fk,
                Koseki.status == "current",
                select(func.count(big.id)).where(big.koseki_fk == Koseki.id).scalar_subquery() >= 9,
            ),
        ],
        "card_issued_today": lambda: [
            exists().where(CardLink.person_fk == Person.id, CardLink.issued_on == today),
        ],
        "continued_use_today": lambda: [
            exists().where(CardLink.person_fk == Person.id, CardLink.continued_use_on == today),
        ],
        "phone_credential": lambda: [
            resident,
            card,
            calm,
            exists().where(
                CardLink.person_fk == Person.id, CardLink.credential == "phone", CardLink.issued_on < today
            ),
        ],
        "rare_kanji": lambda: [
            or_(*(Person.family_name.contains(c) for c in ("髙", "﨑", "𠮷"))),
            card,
        ],
        "deceased": lambda: [Person.status == "deceased"],
        "moved_out": lambda: [Person.status == "moved_out"],
        "household_head_with_members": lambda: [
            resident,
            card,
            calm,
            Person.relationship == "世帯主",
            exists().where(
                other.household_fk == Person.household_fk, other.id != Person.id, other.status == "resident"
            ),
        ],
    }
    if case not in table:
        raise KeyError(case)
    return table[case]()


CASES: tuple[str, ...] = (
    "adult_resident",
    "under_15",
    "former_surname",
    "seal_abolished",
    "no_seal",
    "pending_address_change",
    "seal_abolition_pending",
    "koseki_pending",
    "tax_pending",
    "foreign_resident",
    "nonresident_honseki_registered",
    "nonresident_honseki_pending",
    "nonresident_honseki_refused",
    "nonresident_honseki_unregistered",
    "honseki_elsewhere",
    "closed_register_member",
    "pre_conversion_member",
    "removed_register_member",
    "large_register",
    "card_issued_today",
    "continued_use_today",
    "phone_credential",
    "rare_kanji",
    "deceased",
    "moved_out",
    "household_head_with_members",
)


class UnknownCase(KeyError):
    """A case name not in `CASES`."""


def find_persons(
    session: Session, case: str, *, today: date | None = None, limit: int | None = None
) -> list[str]:
    """Person ids showing `case`, in id order."""
    if case not in CASES:
        raise UnknownCase(f"unknown case {case!r}; known: {', '.join(CASES)}")
    today = today or today_jst()
    found = _conditions(case, today, newest_fiscal_year(today))
    q = select(Person.person_id).where(*found).order_by(Person.id)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def find_person(session: Session, case: str, *, today: date | None = None) -> str:
    """The first person showing `case`; LookupError when the village has none."""
    found = find_persons(session, case, today=today, limit=1)
    if not found:
        raise LookupError(f"no person shows case {case!r} in this registry")
    return found[0]


def count_case(session: Session, case: str, *, today: date | None = None) -> int:
    """How many persons show `case`."""
    if case not in CASES:
        raise UnknownCase(f"unknown case {case!r}")
    today = today or today_jst()
    sub = select(Person.id).where(*_conditions(case, today, newest_fiscal_year(today))).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)
