"""What the signing certificate says about its holder, and until when a card's certificates are valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kofu.rules.calendar import JST


@dataclass(frozen=True)
class Holder:
    """The personal data of a JPKI signing certificate (the registry's CardHolder has the same fields)."""

    person_id: str
    name: str
    birth_date: date
    sex: str
    address: str


def _birthday_in(year: int, birth: date) -> date:
    # A 29 February birthday falls on 28 February in common years.
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def fifth_birthday_after(issued_on: date, birth: date) -> date:
    """The holder's 5th birthday strictly after the issue date (end of a card certificate's validity)."""
    year = issued_on.year
    if _birthday_in(year, birth) <= issued_on:
        year += 1
    return _birthday_in(year + 4, birth)


def validity_end(issued_on: date, birth: date) -> datetime:
    """The last instant of validity: the end of the 5th birthday after issue, Japan time."""
    last_day = fifth_birthday_after(issued_on, birth)
    return datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=JST) - timedelta(seconds=1)
