"""Era dates (japanera) at the era boundaries, fiscal-year labels, kanji numerals."""

from __future__ import annotations

from datetime import date

import pytest

from kofu.rules.numerals import to_fullwidth, to_kanji_number
from kofu.rules.wareki import era_of, fiscal_year_label, to_wareki


@pytest.mark.parametrize(
    ("day", "plain", "fullwidth", "kanji"),
    [
        (date(1989, 1, 7), "昭和64年1月7日", "昭和６４年１月７日", "昭和六十四年一月七日"),
        (date(1989, 1, 8), "平成元年1月8日", "平成元年１月８日", "平成元年一月八日"),
        (date(2019, 4, 30), "平成31年4月30日", "平成３１年４月３０日", "平成三十一年四月三十日"),
        (date(2019, 5, 1), "令和元年5月1日", "令和元年５月１日", "令和元年五月一日"),
        (date(2025, 4, 1), "令和7年4月1日", "令和７年４月１日", "令和七年四月一日"),
        (date(1975, 1, 1), "昭和50年1月1日", "昭和５０年１月１日", "昭和五十年一月一日"),
        (date(1926, 12, 24), "大正15年12月24日", "大正１５年１２月２４日", "大正十五年十二月二十四日"),
        (date(1926, 12, 25), "昭和元年12月25日", "昭和元年１２月２５日", "昭和元年十二月二十五日"),
        (date(1912, 7, 29), "明治45年7月29日", "明治４５年７月２９日", "明治四十五年七月二十九日"),
        (date(1912, 7, 30), "大正元年7月30日", "大正元年７月３０日", "大正元年七月三十日"),
    ],
)
def test_to_wareki_era_boundaries(day: date, plain: str, fullwidth: str, kanji: str) -> None:
    assert to_wareki(day) == plain
    assert to_wareki(day, fullwidth=True) == fullwidth
    assert to_wareki(day, kanji=True) == kanji


def test_to_wareki_rejects_lunar_calendar_dates() -> None:
    with pytest.raises(ValueError, match="1873"):
        to_wareki(date(1872, 12, 31))
    assert era_of(date(1873, 1, 1)) == ("明治", 6)


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2025, "令和7年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (2020, "令和2年度"),
    ],
)
def test_CRT_3_fiscal_year_label(fy: int, label: str) -> None:
    assert fiscal_year_label(fy) == label


def test_fiscal_year_label_fullwidth() -> None:
    assert fiscal_year_label(2025, fullwidth=True) == "令和７年度"


@pytest.mark.parametrize(
    ("n", "kanji"),
    [
        (0, "〇"),
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (23, "二十三"),
        (105, "百五"),
        (1000, "千"),
        (10000, "一万"),
    ],
)
def test_to_kanji_number(n: int, kanji: str) -> None:
    assert to_kanji_number(n) == kanji


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_to_kanji_number_rejects_non_counts(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        to_kanji_number(bad)  # type: ignore[arg-type]


def test_to_fullwidth() -> None:
    assert to_fullwidth("1234-5 ab") == "１２３４－５　ａｂ"
    assert to_fullwidth("一丁目") == "一丁目"
