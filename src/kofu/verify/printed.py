"""A certificate's decrypted content as a person reads it: the paper's own labels, dates in 和暦, yen.

No internal identifier is shown: the header (order, requester digest, demo flag) is left to the
document facts, booleans become the printed word they stand for or nothing, dates are never ISO.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from kofu.documents.content import AddressSpell, Content, EventItem, KosekiEvent
from kofu.rules.wareki import fiscal_year_label, to_wareki


@dataclass(frozen=True)
class Item:
    """One printed item: its label and its value in words (or the seal's impression as PNG)."""

    label: str
    value: str
    image: bytes | None = None


@dataclass(frozen=True)
class Section:
    """A block of the paper: the household, one person, the incomes..."""

    title: str
    items: tuple[Item, ...]


# Field → the label printed on the paper (kofu.documents.layout_*).
LABELS: dict[str, str] = {
    "address": "住所",
    "householder": "世帯主",
    "members": "氏名",
    "name": "氏名",
    "name_kana": "ふりがな",
    "kyuuji": "旧氏",
    "kyuuji_kana": "旧氏の振り仮名",
    "family_kana": "氏の振り仮名",
    "alias": "通称",
    "birth_date": "生年月日",
    "sex": "性別",
    "relationship": "続柄",
    "resident_since": "住民となった年月日",
    "address_since": "住所を定めた年月日",
    "notified_on": "届出の年月日",
    "previous_address": "従前の住所",
    "last_change": "異動事由",
    "last_change_on": "異動年月日",
    "honseki": "本籍",
    "hittousha": "筆頭者",
    "nationality": "国籍・地域",
    "status": "在留資格",
    "period": "在留期間",
    "until": "満了の日",
    "category": "区分",
    "seal_image": "印影",
    "seal_size_mm": "印影の大きさ",
    "fiscal_year": "年度",
    "income": "所得の状況",
    "salary_revenue": "給与収入",
    "salary_income": "給与所得",
    "pension_revenue": "公的年金等収入",
    "pension_income": "公的年金等所得",
    "other_income": "事業・不動産・雑所得",
    "total_income": "合計所得金額",
    "total_income_etc": "総所得金額等",
    "deductions": "所得控除",
    "social_insurance": "社会保険料控除",
    "life_insurance": "生命保険料控除",
    "spouse": "配偶者控除",
    "dependants": "扶養控除",
    "dependants_count": "扶養人数",
    "basic": "基礎控除",
    "total": "合計",
    "taxable_base": "課税標準額",
    "taxes": "税額",
    "municipal_income_levy": "市町村民税　所得割",
    "municipal_per_capita": "市町村民税　均等割",
    "prefectural_income_levy": "県民税　所得割",
    "prefectural_per_capita": "県民税　均等割",
    "forest_environment": "森林環境税（国税）",
    "exempt": "課税状況",
    "whole_household": "証明の範囲",
    "whole": "証明の範囲",
    "register_event": "戸籍事項",
    "persons": "戸籍に記録されている者",
    "spouse_status": "配偶者区分",
    "father": "父",
    "mother": "母",
    "removed": "除籍・消除",
    "removed_on": "消除の日",
    "removed_reason": "消除の事由",
    "events": "身分事項",
    "addresses": "住所",
}

# Where one kind prints a field under a word of its own (class name, field).
OWN_LABELS: dict[tuple[str, str], str] = {
    ("KosekiPerson", "name"): "名",
    ("KosekiPerson", "name_kana"): "名の振り仮名",
    ("Deductions", "total"): "所得控除合計",
    ("Taxes", "total"): "年税額",
}
# A boolean field → the words printed for True and False ("" prints nothing).
FLAGS: dict[str, tuple[str, str]] = {
    "whole_household": ("世帯全員", "世帯の一部"),
    "whole": ("全部事項証明", "個人事項証明"),
    "exempt": ("非課税", "課税"),
    "removed": ("除籍・消除", ""),
}
SKIPPED = frozenset({"header"})  # shown as the document's facts, without its internal identifiers
COUNTS = {"dependants_count": "人", "seal_size_mm": "mm"}  # numbers that are not yen


def sections(content: Content) -> tuple[Section, ...]:
    """The content's blocks: its own items first, then each nested block and each listed person."""
    top: list[Item] = []
    blocks: list[Section] = []
    for field in dataclasses.fields(content):
        name, value = field.name, getattr(content, field.name)
        if name in SKIPPED or value is None:
            continue
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, element in enumerate(value, start=1):
                title = getattr(element, "name", "") or f"{LABELS.get(name, name)} {i}"
                blocks.append(Section(f"{i}　{title}", _items(element)))
        elif dataclasses.is_dataclass(value) and not isinstance(value, KosekiEvent):
            blocks.append(Section(LABELS.get(name, name), _items(value)))
        else:
            top.extend(_item(name, value))
    return (Section("記載事項", tuple(top)), *blocks) if top else tuple(blocks)


def _items(obj: Any) -> tuple[Item, ...]:
    found: list[Item] = []
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if value is None:
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, KosekiEvent):
            found.extend(_items(value))  # a person's 在留資格 etc.: part of the person's block
        else:
            label = OWN_LABELS.get((type(obj).__name__, field.name))
            found.extend(_item(field.name, value, label))
    return tuple(found)


def _item(name: str, value: Any, label: str | None = None) -> list[Item]:
    label = label or LABELS.get(name, name)
    if isinstance(value, bool):
        word = FLAGS.get(name, ("", ""))[0 if value else 1]
        return [Item(label, word)] if word else []
    if isinstance(value, bytes):
        return [Item(label, "", image=value)]
    if isinstance(value, KosekiEvent):
        return [_event(label, value)]
    if isinstance(value, tuple):
        return [_listed(label, v) for v in value]
    return [Item(label, _words(name, value))]


def _listed(label: str, value: Any) -> Item:
    if isinstance(value, KosekiEvent):
        return _event(label, value)
    if isinstance(value, AddressSpell):
        return Item(label, f"{value.address}(住所を定めた年月日 {to_wareki(value.since)})")
    return Item(label, str(value))


def _event(label: str, event: KosekiEvent) -> Item:
    return Item(f"{label}　{event.title}", "　".join(_event_item(i) for i in event.items))


def _event_item(item: EventItem) -> str:
    value = to_wareki(item.on, kanji=True) if item.on is not None else item.text or ""
    return f"【{item.label}】{value}"


def _words(name: str, value: Any) -> str:
    if isinstance(value, date):
        return to_wareki(value)
    if name == "fiscal_year" and isinstance(value, int):
        return fiscal_year_label(value)
    if name in COUNTS:
        return f"{value:g}{COUNTS[name]}"
    if isinstance(value, int):
        return f"{value:,}円"
    return str(value)
