"""A simplified resident-tax (個人住民税) computation, so generated tax records add up like real ones.

Amounts in yen. Brackets follow the current national formulas for 給与所得控除 and 公的年金等控除
(under 65 / 65 and over), the 43万 basic deduction, 33万 spouse and dependant deductions, the 非課税
threshold of 28万 × (1 + dependants incl. spouse) + 10万 (+16.8万 with dependants), and the 10 % levy split
6 % municipal / 4 % prefectural. It is synthetic data, not an assessment.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY_PER_CAPITA = 3_000
PREF_PER_CAPITA = 2_200  # 1,000 + みやぎ環境税 1,200
BASIC_DEDUCTION = 430_000
SPOUSE_DEDUCTION = 330_000
DEPENDANT_DEDUCTION = 330_000


@dataclass(frozen=True)
class Assessment:
    """The computed items of one fiscal year's tax record."""

    salary_earnings: int
    pension_earnings: int
    total_earnings: int
    total_earnings_etc: int
    ded_social_insurance: int
    ded_spouse: int
    ded_dependants: int
    ded_basic: int
    ded_total: int
    taxable_base: int
    city_income_levy: int
    city_per_capita: int
    pref_income_levy: int
    pref_per_capita: int
    tax_total: int
    non_taxable: bool


def salary_earnings(income: int) -> int:
    """給与所得: salary income minus the 給与所得控除."""
    if income <= 550_999:
        return 0
    if income <= 1_619_000:
        return income - 550_000
    if income <= 1_800_000:
        return income - (income * 40 // 100 - 100_000)
    if income <= 3_600_000:
        return income - (income * 30 // 100 + 80_000)
    if income <= 6_600_000:
        return income - (income * 20 // 100 + 440_000)
    if income <= 8_500_000:
        return income - (income * 10 // 100 + 1_100_000)
    return income - 1_950_000


def pension_earnings(income: int, age: int) -> int:
    """公的年金等に係る雑所得 (other income ≤ 1,000万)."""
    if age >= 65:
        if income <= 3_300_000:
            return max(0, income - 1_100_000)
        if income <= 4_100_000:
            return income * 75 // 100 - 275_000
        return income * 85 // 100 - 685_000
    if income <= 1_300_000:
        return max(0, income - 600_000)
    if income <= 4_100_000:
        return income * 75 // 100 - 275_000
    return income * 85 // 100 - 685_000


def assess(
    *,
    salary_income: int,
    pension_income: int,
    other_earnings: int,
    age: int,
    social_insurance: int,
    life_insurance: int,
    has_spouse: bool,
    dependants: int,
) -> Assessment:
    """Compute one year's record from incomes and deductions (dependants excludes the spouse)."""
    sal = salary_earnings(salary_income)
    pen = pension_earnings(pension_income, age)
    total = sal + pen + other_earnings
    spouse = SPOUSE_DEDUCTION if has_spouse else 0
    dep = DEPENDANT_DEDUCTION * dependants
    ded_total = social_insurance + life_insurance + spouse + dep + BASIC_DEDUCTION
    taxable = max(0, total - ded_total) // 1000 * 1000
    household = 1 + dependants + (1 if has_spouse else 0)
    threshold = 280_000 * household + 100_000 + (168_000 if household > 1 else 0)
    non_taxable = total <= threshold
    if non_taxable:
        city_levy = pref_levy = city_pc = pref_pc = 0
    else:
        city_levy = taxable * 6 // 100 // 100 * 100
        pref_levy = taxable * 4 // 100 // 100 * 100
        city_pc, pref_pc = CITY_PER_CAPITA, PREF_PER_CAPITA
    return Assessment(
        salary_earnings=sal,
        pension_earnings=pen,
        total_earnings=total,
        total_earnings_etc=total,
        ded_social_insurance=social_insurance,
        ded_spouse=spouse,
        ded_dependants=dep,
        ded_basic=BASIC_DEDUCTION,
        ded_total=ded_total,
        taxable_base=taxable,
        city_income_levy=city_levy,
        city_per_capita=city_pc,
        pref_income_levy=pref_levy,
        pref_per_capita=pref_pc,
        tax_total=city_levy + city_pc + pref_levy + pref_pc,
        non_taxable=non_taxable,
    )
