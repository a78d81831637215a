"""課税・非課税・所得証明書: the person, then income, deductions and taxes of one fiscal year (CRT-3)."""

from __future__ import annotations

from datetime import date

from kofu.documents.content import KazeiContent
from kofu.documents.names import wareki, with_kyuuji, yen
from kofu.documents.page import Row, label, note, value
from kofu.rules.residenttax import levy_name
from kofu.rules.wareki import era_of, fiscal_year_label

TITLE = "課税・非課税・所得証明書"
_PAIR = (0.28, 0.22, 0.28, 0.22)


def _amounts(pairs: list[tuple[str, str]]) -> list[Row]:
    out = []
    for i in range(0, len(pairs), 2):
        chunk = pairs[i : i + 2]
        if len(chunk) == 1:
            chunk.append(("", ""))
        cells = []
        for name, amount in chunk:
            cells += [label(name), value(amount, align="right")]
        out.append(Row(cells, _PAIR))
    return out


def rows(content: KazeiContent) -> list[Row]:
    """The rows of the front, in print order."""
    inc, ded, tax = content.income, content.deductions, content.taxes
    fy = fiscal_year_label(content.fiscal_year)
    income_year = era_year(content.income_year)
    jan1 = wareki(date(content.fiscal_year, 1, 1))
    out = [
        Row([label("年度"), value(f"{fy}（{income_year}分所得）")], (0.28, 0.72)),
        Row([label(f"住所（{jan1}現在）"), value(content.address)], (0.28, 0.72)),
        Row([label("氏名"), value(with_kyuuji(content.name, content.kyuuji), size=10.5)], (0.28, 0.72)),
        Row([label("生年月日"), value(wareki(content.birth_date))], (0.28, 0.72)),
        note("所得の状況", gap=4, size=9.5),
    ]
    out += _amounts(
        [
            ("給与収入", yen(inc.salary_revenue)),
            ("給与所得", yen(inc.salary_income)),
            ("公的年金等収入", yen(inc.pension_revenue)),
            ("公的年金等所得", yen(inc.pension_income)),
            ("事業・不動産・雑所得", yen(inc.other_income)),
            ("合計所得金額", yen(inc.total_income)),
            ("総所得金額等", yen(inc.total_income_etc)),
        ]
    )
    out.append(note("所得控除", gap=4, size=9.5))
    out += _amounts(
        [
            ("社会保険料控除", yen(ded.social_insurance)),
            ("生命保険料控除", yen(ded.life_insurance)),
            ("配偶者控除", yen(ded.spouse)),
            (f"扶養控除（{ded.dependants_count}人）", yen(ded.dependants)),
            ("基礎控除", yen(ded.basic)),
            ("所得控除合計", yen(ded.total)),
        ]
    )
    out.append(Row([label("課税標準額"), value(yen(content.taxable_base), align="right")], (0.28, 0.22)))
    out.append(note("税額", gap=4, size=9.5))
    if content.exempt:
        out.append(Row([label("課税状況"), value("非課税")], (0.28, 0.72)))
    else:
        levy = levy_name(content.header.municipality_name)  # 村民税 for a village, not 市町村民税
        amounts = [
            (f"{levy}　所得割", yen(tax.municipal_income_levy)),
            (f"{levy}　均等割", yen(tax.municipal_per_capita)),
            ("県民税　所得割", yen(tax.prefectural_income_levy)),
            ("県民税　均等割", yen(tax.prefectural_per_capita)),
        ]
        if tax.forest_environment:
            amounts.append(("森林環境税（国税）", yen(tax.forest_environment)))
        out += _amounts([*amounts, ("年税額", yen(tax.total))])
    out.append(note("以下余白", gap=6))
    return out


def era_year(year: int) -> str:
    """A calendar year in 和暦 as of its last day (令和6年 for 2024; 令和元年 for 2019)."""
    era, n = era_of(date(year, 12, 31))
    return f"{era}{'元' if n == 1 else n}年"
