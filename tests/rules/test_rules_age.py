"""ELG-2 age rule: 15 on the 15th birthday; 29 February births turn older on 1 March in common years."""

from __future__ import annotations

import calendar as gregorian
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kofu.rules.age import age_on, anniversary, is_old_enough

BIRTHS = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2010, 5, 1), date(2025, 4, 30), 14),
        (date(2010, 5, 1), date(2025, 5, 1), 15),  # the 15th birthday itself
        (date(2010, 1, 1), date(2024, 12, 31), 14),
        (date(2010, 1, 1), date(2025, 1, 1), 15),
        (date(2008, 2, 29), date(2023, 2, 28), 14),  # common year: not yet on 28 Feb
        (date(2008, 2, 29), date(2023, 3, 1), 15),  # common year: 1 March
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),  # leap year: 29 Feb
        (date(2008, 2, 29), date(2008, 2, 29), 0),
        (date(2000, 3, 1), date(2015, 2, 28), 14),
        (date(2000, 3, 1), date(2015, 3, 1), 15),
    ],
)
def test_ELG_2_age_table(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age
    assert is_old_enough(birth, on) == (age >= 15)


def test_ELG_2_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2020, 1, 2), date(2020, 1, 1))
    assert not is_old_enough(date(2020, 1, 2), date(2020, 1, 1))


@settings(deadline=None)
@given(BIRTHS, st.integers(min_value=1, max_value=100))
def test_ELG_2_property_older_exactly_from_the_anniversary(birth: date, years: int) -> None:
    target_year = birth.year + years
    assume(target_year <= 9999)
    day = anniversary(birth, target_year)
    assert age_on(birth, day) == years
    assert age_on(birth, day - timedelta(days=1)) == years - 1


@settings(deadline=None)
@given(BIRTHS)
def test_ELG_2_property_eligible_from_15th_birthday(birth: date) -> None:
    day = anniversary(birth, birth.year + 15)
    assert is_old_enough(birth, day)
    assert not is_old_enough(birth, day - timedelta(days=1))


@settings(deadline=None)
@given(st.integers(min_value=1904, max_value=2096).filter(lambda y: gregorian.isleap(y)), st.integers(1, 80))
def test_ELG_2_property_29_february_births(leap_year: int, years: int) -> None:
    birth = date(leap_year, 2, 29)
    year = leap_year + years
    if gregorian.isleap(year):
        assert age_on(birth, date(year, 2, 28)) == years - 1
        assert age_on(birth, date(year, 2, 29)) == years
    else:
        assert age_on(birth, date(year, 2, 28)) == years - 1
        assert age_on(birth, date(year, 3, 1)) == years


@settings(deadline=None)
@given(BIRTHS, st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
def test_ELG_2_property_age_is_monotonic_and_matches_year_difference(birth: date, on: date) -> None:
    assume(on >= birth)
    age = age_on(birth, on)
    assert on.year - birth.year - 1 <= age <= on.year - birth.year
    assert age_on(birth, on + timedelta(days=1)) in (age, age + 1)
