"""Validity of card certificates: until the holder's 5th birthday after issue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kofu.jpki.holder import fifth_birthday_after, validity_end
from kofu.rules.calendar import JST


@pytest.mark.parametrize(
    ("issued", "birth", "end"),
    [
        (date(2026, 4, 1), date(1980, 5, 5), date(2030, 5, 5)),  # 1st birthday later this year
        (date(2026, 6, 1), date(1980, 5, 5), date(2031, 5, 5)),  # birthday passed this year
        (date(2026, 5, 5), date(1980, 5, 5), date(2031, 5, 5)),  # issued on the birthday: not counted
        (date(2026, 5, 4), date(1980, 5, 5), date(2030, 5, 5)),
        (date(2026, 1, 10), date(2000, 2, 29), date(2030, 2, 28)),  # 29 Feb in a common year
        (date(2026, 3, 1), date(2000, 2, 29), date(2031, 2, 28)),
        (date(2027, 1, 10), date(2000, 2, 29), date(2031, 2, 28)),
    ],
)
def test_fifth_birthday_after_issue(issued: date, birth: date, end: date) -> None:
    assert fifth_birthday_after(issued, birth) == end


@given(
    issued=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
)
def test_validity_is_five_birthdays(issued: date, birth: date) -> None:
    end = fifth_birthday_after(issued, birth)
    assert issued + timedelta(days=4 * 365) < end <= issued + timedelta(days=5 * 366)
    assert (end.month, end.day) in {(birth.month, birth.day), (2, 28)}
    last = validity_end(issued, birth)
    assert last.astimezone(JST).date() == end
    assert (last + timedelta(seconds=1)).astimezone(JST).date() == end + timedelta(days=1)
