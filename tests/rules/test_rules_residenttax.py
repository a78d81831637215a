"""個人住民税 by the law of each fiscal year (kofu.rules.residenttax, used by the registry's assessment and
the 課税証明書). Vectors worked by hand from 地方税法 (314条の3, 314条の6, 310条) and 所得税法 28条 as
amended for each year, one per year and rule; the first is the defect found in the fidelity review."""

from __future__ import annotations

import pytest

from kofu.registry.taxcalc import assess
from kofu.rules import residenttax as rt


def test_adjustment_credit_over_two_million_takes_the_floor_crt3() -> None:
    """課税標準 3,216,000 (single): 6 % = 192,960 less 1,500, 4 % = 128,640 less 1,000, in hundreds."""
    assert rt.income_levies(
        3_216_000, rt.personal_difference(spouse=False, elderly_spouse=False, dependants=0)
    ) == (
        191_400,
        127_600,
    )


def test_adjustment_credit_under_two_million_takes_the_personal_difference_crt3() -> None:
    """課税標準 1,500,000 with a spouse and one dependant: difference 15万, credit 7,500 (4,500 + 3,000)."""
    difference = rt.personal_difference(spouse=True, elderly_spouse=False, dependants=1)
    assert difference == 150_000
    assert rt.adjustment_credit(1_500_000, difference) == (4_500, 3_000)
    assert rt.income_levies(1_500_000, difference) == (85_500, 57_000)


@pytest.mark.parametrize(
    ("fiscal_year", "city", "pref", "forest"),
    [
        (2022, 3_500, 2_700, 0),  # 令和4年度: 復興 surcharge 500 + 500
        (2023, 3_500, 2_700, 0),  # 令和5年度: its last year
        (2024, 3_000, 2_200, 1_000),  # 令和6年度: surcharge ended, 森林環境税 begins
        (2026, 3_000, 2_200, 1_000),
    ],
)
def test_per_capita_levies_by_fiscal_year(fiscal_year: int, city: int, pref: int, forest: int) -> None:
    law = rt.law_of(fiscal_year)  # Miyagi: みやぎ環境税 1,200 on the prefectural 均等割
    assert (law.city_per_capita, law.pref_per_capita, law.forest_environment) == (city, pref, forest)


@pytest.mark.parametrize(
    ("fiscal_year", "income", "earnings"),
    [
        (2025, 1_800_000, 1_180_000),  # 令和7年度: 40 % − 10万 = 62万 deducted
        (2026, 1_800_000, 1_150_000),  # 令和8年度: the 65万 minimum (令和7年分所得から)
        (2026, 1_900_000, 1_250_000),
        (2026, 600_000, 0),
        (2025, 5_000_000, 3_560_000),  # 20 % + 44万 in either year
        (2026, 5_000_000, 3_560_000),
    ],
)
def test_salary_earnings_by_fiscal_year(fiscal_year: int, income: int, earnings: int) -> None:
    assert rt.salary_earnings(income, rt.law_of(fiscal_year)) == earnings


def test_an_elderly_spouse_is_deducted_38man() -> None:
    assert rt.spouse_deduction(elderly=True) == 380_000 and rt.spouse_deduction(elderly=False) == 330_000
    assert rt.personal_difference(spouse=True, elderly_spouse=True, dependants=0) == 150_000


@pytest.mark.parametrize(("fiscal_year", "total"), [(2023, 246_700), (2025, 246_700)])
def test_a_whole_assessment_令和5_and_令和7(fiscal_year: int, total: int) -> None:
    """Salary 500万, social insurance 70万, single: 給与所得 356万, base 243万; 所得割 144,300 + 96,200;
    令和5年度 均等割 3,500 + 2,700; 令和7年度 3,000 + 2,200 + 森林環境税 1,000 (the same total)."""
    a = assess(
        fiscal_year=fiscal_year,
        salary_income=5_000_000,
        pension_income=0,
        other_earnings=0,
        age=45,
        social_insurance=700_000,
        life_insurance=0,
        has_spouse=False,
        dependants=0,
    )
    assert (a.salary_earnings, a.taxable_base) == (3_560_000, 2_430_000)
    assert (a.city_income_levy, a.pref_income_levy) == (144_300, 96_200)
    assert a.tax_total == total


@pytest.mark.parametrize(
    ("name", "levy"),
    [("大衡村", "村民税"), ("美里町", "町民税"), ("仙台市", "市民税"), ("千代田区", "特別区民税")],
)
def test_the_municipal_levy_is_named_for_the_municipality(name: str, levy: str) -> None:
    assert rt.levy_name(name) == levy
