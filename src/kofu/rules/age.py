"""Age on a day (ELG-2), as Japanese law counts it.

年齢計算ニ関スル法律 counts age from the day of birth and 民法 第143条 ends each year at the end of
the day before the anniversary; so a person has attained age n for the whole of their n-th
birthday (they are 15 on their 15th birthday, not the day before). For a 29 February birth in a
common year the anniversary does not exist: the year ends at the end of the last day of February
(第143条第2項ただし書), so the person is a year older from 1 March, not on 28 February.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import date

MINIMUM_AGE = 15  # ELG-2


def anniversary(birth: date, year: int) -> date:
    """The day in `year` from which the person counts one more year (1 March for 29 Feb in common years)."""
    if birth.month == 2 and birth.day == 29 and not gregorian.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def age_on(birth: date, on: date) -> int:
    """Completed years of age on the day `on` (a Japan-time date); ValueError if `on` is before birth."""
    if on < birth:
        raise ValueError("the day asked about is before the birth date")
    years = on.year - birth.year
    return years if on >= anniversary(birth, on.year) else years - 1


def is_old_enough(birth: date, on: date, minimum: int = MINIMUM_AGE) -> bool:
    """At least `minimum` years old on `on` (ELG-2: 15 or over)."""
    return on >= birth and age_on(birth, on) >= minimum
