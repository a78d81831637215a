"""個人住民税 as the law stood for each fiscal year: earnings, deductions, the adjustment credit, 均等割.

Fiscal year N (令和N年度) taxes the income of calendar year N-1. Figures of 地方税法 and 所得税法 as
amended: the 給与所得控除 minimum 55万 from 令和3年度 and 65万 from 令和8年度 (令和7年度改正); the 43万
basic deduction from 令和3年度; the 復興 surcharge of 500 + 500 on 均等割 up to 令和5年度; 森林環境税
(national, 1,000) from 令和6年度. The prefecture's own 均等割 surcharge (みやぎ環境税 1,200) is a
parameter. Amounts in yen.
"""

from __future__ import annotations

from dataclasses import dataclass

INCOME_RATE_CITY = 6  # % of the taxable base
INCOME_RATE_PREF = 4
ADJUSTMENT_FLOOR = 50_000  # 調整控除: at least 5万 × 5 % when the base exceeds 200万
MIYAGI_SURCHARGE = 1_200  # みやぎ環境税 on the prefectural 均等割


@dataclass(frozen=True)
class Law:
    """The figures of one fiscal year."""

    fiscal_year: int
    salary_minimum: int  # 給与所得控除の最低額
    basic_deduction: int  # 基礎控除 (住民税)
    city_per_capita: int  # 市町村民税 均等割 (with the 復興 surcharge while it ran)
    pref_per_capita: int  # 道府県民税 均等割 before the prefecture's own surcharge
    forest_environment: int  # 森林環境税 (国税, collected with 均等割)


def law_of(fiscal_year: int, pref_surcharge: int = MIYAGI_SURCHARGE) -> Law:
    """The figures of fiscal year `fiscal_year` (令和3年度 and later; earlier years are not modelled)."""
    reconstruction = 500 if fiscal_year <= 2023 else 0  # 東日本大震災 復興特別 (平成26〜令和5年度)
    return Law(
        fiscal_year=fiscal_year,
        salary_minimum=650_000 if fiscal_year >= 2026 else 550_000,
        basic_deduction=430_000,
        city_per_capita=3_000 + reconstruction,
        pref_per_capita=1_000 + reconstruction + pref_surcharge,
        forest_environment=1_000 if fiscal_year >= 2024 else 0,
    )


def salary_earnings(income: int, law: Law) -> int:
    """給与所得: salary income minus the 給与所得控除 of the year's law (never below zero)."""
    if law.salary_minimum == 650_000 and income <= 1_900_000:
        return max(0, income - 650_000)
    if income <= 1_619_000:
        return max(0, income - 550_000)
    if income <= 1_800_000:
        return income - (income * 40 // 100 - 100_000)
    if income <= 3_600_000:
        return income - (income * 30 // 100 + 80_000)
    if income <= 6_600_000:
        return income - (income * 20 // 100 + 440_000)
    if income <= 8_500_000:
        return income - (income * 10 // 100 + 1_100_000)
    return income - 1_950_000


def spouse_deduction(elderly: bool) -> int:
    """配偶者控除 (住民税): 33万, or 38万 for a spouse of 70 or over (老人控除対象配偶者)."""
    return 380_000 if elderly else 330_000


def personal_difference(*, spouse: bool, elderly_spouse: bool, dependants: int) -> int:
    """人的控除額の差 (所得税 − 住民税): basic 5万, spouse 5万 (elderly 10万), each dependant 5万."""
    spouse_part = (100_000 if elderly_spouse else 50_000) if spouse else 0
    return 50_000 + spouse_part + 50_000 * dependants


def adjustment_credit(taxable_base: int, difference: int) -> tuple[int, int]:
    """調整控除 (地方税法 314条の6, 37条): (municipal 3 %, prefectural 2 %) of the credited amount."""
    if taxable_base <= 2_000_000:
        amount = min(difference, taxable_base)
    else:
        amount = max(difference - (taxable_base - 2_000_000), ADJUSTMENT_FLOOR)
    return amount * 3 // 100, amount * 2 // 100


def income_levies(taxable_base: int, difference: int) -> tuple[int, int]:
    """所得割 (municipal, prefectural): 6 % and 4 % of the base, less the adjustment credit, in hundreds."""
    city_credit, pref_credit = adjustment_credit(taxable_base, difference)
    city = max(0, taxable_base * INCOME_RATE_CITY // 100 - city_credit)
    pref = max(0, taxable_base * INCOME_RATE_PREF // 100 - pref_credit)
    return city // 100 * 100, pref // 100 * 100


def levy_name(municipality_name: str) -> str:
    """The municipal tax's name for this municipality: 村民税, 町民税, 市民税 or 特別区民税."""
    suffix = municipality_name[-1:]
    return {"村": "村民税", "町": "町民税", "区": "特別区民税"}.get(suffix, "市民税")
