"""The demo cards: which person of the generated village each card belongs to, and what it shows.

Each entry names a case of `kofu.registry.cases` (a query over the registry, so the demo works on any
seed) and the rule IDs a visitor sees by using that card at the demo kiosk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DemoCard:
    """One demo card: the registry case of its holder, the PIN, and what it is meant to show."""

    name: str
    case: str
    label_ja: str
    label_en: str
    shows: tuple[str, ...]
    credential: Literal["card", "phone"] = "card"
    pin: str = "1234"
    sign_password: str = "DEMO2026"
    issued_days_ago: int = 30  # DAY-1 refuses a card on its issue day; most demo cards are older
    block_pin: bool = False


DEMO_CARDS: tuple[DemoCard, ...] = (
    DemoCard(
        "resident",
        "adult_resident",
        "村内在住の大人(住民票・印鑑・課税・戸籍)",
        "Adult resident (all kinds)",
        ("CRT-1", "CRT-2", "CRT-3", "CRT-4", "CRT-5", "NRF-1", "FEE-1"),
    ),
    DemoCard(
        "household-head",
        "household_head_with_members",
        "世帯主(世帯員の住民票)",
        "Head of a household (members' juminhyo)",
        ("CRT-1",),
    ),
    DemoCard("former-surname", "former_surname", "旧氏のある方", "Person with a former surname", ("INC-6",)),
    DemoCard("under-15", "under_15", "15歳未満", "Under 15", ("ELG-2",)),
    DemoCard(
        "issued-today",
        "card_issued_today",
        "本日交付のカード",
        "Card issued today",
        ("DAY-1",),
        issued_days_ago=0,
    ),
    DemoCard(
        "seal-abolished", "seal_abolished", "印鑑登録廃止済み", "Seal registration abolished", ("INC-4",)
    ),
    DemoCard(
        "moving",
        "pending_address_change",
        "住所異動の反映待ち",
        "Address change not yet reflected",
        ("LAG-1", "INC-5"),
    ),
    DemoCard("tax-pending", "tax_pending", "所得申告の反映待ち", "Income declaration pending", ("LAG-2",)),
    DemoCard(
        "honseki-registered",
        "nonresident_honseki_registered",
        "村外在住・本籍が村内(利用登録済み)",
        "Lives elsewhere, family register here (registered)",
        ("ELG-3", "CRT-4"),
    ),
    DemoCard(
        "honseki-unregistered",
        "nonresident_honseki_unregistered",
        "村外在住・本籍が村内(利用登録が必要)",
        "Lives elsewhere, family register here (must register)",
        ("ELG-4", "REG-1", "HRS-1"),
    ),
    DemoCard(
        "large-register",
        "large_register",
        "大きな戸籍(複数ページ)",
        "Large family register (several pages)",
        ("PAG-1", "INC-3"),
    ),
    DemoCard(
        "phone",
        "adult_resident",
        "スマホ用電子証明書",
        "Smartphone credential",
        ("ELG-5",),
        credential="phone",
    ),
    DemoCard(
        "phone-honseki",
        "nonresident_honseki_unregistered",
        "スマホ(本籍地の利用登録はカードで)",
        "Smartphone: the usage registration needs the card",
        ("ELG-6",),
        credential="phone",
    ),
    DemoCard(
        "blocked",
        "adult_resident",
        "暗証番号ロック中",
        "PIN blocked",
        ("PIN-1", "PIN-2"),
        block_pin=True,
    ),
)
