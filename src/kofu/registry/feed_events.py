"""The change feed's events as the village's core systems send them: one model per kind, read from CSV
(UTF-8 with or without BOM, or cp932) or JSON Lines, every bad value named by line and field.

Each event has an ID (applied once), a kind, the person it is about, and when it takes effect
(`effective_at`: an ISO date, read as 0:00 in Japan, or an ISO date-time; a time without a zone is
Japan time). A CSV has one column per field; an empty cell is an absent field. Reading checks every
event before anything is applied; `kofu.registry.feed` applies them. `parse_events` reads the bytes of a
file in a named format (the municipal server's `POST /v1/changes`); `read_events` reads a file by its
name (`kofu village apply`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from kofu.registry.changes import NAME_FIELDS, TAX_AMENDABLE, TAX_ASSESSED
from kofu.registry.models import STOP_KINDS
from kofu.registry.textfile import UndecodableFile, csv_records, decode
from kofu.rules.calendar import JST

MAX_FILE_BYTES = 64 * 1024 * 1024  # a month of a large town's events is far below this
MAX_EVENTS = 500_000
MAX_PROBLEMS = 100

FeedFormat = Literal["csv", "jsonl"]
_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".json")

Text = Annotated[str, Field(min_length=1, max_length=200)]
Amount = Annotated[int, Field(ge=0, le=10**12)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
    person_id: Annotated[str, Field(min_length=1, max_length=20)]
    effective_at: datetime

    @field_validator("effective_at", mode="before")
    @classmethod
    def _japan_time(cls, value: Any) -> Any:
        """A date is 0:00 that day in Japan; a date-time without a zone is Japan time."""
        if isinstance(value, str) and len(value.strip()) == 10:
            return datetime.combine(date.fromisoformat(value.strip()), time(0), JST)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)
        return value

    @property
    def effective_on(self) -> date:
        """The day it takes effect, in Japan."""
        return self.effective_at.astimezone(JST).date()


class MoveWithin(_Event):
    """転居: a new address in the village."""

    kind: Literal["move_within"]
    address: Text
    since: date | None = None  # 住所を定めた日; the effective day when absent
    reason: Annotated[str, Field(max_length=20)] = "転居"


class MoveOut(_Event):
    """転出: the registration here ends on the day it takes effect."""

    kind: Literal["move_out"]
    new_address: Text | None = None


class Death(_Event):
    """死亡 (住民基本台帳): the registration here ends."""

    kind: Literal["death"]


class ForeignStatusChange(_Event):
    """在留資格の変更・在留期間の更新 of a foreign resident."""

    kind: Literal["foreign_status_change"]
    residence_status: Annotated[str, Field(min_length=1, max_length=40)]
    residence_period: Annotated[str, Field(max_length=20)] | None = None
    residence_until: date | None = None
    residence_category: Annotated[str, Field(max_length=20)] | None = None

    def items(self) -> dict[str, str | None]:
        """The new items; an absent period or end (永住者) is cleared."""
        until = self.residence_until.isoformat() if self.residence_until else None
        items = {"residence_status": self.residence_status, "residence_period": self.residence_period}
        items["residence_until"] = until
        if self.residence_category is not None:
            items["residence_category"] = self.residence_category
        return items


class SealAbolition(_Event):
    """印鑑登録の廃止."""

    kind: Literal["seal_abolition"]


class SealRegistration(_Event):
    """印鑑登録: the impression is made from the person's surname, as the village's seals are."""

    kind: Literal["seal_registration"]
    registration_no: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$")]
    size_mm: Annotated[int, Field(ge=8, le=25)] = 15  # 印鑑登録 accepts 8 mm to 25 mm squares
    square: bool = False


class TaxDeclaration(_Event):
    """申告・修正申告: the fiscal year's amounts; the year is withheld until it is reflected (LAG-2)."""

    kind: Literal["tax_declaration"]
    fiscal_year: Annotated[int, Field(ge=1989, le=2200)]
    salary_income: Amount | None = None
    pension_income: Amount | None = None
    other_earnings: Amount | None = None
    ded_life_insurance: Amount | None = None
    dependants: Annotated[int, Field(ge=0, le=30)] | None = None

    def amounts(self) -> dict[str, int]:
        """The amended amounts only."""
        return {k: v for k in TAX_AMENDABLE if (v := getattr(self, k)) is not None}


class TaxAssessment(_Event):
    """賦課: the municipality's assessment of a fiscal year (a new record, or the year's record replaced);
    an absent amount is 0. The year is withheld until it is reflected (LAG-2)."""

    kind: Literal["tax_assessment"]
    fiscal_year: Annotated[int, Field(ge=1989, le=2200)]
    salary_income: Amount = 0
    pension_income: Amount = 0
    other_earnings: Amount = 0
    ded_social_insurance: Amount = 0
    ded_life_insurance: Amount = 0
    dependants: Annotated[int, Field(ge=0, le=30)] = 0
    spouse: Literal["none", "spouse", "elderly_spouse"] = "none"

    def amounts(self) -> dict[str, int | str]:
        """What the assessment is computed from."""
        return {k: getattr(self, k) for k in TAX_ASSESSED}


Name = Annotated[str, Field(min_length=1, max_length=40)]
Kana = Annotated[str, Field(min_length=1, max_length=80)]


class NameChange(_Event):
    """氏名変更: the family and/or the given name, each with its kana."""

    kind: Literal["name_change"]
    family_name: Name | None = None
    family_kana: Kana | None = None
    given_name: Name | None = None
    given_kana: Kana | None = None

    @model_validator(mode="after")
    def _name_with_kana(self) -> NameChange:
        """A name comes with its reading; at least one of the two changes."""
        for name, kana in (("family_name", "family_kana"), ("given_name", "given_kana")):
            if (getattr(self, name) is None) != (getattr(self, kana) is None):
                raise ValueError(f"{name} and {kana} change together")
        if self.family_name is None and self.given_name is None:
            raise ValueError("a family_name or a given_name is required")
        return self

    def names(self) -> dict[str, str]:
        """The new names only."""
        return {k: v for k in NAME_FIELDS if (v := getattr(self, k)) is not None}


class HouseholdChange(_Event):
    """世帯変更: a resident joins another household at the same address, or heads a new one there."""

    kind: Literal["household_change"]
    household_no: Annotated[str, Field(min_length=1, max_length=20)] | None = None  # absent: a new one
    relationship: Annotated[str, Field(min_length=1, max_length=20)] = "世帯主"  # 続柄 to the head


Relationship = Annotated[str, Field(min_length=1, max_length=20)]
Sex = Literal["male", "female"]


class Birth(_Event):
    """出生: a new person (`person_id`, the ID the village gives them) in the household and the register
    of `parent_id`; nothing of them exists until it is reflected. The family name is the parent's unless
    given; `koseki_relationship` (長男, 二女...) is required when the parent's register is here."""

    kind: Literal["birth"]
    parent_id: Annotated[str, Field(min_length=1, max_length=20)]
    given_name: Name
    given_kana: Kana
    family_name: Name | None = None
    family_kana: Kana | None = None
    birth_date: date
    sex: Sex
    relationship: Relationship = "子"  # 続柄 to the head of the household
    koseki_relationship: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    father_name: Text | None = None
    mother_name: Text | None = None
    place: Text | None = None
    notifier: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class MoveIn(_Event):
    """転入: a new person (`person_id`, the ID the village gives them) registered at `address`, in an
    existing household (`household_no`, at that address) or heading a new one; nothing of them exists
    until it is reflected. 住民となった年月日 is the day it takes effect unless `since` says otherwise."""

    kind: Literal["move_in"]
    family_name: Name
    given_name: Name
    family_kana: Kana
    given_kana: Kana
    birth_date: date
    sex: Sex
    address: Text
    previous_address: Text  # 従前の住所
    since: date | None = None  # 住所を定めた年月日
    household_no: Annotated[str, Field(min_length=1, max_length=20)] | None = None  # absent: a new one
    relationship: Relationship = "世帯主"
    honseki: Text | None = None
    hittousha: Annotated[str, Field(min_length=1, max_length=80)] | None = None


class KosekiSeparation(_Event):
    """分籍: an adult member, neither 筆頭者 nor spouse, leaves their register for a new one of their own at
    `honseki_place` + `honseki_lot`; made here unless `elsewhere` (another municipality keeps it)."""

    kind: Literal["koseki_separation"]
    honseki_place: Text
    honseki_lot: Annotated[str, Field(min_length=1, max_length=20)]
    elsewhere: bool = False
    notifier: Annotated[str, Field(min_length=1, max_length=40)] = "本人"


class KosekiNotification(_Event):
    """戸籍の届出 about a member of a register here (婚姻, 離婚, 死亡, 養子縁組, 配偶者の死亡), recorded as a
    身分事項; a birth makes a new member, which the feed does not do yet."""

    kind: Literal["koseki"]
    event: Literal["marriage", "divorce", "death", "adoption", "spouse_death"]
    event_date: date
    place: Text | None = None
    notifier: Text | None = None
    spouse_name: Text | None = None
    new_register: Text | None = None
    previous_register: Text | None = None


class SupportMeasure(_Event):
    """支援措置 begins or ends: nothing of the person is issued at a kiosk while it lasts."""

    kind: Literal["support_measure_start", "support_measure_end"]


class KindStop(_Event):
    """The village turns one kind off (or on again) for the person."""

    kind: Literal["kind_stop_start", "kind_stop_end"]
    stopped_kind: str

    @field_validator("stopped_kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in STOP_KINDS:
            raise ValueError(f"one of {', '.join(STOP_KINDS)}")
        return value


FeedEvent = Annotated[
    MoveWithin
    | MoveOut
    | Death
    | ForeignStatusChange
    | SealAbolition
    | SealRegistration
    | TaxDeclaration
    | TaxAssessment
    | NameChange
    | HouseholdChange
    | Birth
    | MoveIn
    | KosekiSeparation
    | KosekiNotification
    | SupportMeasure
    | KindStop,
    Field(discriminator="kind"),
]
KINDS: tuple[str, ...] = (
    "move_within",
    "move_out",
    "death",
    "foreign_status_change",
    "seal_abolition",
    "seal_registration",
    "tax_declaration",
    "tax_assessment",
    "name_change",
    "household_change",
    "birth",
    "move_in",
    "koseki_separation",
    "koseki",
    "support_measure_start",
    "support_measure_end",
    "kind_stop_start",
    "kind_stop_end",
)
_ADAPTER: TypeAdapter[FeedEvent] = TypeAdapter(FeedEvent)


@dataclass(frozen=True)
class FeedProblem:
    """One bad event: the file's line, the field, and why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.reason}"


@dataclass(frozen=True)
class ReadEvent:
    """An event with the line it starts on and its canonical JSON (what its digest is taken of)."""

    line: int
    event: FeedEvent
    canonical: str


def _problems(line: int, exc: ValidationError) -> Iterator[FeedProblem]:
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if str(part) not in KINDS]
        where = "kind" if err["type"] in ("union_tag_invalid", "union_tag_not_found") else ".".join(loc)
        yield FeedProblem(line, where or "-", err["msg"])


def format_of(path: Path) -> FeedFormat:
    """The format a file's name says: JSON Lines for .jsonl (.ndjson, .json), else CSV."""
    return "jsonl" if path.suffix.lower() in _JSON_LINES_SUFFIXES else "csv"


def _records(text: str, fmt: FeedFormat) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, fields) per record, or (line, reason) for a record that is not even a record."""
    if fmt == "jsonl":
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, f"not JSON: {exc.msg}"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"
        return
    records = csv_records(io.StringIO(text, newline=""))
    _, first = next(records, (1, None))
    if first is None:
        yield 1, "empty file (a header row is required)"
        return
    header = [h.strip() for h in first]
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield line, f"{len(values)} fields, the header has {len(header)}"
            continue
        yield line, {name: value for name, value in zip(header, values, strict=True) if value.strip()}


def read_events(path: Path) -> tuple[list[ReadEvent], list[FeedProblem]]:
    """Every event of the file (its format by its name), checked; events count only when there are no
    problems."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return [], [_too_large(size)]
    return parse_events(path.read_bytes(), format_of(path))


def _too_large(size: int) -> FeedProblem:
    return FeedProblem(0, "-", f"the file is {size:,} bytes; at most {MAX_FILE_BYTES:,} at once")


def parse_events(data: bytes, fmt: FeedFormat) -> tuple[list[ReadEvent], list[FeedProblem]]:
    """Every event of a file's bytes in `fmt`, checked; events count only when there are no problems."""
    if len(data) > MAX_FILE_BYTES:
        return [], [_too_large(len(data))]
    try:
        text = decode(data)
    except UndecodableFile as exc:
        return [], [FeedProblem(0, "-", str(exc))]
    events: list[ReadEvent] = []
    problems: list[FeedProblem] = []
    seen: dict[str, int] = {}
    for line, record in _records(text, fmt):
        if len(problems) >= MAX_PROBLEMS:
            break
        if isinstance(record, str):
            problems.append(FeedProblem(line, "-", record))
            continue
        if len(events) >= MAX_EVENTS:
            problems.append(FeedProblem(line, "-", f"more than {MAX_EVENTS:,} events; split the file"))
            break
        try:
            event = _ADAPTER.validate_python(record)
        except ValidationError as exc:
            problems.extend(_problems(line, exc))
            continue
        first = seen.setdefault(event.event_id, line)
        if first != line:
            problems.append(FeedProblem(line, "event_id", f"{event.event_id} is also on line {first}"))
            continue
        canonical = event.model_dump_json()
        events.append(ReadEvent(line, event, canonical))
    return events, problems
