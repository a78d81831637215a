"""Japan-time calendar: every decision about a day or an hour is made in Asia/Tokyo (HRS-2, HRS-3).

Functions take timezone-aware datetimes and convert them; a naive datetime is a programming error
(its zone is unknowable), so it raises ValueError instead of being guessed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")

# Office hours a test or bench may count on being inside for an hour (HRS-2 windows are wider).
OFFICE_FROM, OFFICE_UNTIL, OFFICE_NOON = time(9, 0), time(15, 30), time(11, 0)

# (month, day) of the first and last closed days of the year-end closure (HRS-3 default).
YEAR_END_START: tuple[int, int] = (12, 29)
YEAR_END_END: tuple[int, int] = (1, 3)

# (month, day) from which fiscal year N's tax certificates exist (CRT-3 default, our reading: 1 June).
NEW_FISCAL_YEAR_AVAILABLE: tuple[int, int] = (6, 1)


def newest_fiscal_year(today: date, available: tuple[int, int] = NEW_FISCAL_YEAR_AVAILABLE) -> int:
    """CRT-3: the newest fiscal year whose tax certificates exist on `today` (a Japan date)."""
    return today.year if (today.month, today.day) >= available else today.year - 1


def to_jst(dt: datetime) -> datetime:
    """The same instant in Japan time; naive datetimes are rejected."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("naive datetime: pass an aware datetime (e.g. datetime.now(UTC))")
    return dt.astimezone(JST)


def today_jst(now: datetime) -> date:
    """The calendar date in Japan at instant `now`."""
    return to_jst(now).date()


def is_holiday(d: date) -> bool:
    """A national holiday (国民の祝日, substitute and citizens' holidays included), from jpholiday."""
    return bool(jpholiday.is_holiday(d))


def is_year_end(
    d: date,
    start: tuple[int, int] = YEAR_END_START,
    end: tuple[int, int] = YEAR_END_END,
) -> bool:
    """True inside the year-end closure; `start`..`end` (inclusive) may wrap over 1 January."""
    md = (d.month, d.day)
    if start <= end:
        return start <= md <= end
    return md >= start or md <= end


def is_office_day(
    d: date,
    start: tuple[int, int] = YEAR_END_START,
    end: tuple[int, int] = YEAR_END_END,
) -> bool:
    """Monday–Friday, not a national holiday, not in the year-end closure (平日の開庁日)."""
    return d.weekday() < 5 and not is_holiday(d) and not is_year_end(d, start, end)


def office_moment(now: datetime) -> datetime:
    """`now` when it is office hours of an office day, else 11:00 JST of the next office day.

    Tests and benches run at any hour: a municipal clock shifted by `office_moment(now) - now` makes every
    kind issuable (HRS-1, HRS-2) while time keeps running. Forward, so that cards, TLS certificates and
    CRLs issued before the shift are already valid on the shifted clock.
    """
    local = to_jst(now)
    if is_office_day(local.date()) and OFFICE_FROM <= local.time() <= OFFICE_UNTIL:
        return now
    day = local.date() + timedelta(days=1) if local.time() > OFFICE_FROM else local.date()
    while not is_office_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OFFICE_NOON, JST)


def office_offset(now: datetime) -> timedelta:
    """How far a clock moves from `now` to `office_moment(now)` (zero in office hours)."""
    return office_moment(now) - now
