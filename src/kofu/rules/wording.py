"""A refusal's sentences for one municipality: its own hours, dates and office (HRS-1, HRS-2, HRS-3).

`Reason` carries sentences that name no municipality (a kiosk or the center, which hold no rulebook,
say those); a municipality's server says them with its rulebook's windows, year-end dates and name.
"""

from __future__ import annotations

from datetime import time

from kofu.rules.hours import Service, window_for
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _clock_ja(t: time) -> str:
    """06:30 → 午前6時30分, 23:00 → 午後11時 (the 12-hour clock of public notices)."""
    half, hour = ("午前", t.hour) if t.hour < 12 else ("午後", t.hour - 12)
    return f"{half}{hour}時{t.minute}分" if t.minute else f"{half}{hour}時"


def _day_ja(month_day: tuple[int, int]) -> str:
    return f"{month_day[0]}月{month_day[1]}日"


def _day_en(month_day: tuple[int, int]) -> str:
    return f"{month_day[1]} {_MONTHS_EN[month_day[0] - 1]}"


def _then(sentence: str, aside: str) -> str:
    """The sentence with an aside before its full stop (「…（aside）。」)."""
    return f"{sentence.removesuffix('。')}（{aside}）。"


def sentences(reason: Reason, rulebook: Rulebook, service: Service) -> tuple[str, str]:
    """The Japanese and English sentences of `reason` for `service` of this municipality."""
    window = window_for(rulebook, service)
    if reason is Reason.CLOSED_HOURS and window is not None:
        ja_span = f"{_clock_ja(window.start)}から{_clock_ja(window.end)}まで"
        en_span = f"open {window.start:%H:%M} to {window.end:%H:%M}"
        return _then(reason.ja, f"利用時間は{ja_span}です"), f"{reason.en.removesuffix('.')} ({en_span})."
    if reason is Reason.OFFICE_HOURS_ONLY and window is not None:
        ja_span = f"{rulebook.office}の開庁日の{_clock_ja(window.start)}から{_clock_ja(window.end)}まで"
        en_span = f"{rulebook.name_en}: office days, {window.start:%H:%M} to {window.end:%H:%M}"
        return _then(reason.ja, ja_span), f"{reason.en.removesuffix('.')} ({en_span})."
    if reason is Reason.YEAR_END_CLOSURE:
        start, end = rulebook.year_end_start, rulebook.year_end_end
        ja_span = f"{_day_ja(start)}から{_day_ja(end)}まで"
        en_span = f"{_day_en(start)} to {_day_en(end)}"
        return _then(reason.ja, ja_span), f"{reason.en.removesuffix('.')} ({en_span})."
    return reason.ja, reason.en
