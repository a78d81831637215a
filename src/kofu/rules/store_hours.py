"""A store's weekly opening hours in Japan time (HRS-4), pure: parse, check, and answer "open now?".

Hours are seven entries, Monday first; each is None (closed all day) or ("HH:MM", "HH:MM"). "24:00" closes
at midnight; a closing time at or before the opening time runs past midnight into the next day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kofu.rules.calendar import to_jst

_HHMM = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
DAY = 24 * 60


@dataclass(frozen=True)
class DayHours:
    """One day's opening, in minutes after midnight JST; `close` may pass midnight (close <= open)."""

    open: int
    close: int

    @property
    def overnight(self) -> bool:
        return self.close <= self.open

    def as_pair(self) -> tuple[str, str]:
        return (_format(self.open), _format(self.close))


WeeklyHours = tuple[DayHours | None, ...]

ALWAYS_OPEN: WeeklyHours = tuple(DayHours(0, DAY) for _ in range(7))


def _minutes(text: str) -> int:
    match = _HHMM.fullmatch(text)
    if match is None:
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > DAY:
        raise ValueError(f"past 24:00: {text!r}")
    return minutes


def _format(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hours(raw: Sequence[Sequence[str] | None]) -> WeeklyHours:
    """Hours from their stored form (seven entries, Monday first); ValueError when malformed."""
    if len(raw) != 7:
        raise ValueError("store hours need seven entries, Monday first")
    days: list[DayHours | None] = []
    for entry in raw:
        if entry is None:
            days.append(None)
            continue
        if len(entry) != 2:
            raise ValueError("each day is null or [open, close]")
        opening, closing = _minutes(entry[0]), _minutes(entry[1])
        if opening == DAY:
            raise ValueError("a store cannot open at 24:00")
        days.append(DayHours(opening, closing))
    return tuple(days)


def every_day(opens: str, closes: str, closed_weekdays: Sequence[int] = ()) -> WeeklyHours:
    """The same hours every day ("HH:MM", "HH:MM"), but whole `closed_weekdays` (0 = Monday)."""
    if any(not 0 <= day <= 6 for day in closed_weekdays):
        raise ValueError("closed weekdays are 0 (Monday) .. 6 (Sunday)")
    return parse_hours([None if day in closed_weekdays else (opens, closes) for day in range(7)])


def dump_hours(hours: WeeklyHours) -> list[list[str] | None]:
    """Hours in their stored (JSON) form."""
    return [None if day is None else list(day.as_pair()) for day in hours]


def is_open(hours: WeeklyHours, now: datetime) -> bool:
    """HRS-4: whether the store is open at instant `now` (aware), judged in JST."""
    local = to_jst(now)
    minute = local.hour * 60 + local.minute
    today = hours[local.weekday()]
    if today is not None:
        end = DAY if today.overnight else today.close
        if today.open <= minute < end:
            return True
    yesterday = hours[(local - timedelta(days=1)).weekday()]
    # The tail of last night's opening, when it runs past midnight.
    return yesterday is not None and yesterday.overnight and minute < yesterday.close
