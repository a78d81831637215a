"""戸籍全部事項証明書 / 個人事項証明書 in the computerised layout (戸籍法施行規則 付録第22号, CRT-4).

Left column: the section (本籍, 氏名, 戸籍事項, 戸籍に記録されている者, 身分事項); right: its entries,
items as 【label】value. Dates are 和暦 with full-width digits. A large register spans pages.
"""

from __future__ import annotations

from kofu.documents import fonts
from kofu.documents.content import EventItem, KosekiContent, KosekiEvent, KosekiPerson
from kofu.documents.names import wareki_fw
from kofu.documents.page import Cell, Row

TITLE_WHOLE = "全部事項証明"
TITLE_INDIVIDUAL = "個人事項証明"
_W = (0.2, 0.14, 0.66)


def _cell(s: str, *, section: bool = False) -> Cell:
    return Cell(s, font=fonts.GOTHIC if section else fonts.MINCHO, size=8.5 if section else 9.5)


def _item(item: EventItem) -> str:
    parts = [wareki_fw(item.on) if item.on else "", item.text or ""]
    return f"【{item.label}】" + "".join(p for p in parts if p)


def _event(section: str, event: KosekiEvent, *, first: bool) -> list[Row]:
    out: list[Row] = []
    for i, item in enumerate(event.items):
        out.append(
            Row(
                [
                    _cell(section if first and i == 0 else "", section=True),
                    _cell(event.title if i == 0 else ""),
                    _cell(_item(item)),
                ],
                _W,
                border=False,
                keep_with_next=i < len(event.items) - 1,
            )
        )
    return out


def _rule(gap: float = 3.0) -> Row:
    return Row(
        [Cell("", size=1.0)], [1.0], border=False, gap_before=gap, rule_above=True, keep_with_next=True
    )


def _person(p: KosekiPerson) -> list[Row]:
    section = "戸籍に記録されている者"
    head = [
        ("名", p.name),
        ("名の振り仮名", p.name_kana or None),
        ("生年月日", wareki_fw(p.birth_date)),
        ("配偶者区分", p.spouse_status or None),
        ("父", p.father or ""),
        ("母", p.mother or ""),
        ("続柄", p.relationship),
    ]
    shown = [(name, text) for name, text in head if text is not None]  # no reading, no 配偶者区分: no item
    out = [_rule()]
    for i, (name, text) in enumerate(shown):
        left = section if i == 0 else ("除　籍" if p.removed and i == 1 else "")
        out.append(
            Row(
                [_cell(left, section=True), _cell(""), _cell(f"【{name}】{text}")],
                _W,
                border=False,
                keep_with_next=True,
            )
        )
    for j, event in enumerate(p.events):
        out += _event("身分事項", event, first=j == 0)
    return out


def rows(content: KosekiContent) -> list[Row]:
    """The rows of the front, in print order."""
    out = [
        Row([_cell("本籍", section=True), Cell(content.honseki, size=10)], (0.2, 0.8), border=False),
        Row([_cell("氏名", section=True), Cell(content.hittousha, size=10)], (0.2, 0.8), border=False),
    ]
    if content.family_kana:  # once, with the 筆頭者's 氏名: the register's 氏 is one for all its members
        reading = _cell(f"【氏の振り仮名】{content.family_kana}")
        out.append(Row([_cell("", section=True), reading], (0.2, 0.8), border=False))
    out.append(_rule())
    out += _event("戸籍事項", content.register_event, first=True)
    for person in content.persons:
        out += _person(person)
    out.append(Row([Cell("以下余白")], [1.0], border=False, gap_before=4, rule_above=True))
    return out
