"""A simplified resident-tax (個人住民税) computation, so generated tax records add up like real ones.

The year's law comes from `kofu.rules.residenttax` (給与所得控除, basic deduction, the adjustment
credit, 均等割 and 森林環境税 by fiscal year); 公的年金等控除 (under 65 / 65 and over), 33万 spouse (38万
elderly) and dependant deductions, the 非課税 threshold of 28万 × (1 + dependants incl. spouse) + 10万
(+16.8万 with dependants) are applied here. It is synthetic data, not an assessment.
"""

from __future__ import annotations

from dataclasses import dataclass

from kofu.rules import residenttax

DEPENDANT_DEDUCTION = 330_000


@dataclass(frozen=True)
class Assessment:
    """The computed items of one fiscal year's tax record (`tax_total` includes 森林環境税)."""

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
    fiscal_year: int,
    salary_income: int,
    pension_income: int,
    other_earnings: int,
    age: int,
    social_insurance: int,
    life_insurance: int,
    has_spouse: bool,
    dependants: int,
    elderly_spouse: bool = False,
) -> Assessment:
    """Compute one fiscal year's record from incomes and deductions (dependants excludes the spouse)."""
    law = residenttax.law_of(fiscal_year)
    sal = residenttax.salary_earnings(salary_income, law)
    pen = pension_earnings(pension_income, age)
    total = sal + pen + other_earnings
    spouse = residenttax.spouse_deduction(elderly_spouse) if has_spouse else 0
    dep = DEPENDANT_DEDUCTION * dependants
    ded_total = social_insurance + life_insurance + spouse + dep + law.basic_deduction
    taxable = max(0, total - ded_total) // 1000 * 1000
    household = 1 + dependants + (1 if has_spouse else 0)
    threshold = 280_000 * household + 100_000 + (168_000 if household > 1 else 0)
    non_taxable = total <= threshold
    if non_taxable:
        city_levy = pref_levy = city_pc = pref_pc = forest = 0
    else:
        difference = residenttax.personal_difference(
            spouse=has_spouse, elderly_spouse=elderly_spouse, dependants=dependants
        )
        city_levy, pref_levy = residenttax.income_levies(taxable, difference)
        city_pc, pref_pc, forest = law.city_per_capita, law.pref_per_capita, law.forest_environment
    return Assessment(
        salary_earnings=sal,
        pension_earnings=pen,
        total_earnings=total,
        total_earnings_etc=total,
        ded_social_insurance=social_insurance,
        ded_spouse=spouse,
        ded_dependants=dep,
        ded_basic=law.basic_deduction,
        ded_total=ded_total,
        taxable_base=taxable,
        city_income_levy=city_levy,
        city_per_capita=city_pc,
        pref_income_levy=pref_levy,
        pref_per_capita=pref_pc,
        tax_total=city_levy + city_pc + pref_levy + pref_pc + forest,
        non_taxable=non_taxable,
    )
