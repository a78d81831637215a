"""Japanese era dates (和暦) from japanera: 令和7年4月1日, first year written 元年.

The Gregorian calendar was adopted on 明治6年1月1日 (1873-01-01); earlier dates are lunar
and are rejected rather than printed wrongly.
"""

from __future__ import annotations

from datetime import date

from japanera import EraDate

from kofu.rules.numerals import to_fullwidth, to_kanji_number

GREGORIAN_ADOPTED = date(1873, 1, 1)


def era_of(d: date) -> tuple[str, int]:
    """(era name in kanji, year of the era) for a date, e.g. (令和, 1) for 2019-05-01."""
    if d < GREGORIAN_ADOPTED:
        raise ValueError("dates before 1873-01-01 are not in the Gregorian calendar in Japan")
    era_date = EraDate.from_date(d)
    if era_date.era is None:
        raise ValueError(f"no Japanese era known for {d.isoformat()}")
    return str(era_date.era.kanji), int(era_date.strftime("%-Y"))


def _number(n: int, *, fullwidth: bool, kanji: bool) -> str:
    if kanji:
        return to_kanji_number(n)
    return to_fullwidth(str(n)) if fullwidth else str(n)


def _year(n: int, *, fullwidth: bool, kanji: bool) -> str:
    return "元" if n == 1 else _number(n, fullwidth=fullwidth, kanji=kanji)


def to_wareki(d: date, *, fullwidth: bool = False, kanji: bool = False) -> str:
    """A date in era form: 令和7年4月1日, 令和元年5月1日.

    `fullwidth` gives 昭和５０年１月１日; `kanji` gives 令和七年四月一日 (family registers).
    """
    era, year = era_of(d)
    opts = {"fullwidth": fullwidth, "kanji": kanji}
    return f"{era}{_year(year, **opts)}年{_number(d.month, **opts)}月{_number(d.day, **opts)}日"


def fiscal_year_label(fy: int, *, fullwidth: bool = False) -> str:
    """ "令和7年度" for fiscal year 2025 (April 2025 – March 2026).

    The era is the one in force on 31 December of the year, as municipalities labelled
    fiscal 2019 "令和元年度" although it began under 平成.
    """
    era, year = era_of(date(fy, 12, 31))
    return f"{era}{_year(year, fullwidth=fullwidth, kanji=False)}年度"
