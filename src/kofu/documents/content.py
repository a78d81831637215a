"""What each certificate prints, as frozen values: the content model of the five kinds.

Strings are in their printed form; dates are `date` (the layout writes them in 和暦); amounts are yen.
A field that is `None` is not printed (a kiosk option left off, or an item the record lacks).
There is deliberately no field for 住民票コード or 個人番号: a kiosk never prints them (CRT-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kofu.rules.kinds import Kind


@dataclass(frozen=True)
class DocumentHeader:
    """Who issues the document, which document it is, and whom it is bound to."""

    municipality_name: str  # 大衡村
    municipality_code: str  # 全国地方公共団体コード, 6 digits
    kind: Kind
    issued_on: date
    unique_number: str  # printed on every page (PAG-1) and signed on the back
    order_id: str  # the order this document answers (INC-1, 2, 3, 7, 8)
    requester_cert_digest: str  # hex SHA-256 of the requester's authentication certificate
    demo: bool  # prints 見本 across every page
    certification: str  # the certification sentence for this kind and choice
    mayor_title: str  # 大衡村長
    mayor_name: str
    seal_text: str  # 公印 text, e.g. 大衡村長之印


# 住民票の写し (CRT-1)
@dataclass(frozen=True)
class ResidenceItems:
    """A foreign resident's 在留資格, 在留期間, its end, and the 第30条の45 区分."""

    status: str | None
    period: str | None
    until: date | None
    category: str | None


@dataclass(frozen=True)
class ResidentEntry:
    """One person listed on a 住民票の写し."""

    name: str
    name_kana: str | None  # ふりがな where the municipality keeps it
    kyuuji: str | None  # 旧氏, printed in brackets after the name (INC-6)
    birth_date: date
    sex: str  # 男 / 女
    relationship: str | None  # 世帯主との続柄; None when the option is off
    resident_since: date  # 住民となった年月日
    address_since: date  # 住所を定めた年月日
    notified_on: date | None  # 届出の年月日, for those who moved in
    previous_address: str | None  # 従前の住所, for those who moved in
    last_change: str  # 異動事由 of the last change (転入, 出生, 転居...)
    last_change_on: date
    honseki: str | None = None  # this member's own 本籍; None unless the 本籍・筆頭者 option is chosen
    hittousha: str | None = None  # the 筆頭者 of this member's own 戸籍
    alias: str | None = None  # 通称, printed where registered (foreign residents)
    nationality: str | None = None  # 国籍・地域; None unless the option is chosen
    residence: ResidenceItems | None = None  # 在留資格 etc.; None unless the option is chosen
    kyuuji_kana: str | None = None  # the 旧氏's 振り仮名, printed with it (since 2025-05-26)


@dataclass(frozen=True)
class JuminhyoContent:
    """住民票の写し: the household's address and the chosen members."""

    header: DocumentHeader
    address: str
    whole_household: bool  # 世帯全員 (True) or chosen members (False)
    householder: str | None  # 世帯主; None when the 世帯主・続柄 option is off
    members: tuple[ResidentEntry, ...]  # each with its own 本籍・筆頭者 when chosen (members' may differ)


# 印鑑登録証明書 (CRT-2)
@dataclass(frozen=True)
class InkanContent:
    """印鑑登録証明書: the registered seal's impression and the registrant."""

    header: DocumentHeader
    seal_image: bytes  # PNG of the 印影, printed at its registered size
    seal_size_mm: float  # side of the impression's square as registered
    name: str
    kyuuji: str | None
    birth_date: date
    sex: str
    address: str


# 課税・非課税・所得証明書 (CRT-3)
@dataclass(frozen=True)
class Income:
    """Incomes of the calendar year before the fiscal year, in yen."""

    salary_revenue: int  # 給与収入
    salary_income: int  # 給与所得
    pension_revenue: int  # 公的年金等収入
    pension_income: int  # 公的年金等所得
    other_income: int  # 事業・不動産・雑所得
    total_income: int  # 合計所得金額
    total_income_etc: int  # 総所得金額等


@dataclass(frozen=True)
class Deductions:
    """所得控除, in yen."""

    social_insurance: int  # 社会保険料控除
    life_insurance: int  # 生命保険料控除
    spouse: int  # 配偶者控除
    dependants: int  # 扶養控除
    dependants_count: int  # 扶養人数
    basic: int  # 基礎控除
    total: int  # 所得控除合計


@dataclass(frozen=True)
class Taxes:
    """個人住民税 of the fiscal year, in yen."""

    municipal_income_levy: int  # 市町村民税 所得割
    municipal_per_capita: int  # 市町村民税 均等割
    prefectural_income_levy: int  # 県民税 所得割
    prefectural_per_capita: int  # 県民税 均等割
    total: int  # 年税額, 森林環境税 included
    forest_environment: int = 0  # 森林環境税 (国税, from 令和6年度)


@dataclass(frozen=True)
class KazeiContent:
    """課税・非課税・所得証明書 for one fiscal year."""

    header: DocumentHeader
    fiscal_year: int  # N: 令和N年度 (Gregorian year of April)
    address: str  # as of 1 January of year N
    name: str
    kyuuji: str | None
    birth_date: date
    income: Income  # of calendar year N−1
    deductions: Deductions
    taxable_base: int  # 課税標準額
    taxes: Taxes
    exempt: bool  # 非課税

    @property
    def income_year(self) -> int:
        """The calendar year whose income is certified (N−1)."""
        return self.fiscal_year - 1


# 戸籍全部事項証明書 / 個人事項証明書 (CRT-4)
@dataclass(frozen=True)
class EventItem:
    """One 【label】 of an event: a date, or a text (a place, a name, a register)."""

    label: str  # 出生日, 出生地, 届出人, 配偶者氏名...
    on: date | None = None
    text: str | None = None


@dataclass(frozen=True)
class KosekiEvent:
    """A 身分事項 or 戸籍事項 entry: its title (出生, 婚姻, 戸籍編製...) and its items."""

    title: str
    items: tuple[EventItem, ...]


@dataclass(frozen=True)
class KosekiPerson:
    """One person recorded in the register (戸籍に記録されている者)."""

    name: str  # 【名】
    birth_date: date
    spouse_status: str | None  # 【配偶者区分】 夫 / 妻
    father: str | None
    mother: str | None
    relationship: str  # 【続柄】 長男, 二女...
    removed: bool  # 除籍: left the register
    events: tuple[KosekiEvent, ...]  # 身分事項
    name_kana: str | None = None  # 【名の振り仮名】 in katakana; None where the register records none


@dataclass(frozen=True)
class KosekiContent:
    """A computerised family-register certificate: whole (全部事項) or chosen persons (個人事項)."""

    header: DocumentHeader
    whole: bool
    honseki: str  # place names keep kanji numerals, lot numbers full-width
    hittousha: str  # 筆頭者 full name
    register_event: KosekiEvent  # 戸籍編製 or 戸籍改製
    persons: tuple[KosekiPerson, ...]
    family_kana: str | None = None  # 【氏の振り仮名】 in katakana; None where the register records none


# 戸籍の附票の写し (CRT-5)
@dataclass(frozen=True)
class AddressSpell:
    """One address of a member and the date it was set (住所を定めた年月日)."""

    address: str
    since: date


@dataclass(frozen=True)
class FuhyoMember:
    """One member on the 附票, with the address history oldest first; 消除 once they left or died."""

    name: str
    kyuuji: str | None
    birth_date: date
    sex: str
    addresses: tuple[AddressSpell, ...]
    removed: bool  # 消除: the member left the register (婚姻) or died
    removed_on: date | None  # where the registry holds them
    removed_reason: str | None


@dataclass(frozen=True)
class FuhyoContent:
    """戸籍の附票の写し."""

    header: DocumentHeader
    honseki: str | None  # None unless the 本籍・筆頭者 option is chosen
    hittousha: str | None
    members: tuple[FuhyoMember, ...]


Content = JuminhyoContent | InkanContent | KazeiContent | KosekiContent | FuhyoContent

CONTENT_TYPES: dict[Kind, type] = {
    Kind.JUMINHYO: JuminhyoContent,
    Kind.INKAN: InkanContent,
    Kind.KAZEI: KazeiContent,
    Kind.KOSEKI: KosekiContent,
    Kind.FUHYO: FuhyoContent,
}
