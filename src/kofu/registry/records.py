"""Plain frozen records read from the registry: what the composer and the rules see, never ORM objects.

住民票コード and 個人番号 are deliberately absent: they are stored in the registry but no record that leaves
it carries them, so they cannot reach a certificate (CRT-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# the journal's kinds that change one fiscal year's tax record (LAG-2 withholds that year)
TAX_CHANGE_KINDS = ("tax_declaration", "tax_assessment")
# the journal's kinds by which a person leaves or joins a household (its 住民票 is refused meanwhile)
HOUSEHOLD_CHANGE_KINDS = ("household", "birth", "move_in")
# the journal's kinds that change a register here (its certificates are refused meanwhile)
REGISTER_CHANGE_KINDS = ("koseki", "birth", "separation")


@dataclass(frozen=True)
class AddressRecord:
    """One address of a resident (住所, 住所を定めた日, 届出日, 従前の住所, 異動事由)."""

    address: str
    since: date
    notified_on: date | None
    previous_address: str | None
    reason: str


@dataclass(frozen=True)
class ForeignRecord:
    """A foreign resident's items of the 住民票 (住民基本台帳法 第30条の45) and a registered 通称."""

    nationality: str  # 国籍・地域
    residence_status: str | None  # 在留資格 (None for 特別永住者)
    residence_period: str | None  # 在留期間
    residence_until: date | None  # 在留期間の満了の日
    category: str | None  # 中長期在留者, 特別永住者…
    alias: str | None  # 通称
    alias_kana: str | None


@dataclass(frozen=True)
class PersonRecord:
    """A person as the 住民票 and the other certificates print them."""

    person_id: str
    family_name: str
    given_name: str
    family_kana: str
    given_kana: str
    former_surname: str | None
    former_surname_kana: str | None
    birth_date: date
    sex: str  # "male" | "female"
    status: str  # resident | moved_out | deceased | nonresident
    household_no: str | None
    relationship: str | None  # 世帯主との続柄
    became_resident_on: date | None  # 住民となった年月日
    honseki: str | None
    hittousha: str | None
    address: AddressRecord | None  # current address while resident
    foreign: ForeignRecord | None = None  # a foreign resident's items; None for Japanese nationals

    @property
    def name(self) -> str:
        """氏名 with a full-width space, as printed."""
        return f"{self.family_name}\u3000{self.given_name}"

    @property
    def name_kana(self) -> str:
        """ふりがな with a full-width space."""
        return f"{self.family_kana}\u3000{self.given_kana}"

    @property
    def is_head(self) -> bool:
        """The 世帯主 of their household."""
        return self.relationship == "世帯主"


@dataclass(frozen=True)
class HouseholdRecord:
    """A 世帯 with its current members (head first); removed members (除票) are not in it."""

    household_no: str
    address: str | None
    head: PersonRecord | None
    members: tuple[PersonRecord, ...]

    def has_member(self, person_id: str) -> bool:
        """Whether `person_id` is a current member (CRT-1)."""
        return any(m.person_id == person_id for m in self.members)


@dataclass(frozen=True)
class SealRecord:
    """A seal registration; `png` is the 印影 at `size_mm` (300 dpi)."""

    registration_no: str
    status: str  # registered | abolished
    registered_on: date
    abolished_on: date | None
    png: bytes
    size_mm: int

    @property
    def is_registered(self) -> bool:
        """True unless abolished (INC-4: an abolished seal is never printed)."""
        return self.status == "registered"


@dataclass(frozen=True)
class TaxYearRecord:
    """One fiscal year's tax record (課税・非課税・所得証明書), amounts in yen."""

    fiscal_year: int
    address_jan1: str
    salary_income: int
    salary_earnings: int
    pension_income: int
    pension_earnings: int
    other_earnings: int
    total_earnings: int
    total_earnings_etc: int
    ded_social_insurance: int
    ded_life_insurance: int
    ded_spouse: int
    ded_dependants: int
    dependants: int
    ded_basic: int
    ded_total: int
    taxable_base: int
    city_income_levy: int
    city_per_capita: int
    pref_income_levy: int
    pref_per_capita: int
    tax_total: int
    non_taxable: bool


@dataclass(frozen=True)
class KosekiEventRecord:
    """A 身分事項 entry: 出生, 婚姻, 死亡..."""

    kind: str  # birth | marriage | adoption | death
    event_date: date
    place: str | None
    notified_on: date | None
    notifier: str | None
    spouse_name: str | None
    previous_register: str | None
    new_register: str | None  # 新本籍: where a member who left by marriage went


@dataclass(frozen=True)
class FuhyoRecord:
    """One 附票 line: an address and the day it was set."""

    address: str
    since: date


@dataclass(frozen=True)
class KosekiMemberRecord:
    """A person recorded in a register, with their 身分事項 and 附票."""

    seq: int
    person_id: str | None
    family_name: str  # the register's 氏
    given_name: str
    birth_date: date
    sex: str
    father_name: str | None
    mother_name: str | None
    relationship: str
    spouse_role: str | None  # 配偶者区分
    removed: bool  # 除籍
    removed_on: date | None
    removed_reason: str | None
    former_surname: str | None  # 旧氏 as the person's record holds it (None for no linked person)
    events: tuple[KosekiEventRecord, ...]
    fuhyo: tuple[FuhyoRecord, ...]
    given_kana: str | None = None  # the reading of the 名, from the linked person (None for no linked person)


@dataclass(frozen=True)
class KosekiRecord:
    """A family register with all its members in register order."""

    koseki_no: str
    honseki_place: str
    honseki_lot: str
    hittousha_family: str
    hittousha_given: str
    made_on: date | None
    converted_on: date | None
    conversion_reason: str | None
    status: str  # current | closed | pre_conversion
    closed_on: date | None
    members: tuple[KosekiMemberRecord, ...]
    family_kana: str | None = None  # the reading of the register's 氏, from a member who bears it

    @property
    def honseki(self) -> str:
        """本籍 as one string (lot number in ASCII digits; the layout prints them full-width)."""
        return f"{self.honseki_place}{self.honseki_lot}"

    @property
    def hittousha(self) -> str:
        """筆頭者氏名."""
        return f"{self.hittousha_family}\u3000{self.hittousha_given}"

    def member(self, person_id: str) -> KosekiMemberRecord | None:
        """The line of `person_id` in this register, if any."""
        return next((m for m in self.members if m.person_id == person_id), None)


@dataclass(frozen=True)
class PendingChange:
    """A change filed but not yet reflected (LAG-1, LAG-2)."""

    change_id: int
    person_id: str
    kind: str  # one of kofu.registry.models.CHANGE_KINDS
    filed_on: date
    fiscal_year: int | None  # for tax declarations


@dataclass(frozen=True)
class StopRecord:
    """A live per-person stop of kiosk issuance; `kind` None stops every kind (a support measure)."""

    person_id: str
    kind: str | None


@dataclass(frozen=True)
class UsageRecord:
    """A usage registration of a non-resident 本籍 holder (REG-1)."""

    status: str  # pending | approved | refused
    filed_on: date
    decided_on: date | None


@dataclass(frozen=True)
class PersonSnapshot:
    """Everything needed to compose any certificate for one person, read in one transaction."""

    person: PersonRecord
    household: HouseholdRecord | None
    seal: SealRecord | None
    tax_years: tuple[TaxYearRecord, ...]
    koseki: KosekiRecord | None  # the register the person is (or was last) recorded in here
    usage: UsageRecord | None
    pending: tuple[PendingChange, ...]  # of the person and of everyone in the household and register
    stops: tuple[StopRecord, ...] = ()  # live stops of the person and everyone in household and register

    def has_pending(self, kind: str | None = None, *, person_id: str | None = None) -> bool:
        """Whether a change (of `kind`, for `person_id`) is filed and not reflected (LAG-1)."""
        return any(
            (kind is None or c.kind == kind) and (person_id is None or c.person_id == person_id)
            for c in self.pending
        )

    def tax_year(self, fiscal_year: int) -> TaxYearRecord | None:
        """The record of `fiscal_year`, if any."""
        return next((t for t in self.tax_years if t.fiscal_year == fiscal_year), None)

    def tax_pending(self, fiscal_year: int) -> bool:
        """A declaration, amendment or assessment for `fiscal_year` is pending (LAG-2)."""
        return any(
            c.kind in TAX_CHANGE_KINDS
            and c.person_id == self.person.person_id
            and c.fiscal_year == fiscal_year
            for c in self.pending
        )
