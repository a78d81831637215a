"""The municipal registry's tables: 住民基本台帳, 印鑑, 課税, 戸籍, 附票, card links, usage registrations,
the change journal and the per-person stops.

Schemas are created only by the Alembic chain in `kofu/registry/migrations`. Every kiosk lookup has an
index (person by certificate serial, household members, register members, tax year), so a lookup costs
the same at 10,000 persons as at 1,000,000.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kofu.db import NAMING, UtcDateTime

# Allowed values of the status-like columns; CSV import checks them too.
SEXES = ("male", "female")
PERSON_STATUSES = ("resident", "moved_out", "deceased", "nonresident")
SEAL_STATUSES = ("registered", "abolished")
KOSEKI_STATUSES = ("current", "closed", "pre_conversion")
CREDENTIALS = ("card", "phone")
USAGE_STATUSES = ("pending", "approved", "refused")
# residence: a registration ends (転出, 死亡); stop: a support measure begins or ends; foreign_status:
# a foreign resident's 在留資格 changes; seal_registration: 印鑑登録; tax_assessment: 賦課; name: 氏名変更;
# household: 世帯変更; birth, move_in: 出生, 転入 (a new person, created when reflected); separation: 分籍
CHANGE_KINDS = (
    "address",
    "seal_abolition",
    "koseki",
    "tax_declaration",
    "residence",
    "stop",
    "foreign_status",
    "seal_registration",
    "tax_assessment",
    "name",
    "household",
    "birth",
    "move_in",
    "separation",
)
# the kinds that create a person: filed with no person (their record is in the payload) until reflected
CREATING_KINDS = ("birth", "move_in")
CHANGE_STATUSES = ("pending", "reflected")
# support_measure: 支援措置 (DV, stalking), every kind; village: one kind the village turned off
STOP_CAUSES = ("support_measure", "village")
STOP_KINDS = ("juminhyo", "inkan", "kazei", "koseki", "fuhyo")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of the registry's own tables and migration chain."""

    metadata = MetaData(naming_convention=NAMING)


class Household(Base):
    """A 世帯; its head is the member whose 続柄 is 世帯主."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_no: Mapped[str] = mapped_column(String(20), unique=True)
    formed_on: Mapped[date] = mapped_column(Date)


class Person(Base):
    """A person on the registry: resident, moved out (除票), deceased, or a non-resident 本籍 holder."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint(_one_of("sex", SEXES), name="sex"),
        CheckConstraint(_one_of("status", PERSON_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(20), unique=True)
    # Kept because real registries have them; never printed (CRT-1) and never logged.
    juminhyo_code: Mapped[str | None] = mapped_column(String(11))
    kojin_bango: Mapped[str | None] = mapped_column(String(12))
    family_name: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(40))
    family_kana: Mapped[str] = mapped_column(String(80))
    given_kana: Mapped[str] = mapped_column(String(80))
    former_surname: Mapped[str | None] = mapped_column(String(40))
    former_surname_kana: Mapped[str | None] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(12))
    household_fk: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    relationship: Mapped[str | None] = mapped_column(String(20))
    became_resident_on: Mapped[date | None] = mapped_column(Date)
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    honseki: Mapped[str | None] = mapped_column(String(200))
    hittousha: Mapped[str | None] = mapped_column(String(80))
    # foreign residents (住民基本台帳法 第30条の45): all empty for Japanese nationals
    nationality: Mapped[str | None] = mapped_column(String(40))  # 国籍・地域
    residence_status: Mapped[str | None] = mapped_column(String(40))  # 在留資格
    residence_period: Mapped[str | None] = mapped_column(String(20))  # 在留期間 (e.g. 3年)
    residence_until: Mapped[date | None] = mapped_column(Date)  # 在留期間の満了の日
    residence_category: Mapped[str | None] = mapped_column(String(20))  # 第30条の45に規定する区分
    alias: Mapped[str | None] = mapped_column(String(80))  # 通称, where registered
    alias_kana: Mapped[str | None] = mapped_column(String(80))


# the foreign residents' columns of `persons`, empty for Japanese nationals
FOREIGN_COLUMNS = (
    "nationality",
    "residence_status",
    "residence_period",
    "residence_until",
    "residence_category",
    "alias",
    "alias_kana",
)


class Address(Base):
    """One address of a person on this registry; exactly one is current while resident."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    since: Mapped[date] = mapped_column(Date)  # 住所を定めた日
    notified_on: Mapped[date | None] = mapped_column(Date)  # 届出日
    previous_address: Mapped[str | None] = mapped_column(String(200))  # 従前の住所
    reason: Mapped[str] = mapped_column(String(20))  # 異動事由
    current: Mapped[bool] = mapped_column(Boolean)


class SealImpression(Base):
    """A 印影 image (PNG), shared by registrations whose impression is identical."""

    __tablename__ = "seal_impressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    size_mm: Mapped[int] = mapped_column(Integer)


class Seal(Base):
    """A seal registration (印鑑登録), registered or abolished."""

    __tablename__ = "seals"
    __table_args__ = (CheckConstraint(_one_of("status", SEAL_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    registration_no: Mapped[str] = mapped_column(String(20), unique=True)
    impression_fk: Mapped[int] = mapped_column(ForeignKey("seal_impressions.id"))
    registered_on: Mapped[date] = mapped_column(Date)
    abolished_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))


class TaxRecord(Base):
    """One fiscal year's resident-tax record (income of the previous calendar year), in yen."""

    __tablename__ = "tax_records"
    __table_args__ = (UniqueConstraint("person_fk", "fiscal_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    address_jan1: Mapped[str] = mapped_column(String(200))
    salary_income: Mapped[int] = mapped_column(BigInteger)  # 給与収入
    salary_earnings: Mapped[int] = mapped_column(BigInteger)  # 給与所得
    pension_income: Mapped[int] = mapped_column(BigInteger)  # 公的年金等収入
    pension_earnings: Mapped[int] = mapped_column(BigInteger)
    other_earnings: Mapped[int] = mapped_column(BigInteger)  # 事業・不動産・雑所得
    total_earnings: Mapped[int] = mapped_column(BigInteger)  # 合計所得金額
    total_earnings_etc: Mapped[int] = mapped_column(BigInteger)  # 総所得金額等
    ded_social_insurance: Mapped[int] = mapped_column(BigInteger)
    ded_life_insurance: Mapped[int] = mapped_column(BigInteger)
    ded_spouse: Mapped[int] = mapped_column(BigInteger)
    ded_dependants: Mapped[int] = mapped_column(BigInteger)
    dependants: Mapped[int] = mapped_column(Integer)
    ded_basic: Mapped[int] = mapped_column(BigInteger)
    ded_total: Mapped[int] = mapped_column(BigInteger)
    taxable_base: Mapped[int] = mapped_column(BigInteger)  # 課税標準額
    city_income_levy: Mapped[int] = mapped_column(BigInteger)  # 市町村民税 所得割
    city_per_capita: Mapped[int] = mapped_column(BigInteger)  # 市町村民税 均等割
    pref_income_levy: Mapped[int] = mapped_column(BigInteger)  # 県民税 所得割
    pref_per_capita: Mapped[int] = mapped_column(BigInteger)  # 県民税 均等割
    tax_total: Mapped[int] = mapped_column(BigInteger)
    non_taxable: Mapped[bool] = mapped_column(Boolean)


class Koseki(Base):
    """A family register (戸籍): current, closed (除籍) or pre-conversion (改製原戸籍)."""

    __tablename__ = "koseki"
    __table_args__ = (CheckConstraint(_one_of("status", KOSEKI_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    koseki_no: Mapped[str] = mapped_column(String(20), unique=True)
    honseki_place: Mapped[str] = mapped_column(String(200))  # place names keep kanji numerals (一丁目)
    honseki_lot: Mapped[str] = mapped_column(String(20))  # e.g. "62番地", printed in full-width digits
    hittousha_family: Mapped[str] = mapped_column(String(40))
    hittousha_given: Mapped[str] = mapped_column(String(40))
    made_on: Mapped[date | None] = mapped_column(Date)  # 編製日
    converted_on: Mapped[date | None] = mapped_column(Date)  # 改製日
    conversion_reason: Mapped[str | None] = mapped_column(String(200))  # 改製事由
    status: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[date | None] = mapped_column(Date)


class KosekiMember(Base):
    """A person recorded in a register, in register order; `removed` is the 除籍 mark."""

    __tablename__ = "koseki_members"
    __table_args__ = (UniqueConstraint("koseki_fk", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    koseki_fk: Mapped[int] = mapped_column(ForeignKey("koseki.id"))
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    given_name: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    father_name: Mapped[str | None] = mapped_column(String(80))
    mother_name: Mapped[str | None] = mapped_column(String(80))
    relationship: Mapped[str] = mapped_column(String(10))  # 続柄: 長男, 長女, 夫, 妻...
    spouse_role: Mapped[str | None] = mapped_column(String(4))  # 配偶者区分: 夫 / 妻
    removed: Mapped[bool] = mapped_column(Boolean)
    removed_on: Mapped[date | None] = mapped_column(Date)
    removed_reason: Mapped[str | None] = mapped_column(String(20))


class KosekiEvent(Base):
    """A 身分事項 entry of a register member (出生, 婚姻, 養子縁組, 死亡...)."""

    __tablename__ = "koseki_events"
    __table_args__ = (UniqueConstraint("member_fk", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_fk: Mapped[int] = mapped_column(ForeignKey("koseki_members.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # birth, marriage, adoption, death
    event_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    notified_on: Mapped[date | None] = mapped_column(Date)
    notifier: Mapped[str | None] = mapped_column(String(40))  # 届出人 (父, 母, 夫, 親族...)
    spouse_name: Mapped[str | None] = mapped_column(String(80))
    previous_register: Mapped[str | None] = mapped_column(String(200))  # 従前戸籍
    new_register: Mapped[str | None] = mapped_column(String(200))  # 新本籍 (a member who left by marriage)


class FuhyoEntry(Base):
    """One line of a register member's 附票: an address and the day it was set, oldest first."""

    __tablename__ = "fuhyo_entries"
    __table_args__ = (UniqueConstraint("member_fk", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_fk: Mapped[int] = mapped_column(ForeignKey("koseki_members.id"))
    seq: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200))
    since: Mapped[date] = mapped_column(Date)


class CardLink(Base):
    """A credential's certificate serials linked to a person (DAY-1 dates come from here)."""

    __tablename__ = "card_links"
    __table_args__ = (CheckConstraint(_one_of("credential", CREDENTIALS), name="credential"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    auth_serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    sign_serial: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    credential: Mapped[str] = mapped_column(String(8))
    issued_on: Mapped[date] = mapped_column(Date)  # 交付日: the day the card was handed over (DAY-1)
    continued_use_on: Mapped[date | None] = mapped_column(Date)


_OPEN_USAGE = "status IN ('pending', 'approved')"


class UsageRegistration(Base):
    """A non-resident 本籍 holder's usage registration (REG-1, ELG-4)."""

    __tablename__ = "usage_registrations"
    __table_args__ = (
        CheckConstraint(_one_of("status", USAGE_STATUSES), name="status"),
        # REG-1: once per person, whichever card filed it; a refused filing may be followed by another
        Index(
            "ux_usage_registrations_open_per_person",
            "person_fk",
            unique=True,
            sqlite_where=text(_OPEN_USAGE),
            postgresql_where=text(_OPEN_USAGE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    filed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    decided_on: Mapped[date | None] = mapped_column(Date)


_DUE = "status = 'pending' AND effective_at IS NOT NULL"


class Change(Base):
    """The change journal: a change is pending until reflected (LAG-1, LAG-2); payload is JSON."""

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CHANGE_KINDS), name="kind"),
        CheckConstraint(_one_of("status", CHANGE_STATUSES), name="status"),
        CheckConstraint(f"person_fk IS NOT NULL OR {_one_of('kind', CREATING_KINDS)}", name="person"),
        Index("ix_changes_person_status", "person_fk", "status"),
        Index("ix_changes_due", "effective_at", sqlite_where=text(_DUE), postgresql_where=text(_DUE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # empty while a change that creates a person (出生, 転入) is pending: nothing of them exists before
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # a household the change also alters (the one a person joins): its 住民票 is refused until reflected
    household_fk: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    filed_on: Mapped[date] = mapped_column(Date)
    reflected_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    payload: Mapped[str] = mapped_column(Text)
    # a change feed's event: its ID (applied once), when it takes effect, and its content's digest
    event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    effective_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    digest: Mapped[str | None] = mapped_column(String(64))


_LIVE_STOP = "lifted_on IS NULL"


class PersonStop(Base):
    """A per-person stop of kiosk issuance, live until lifted; `kind` NULL stops every kind.

    A support measure (支援措置) always stops every kind; the cause is never shown at a kiosk.
    """

    __tablename__ = "person_stops"
    __table_args__ = (
        CheckConstraint(_one_of("cause", STOP_CAUSES), name="cause"),
        CheckConstraint(f"kind IS NULL OR {_one_of('kind', STOP_KINDS)}", name="kind"),
        CheckConstraint("cause <> 'support_measure' OR kind IS NULL", name="support_measure_every_kind"),
        Index(
            "ix_person_stops_live",
            "person_fk",
            sqlite_where=text(_LIVE_STOP),
            postgresql_where=text(_LIVE_STOP),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cause: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(10))
    since: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(40))  # the staff member or feed event that set it
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lifted_by: Mapped[str | None] = mapped_column(String(40))


# Tables in foreign-key order: bulk inserts and CSV imports go in this order, deletes in reverse.
TABLE_ORDER: tuple[str, ...] = (
    "households",
    "persons",
    "addresses",
    "seal_impressions",
    "seals",
    "tax_records",
    "koseki",
    "koseki_members",
    "koseki_events",
    "fuhyo_entries",
    "card_links",
    "usage_registrations",
    "changes",
    "person_stops",
)
