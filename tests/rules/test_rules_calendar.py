"""Japan-time calendar: holidays from jpholiday, year-end closure, office days (HRS-2, HRS-3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.rules.calendar import (
    JST,
    is_holiday,
    is_office_day,
    is_year_end,
    office_moment,
    office_offset,
    to_jst,
    today_jst,
)

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


def test_to_jst_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_jst(datetime(2025, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        today_jst(datetime(2025, 1, 1, 12, 0))


@pytest.mark.parametrize(
    ("utc", "jst_day"),
    [
        (datetime(2025, 12, 31, 14, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        (datetime(2025, 12, 31, 15, 0, tzinfo=UTC), date(2026, 1, 1)),  # 00:00 JST
        (datetime(2026, 3, 1, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles")), date(2026, 3, 1)),
    ],
)
def test_today_jst_uses_japan_date(utc: datetime, jst_day: date) -> None:
    assert today_jst(utc) == jst_day
    assert to_jst(utc).utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2025, 1, 1), True),  # 元日
        (date(2025, 11, 24), True),  # 振替休日 (勤労感謝の日 on a Sunday)
        (date(2025, 11, 25), False),
        (date(2019, 5, 1), True),  # 即位の日 (one-off)
        (date(2026, 9, 22), True),  # 国民の休日 between 敬老の日 and 秋分の日
        (date(2025, 7, 22), False),
    ],
)
def test_HRS_2_holidays_come_from_jpholiday(day: date, holiday: bool) -> None:
    assert is_holiday(day) is holiday


@settings(deadline=None)
@given(DATES)
def test_HRS_2_is_holiday_agrees_with_jpholiday(day: date) -> None:
    assert is_holiday(day) == bool(jpholiday.is_holiday(day))


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2025, 12, 28), False),
        (date(2025, 12, 29), True),
        (date(2025, 12, 31), True),
        (date(2026, 1, 1), True),
        (date(2026, 1, 3), True),
        (date(2026, 1, 4), False),
    ],
)
def test_HRS_3_year_end_edges(day: date, closed: bool) -> None:
    assert is_year_end(day) is closed


@settings(deadline=None)
@given(DATES)
def test_HRS_3_year_end_is_exactly_dec_29_to_jan_3(day: date) -> None:
    expected = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    assert is_year_end(day) == expected


def test_HRS_3_year_end_window_not_wrapping() -> None:
    assert is_year_end(date(2025, 8, 14), start=(8, 13), end=(8, 16))
    assert not is_year_end(date(2025, 8, 17), start=(8, 13), end=(8, 16))


@settings(deadline=None)
@given(DATES)
def test_HRS_2_office_day_definition(day: date) -> None:
    expected = day.weekday() < 5 and not jpholiday.is_holiday(day) and not is_year_end(day)
    assert is_office_day(day) == expected


@pytest.mark.parametrize(
    ("day", "office"),
    [
        (date(2025, 11, 21), True),  # Friday
        (date(2025, 11, 22), False),  # Saturday
        (date(2025, 11, 24), False),  # Monday, substitute holiday
        (date(2025, 12, 26), True),  # Friday before the closure
        (date(2025, 12, 29), False),  # Monday, year end
        (date(2026, 1, 5), True),  # Monday after
    ],
)
def test_HRS_2_office_days(day: date, office: bool) -> None:
    assert is_office_day(day) is office


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)))
def test_today_jst_is_independent_of_input_zone(instant: datetime) -> None:
    zones = [UTC, JST, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")]
    assert {today_jst(instant.astimezone(zone)) for zone in zones} == {(instant + timedelta(hours=9)).date()}


def _jst(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=JST)


@pytest.mark.parametrize(
    ("now", "moment"),
    [
        (_jst(2026, 12, 4, 10), _jst(2026, 12, 4, 10)),  # Friday, in hours: now
        (_jst(2026, 12, 4, 23, 50), _jst(2026, 12, 7, 11)),  # Friday night: Monday
        (_jst(2026, 12, 4, 2), _jst(2026, 12, 4, 11)),  # Friday before dawn: that morning
        (_jst(2026, 12, 5, 12), _jst(2026, 12, 7, 11)),  # Saturday
        (_jst(2026, 12, 30, 10), _jst(2027, 1, 4, 11)),  # year-end closure
        (_jst(2026, 11, 23, 10), _jst(2026, 11, 24, 11)),  # a holiday Monday
    ],
)
def test_office_moment_hrs2(now: datetime, moment: datetime) -> None:
    """HRS-2 in tests: the next office-hours moment after `now` is on an office day at 11:00."""
    assert office_moment(now.astimezone(UTC)) == moment
    assert office_offset(now.astimezone(UTC)) == moment - now


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)))
def test_office_moment_is_always_office_hours_hrs2(now: datetime) -> None:
    """Whatever the instant, the moment is inside office hours of an office day, and not before it."""
    moment = to_jst(office_moment(now))
    assert is_office_day(moment.date()) and time(9) <= moment.time() <= time(15, 30)
    assert moment >= now


@pytest.mark.parametrize(
    ("today", "available", "newest"),
    [
        (date(2026, 5, 31), (6, 1), 2025),
        (date(2026, 6, 1), (6, 1), 2026),
        (date(2026, 6, 30), (7, 1), 2025),
        (date(2026, 1, 1), (6, 1), 2025),
    ],
)
def test_CRT_3_newest_fiscal_year_from_the_cut_off(
    today: date, available: tuple[int, int], newest: int
) -> None:
    """CRT-3: fiscal year N exists from the cut-off of year N (the rulebook's, 1 June by default)."""
    from kofu.rules.calendar import newest_fiscal_year

    assert newest_fiscal_year(today, available) == newest
