"""A municipality's rulebook: a TOML file read into a frozen `Rulebook`, validated with clear errors.

Bundled rulebooks: "ohira" (大衡村, 044245, the default) and "kitayama" (北山町, fictional, for
本籍地 routing tests). Both are demo configurations: every certificate is marked 見本. A production
rulebook (`demo = false`) must name its own document-signing key and certificate, and cannot be a
bundled file or a fictional municipality.

Schema (version 1; see rulebooks/ohira.toml for a complete example):
  schema = 1, demo = true|false
  [municipality]  name, name_kana, name_en, code (6 digits, valid check digit), prefecture, office,
                  department, mayor_title, mayor_name, seal_text
  [calendar]      year_end_start = "MM-DD", year_end_end = "MM-DD"       (HRS-3)
  [windows.ID]    start = "HH:MM", end = "HH:MM" (end exclusive), office_days_only (HRS-1, HRS-2)
  [kinds.KIND]    fee (yen per copy), window = ID, max_copies, [kinds.KIND.certification] variant =
                  sentence; kazei also fiscal_years (5) and new_year_available = "MM-DD"
  [registration]  window = ID, never an office_days_only one (REG-1 is not limited by HRS-2)
  [[maintenance]] start, end (TOML date-times; no offset = Japan time), note_ja, note_en (HRS-5)
  [verification]  verify_url (https, printed on each back), verifiable_days (how long after issue a
                  certificate can be verified; signed in its code)
  [keys]          document_signing_key, document_signing_cert (paths relative to the file;
                  required when demo = false)
Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from kofu.rules.calendar import JST, NEW_FISCAL_YEAR_AVAILABLE, newest_fiscal_year
from kofu.rules.copies import COPIES_CEILING
from kofu.rules.ids import MUNICIPALITY_CODE
from kofu.rules.kinds import Kind
from kofu.rules.lgcode import check_digit, is_valid_code, prefecture_number
from kofu.rules.verification import DEFAULT_VERIFIABLE_DAYS, DEMO_VERIFY_URL, Verification

DEFAULT_RULEBOOK = "ohira"
BUNDLED_RULEBOOKS: tuple[str, ...] = ("ohira", "kitayama")
SAMPLE_MARK = "見本"
SCHEMA_VERSION = 1
_MONTH_DAY_RE = re.compile(r"(\d\d)-(\d\d)")
_HOUR_MINUTE_RE = re.compile(r"(\d\d):(\d\d)")


class RulebookError(ValueError):
    """A rulebook file is missing, malformed or inconsistent; the message says where and why."""


@dataclass(frozen=True)
class ServiceWindow:
    """A daily window in Japan time, [start, end); `office_days_only` limits it to 平日の開庁日 (HRS-2)."""

    id: str
    start: time
    end: time
    office_days_only: bool = False

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned maintenance [start, end) (HRS-5); `municipality_code` None means the whole service."""

    start: datetime
    end: datetime
    note_ja: str = ""
    note_en: str = ""
    municipality_code: str | None = None

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError("maintenance windows need aware datetimes")
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class KindRule:
    """How one certificate kind is offered: fee per copy (yen), window, copy limit, sentences."""

    kind: Kind
    fee: int
    window: str
    max_copies: int
    certification: Mapping[str, str]


@dataclass(frozen=True)
class SigningKeys:
    """A production municipality's own document-signing key and certificate (PEM paths)."""

    key_path: Path
    cert_path: Path


@dataclass(frozen=True)
class Rulebook:
    """Everything a municipality configures; rules read it, code never hard-codes it."""

    name: str
    name_kana: str
    name_en: str
    code: str
    prefecture: str
    office: str
    department: str
    mayor_title: str
    mayor_name: str
    seal_text: str
    demo: bool
    windows: Mapping[str, ServiceWindow]
    kinds: Mapping[Kind, KindRule]
    registration_window: str
    year_end_start: tuple[int, int] = (12, 29)
    year_end_end: tuple[int, int] = (1, 3)
    maintenance: tuple[MaintenanceWindow, ...] = ()
    fiscal_years_offered: int = 5
    new_fiscal_year_available: tuple[int, int] = NEW_FISCAL_YEAR_AVAILABLE
    keys: SigningKeys | None = None
    verification: Verification = field(default_factory=Verification)
    source: str = field(default="", compare=False)

    def __hash__(self) -> int:  # the mappings are read-only views; hash the identity fields
        return hash((self.code, self.name, self.demo, self.source))

    @property
    def sample_mark(self) -> str | None:
        """ "見本" on every certificate of a demo configuration, None in production."""
        return SAMPLE_MARK if self.demo else None

    def offers(self, kind: Kind) -> bool:
        return kind in self.kinds

    def rule(self, kind: Kind) -> KindRule:
        """The kind's rule; KeyError if not offered (callers check `offers` and refuse kind_not_offered)."""
        return self.kinds[kind]

    def fee(self, kind: Kind) -> int:
        return self.kinds[kind].fee

    def window_for(self, kind: Kind) -> ServiceWindow:
        return self.windows[self.kinds[kind].window]

    def certification(self, kind: Kind, variant: str = "default") -> str:
        """The certification sentence; falls back to the kind's only or "default" sentence."""
        sentences = self.kinds[kind].certification
        if variant in sentences:
            return sentences[variant]
        if "default" in sentences:
            return sentences["default"]
        raise KeyError(f"no certification sentence {variant!r} for {kind.value} in {self.name}")

    def fiscal_years(self, today: date) -> tuple[int, ...]:
        """Fiscal years offered on `today` (Japan date), newest first (CRT-3).

        Fiscal year N (whose certificate covers income of N-1) is offered from
        `new_fiscal_year_available` of year N; before that the newest is N-1.
        """
        newest = newest_fiscal_year(today, self.new_fiscal_year_available)
        return tuple(range(newest, newest - self.fiscal_years_offered, -1))


def bundled_path(name: str) -> Path:
    """The path of a bundled rulebook by name ("ohira", "kitayama")."""
    return Path(str(resources.files("kofu.rules").joinpath("rulebooks", f"{name}.toml")))


def bundled_rulebooks() -> dict[str, Rulebook]:
    """Every bundled rulebook by local government code (for 本籍地 routing in tests and the demo)."""
    books = (load_rulebook(name) for name in BUNDLED_RULEBOOKS)
    return {book.code: book for book in books}


def load_rulebook(name_or_path: str = DEFAULT_RULEBOOK) -> Rulebook:
    """Load a bundled rulebook by name, or a TOML file by path; RulebookError says what is wrong."""
    if name_or_path in BUNDLED_RULEBOOKS:
        path = bundled_path(name_or_path)
    else:
        path = Path(name_or_path)
        if not path.is_file():
            known = ", ".join(BUNDLED_RULEBOOKS)
            raise RulebookError(f"no rulebook {name_or_path!r}: not a file and not a bundled name ({known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulebookError(f"{path}: not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulebookError(f"{path}: cannot read: {exc}") from exc
    return parse_rulebook(data, source=path)


def parse_rulebook(data: Mapping[str, Any], *, source: Path | None = None) -> Rulebook:
    """Validate a decoded TOML document and build the Rulebook."""
    where = str(source) if source is not None else "<rulebook>"
    reader = _Reader(where)
    if data.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
        reader.fail("schema", f"unsupported schema {data.get('schema')!r}; expected {SCHEMA_VERSION}")
    reader.no_unknown(
        data,
        "",
        {
            "schema",
            "demo",
            "municipality",
            "calendar",
            "windows",
            "kinds",
            "registration",
            "maintenance",
            "keys",
            "verification",
        },
    )
    town = reader.table(data, "municipality")
    reader.no_unknown(
        town,
        "municipality",
        {
            "name",
            "name_kana",
            "name_en",
            "code",
            "prefecture",
            "office",
            "department",
            "mayor_title",
            "mayor_name",
            "seal_text",
        },
    )
    code = reader.text(town, "municipality.code")
    if not MUNICIPALITY_CODE.fits(code):
        reader.fail("municipality.code", f"{code!r} is not a 6-digit local government code")
    if not is_valid_code(code):
        expected = check_digit(code[:5])
        reader.fail("municipality.code", f"{code!r} has a wrong check digit (expected {code[:5]}{expected})")
    demo = data.get("demo")
    if not isinstance(demo, bool):
        reader.fail("demo", "must be true or false")

    calendar = data.get("calendar", {})
    reader.no_unknown(calendar, "calendar", {"year_end_start", "year_end_end"})
    year_end_start = reader.month_day(calendar, "calendar.year_end_start", "12-29")
    year_end_end = reader.month_day(calendar, "calendar.year_end_end", "01-03")

    windows = _parse_windows(reader, reader.table(data, "windows"))
    kinds, fiscal_years, new_year = _parse_kinds(reader, reader.table(data, "kinds"), windows)
    registration = reader.table(data, "registration")
    reader.no_unknown(registration, "registration", {"window"})
    registration_window = reader.text(registration, "registration.window")
    if registration_window not in windows:
        reader.fail("registration.window", f"unknown window {registration_window!r}")
    if windows[registration_window].office_days_only:
        reader.fail(
            "registration.window",
            f"{registration_window!r} is limited to office days; the usage registration is filed "
            "whenever the service is open (REG-1, HRS-2)",
        )

    maintenance = tuple(
        _parse_maintenance(reader, item, f"maintenance[{i}]", code)
        for i, item in enumerate(reader.array(data, "maintenance"))
    )
    keys = _parse_keys(reader, data.get("keys"), source)
    verification = _parse_verification(reader, data.get("verification", {}))
    if not demo:
        _check_production(reader, code, keys, source)

    return Rulebook(
        name=reader.text(town, "municipality.name"),
        name_kana=reader.text(town, "municipality.name_kana", ""),
        name_en=reader.text(town, "municipality.name_en", ""),
        code=code,
        prefecture=reader.text(town, "municipality.prefecture"),
        office=reader.text(town, "municipality.office"),
        department=reader.text(town, "municipality.department"),
        mayor_title=reader.text(town, "municipality.mayor_title"),
        mayor_name=reader.text(town, "municipality.mayor_name"),
        seal_text=reader.text(town, "municipality.seal_text"),
        demo=demo,
        windows=MappingProxyType(windows),
        kinds=MappingProxyType(kinds),
        registration_window=registration_window,
        year_end_start=year_end_start,
        year_end_end=year_end_end,
        maintenance=maintenance,
        fiscal_years_offered=fiscal_years,
        new_fiscal_year_available=new_year,
        keys=keys,
        verification=verification,
        source=where,
    )


def _parse_windows(reader: _Reader, table: Mapping[str, Any]) -> dict[str, ServiceWindow]:
    windows: dict[str, ServiceWindow] = {}
    for window_id, spec in table.items():
        at = f"windows.{window_id}"
        if not isinstance(spec, dict):
            reader.fail(at, "must be a table")
        reader.no_unknown(spec, at, {"start", "end", "office_days_only"})
        start = reader.hour_minute(spec, f"{at}.start")
        end = reader.hour_minute(spec, f"{at}.end")
        if end <= start:
            reader.fail(at, "end must be after start (windows do not cross midnight)")
        office_only = spec.get("office_days_only", False)
        if not isinstance(office_only, bool):
            reader.fail(f"{at}.office_days_only", "must be true or false")
        windows[window_id] = ServiceWindow(window_id, start, end, office_only)
    if not windows:
        reader.fail("windows", "at least one service window is needed")
    return windows


def _parse_kinds(
    reader: _Reader, table: Mapping[str, Any], windows: Mapping[str, ServiceWindow]
) -> tuple[dict[Kind, KindRule], int, tuple[int, int]]:
    kinds: dict[Kind, KindRule] = {}
    fiscal_years, new_year = 5, NEW_FISCAL_YEAR_AVAILABLE
    for key, spec in table.items():
        at = f"kinds.{key}"
        try:
            kind = Kind(key)
        except ValueError:
            known = ", ".join(k.value for k in Kind)
            reader.fail(at, f"unknown kind {key!r} (known: {known})")
        if not isinstance(spec, dict):
            reader.fail(at, "must be a table")
        allowed_keys = {"fee", "window", "max_copies", "certification"}
        if kind is Kind.KAZEI:
            allowed_keys |= {"fiscal_years", "new_year_available"}
        reader.no_unknown(spec, at, allowed_keys)
        fee = reader.integer(spec, f"{at}.fee", minimum=0)
        max_copies = reader.integer(
            spec, f"{at}.max_copies", minimum=1, maximum=COPIES_CEILING, default=COPIES_CEILING
        )
        window = reader.text(spec, f"{at}.window")
        if window not in windows:
            reader.fail(f"{at}.window", f"unknown window {window!r}")
        sentences = spec.get("certification")
        if not isinstance(sentences, dict) or not sentences:
            reader.fail(f"{at}.certification", "needs at least one certification sentence")
        for variant, sentence in sentences.items():
            if not isinstance(sentence, str) or not sentence.strip():
                reader.fail(f"{at}.certification.{variant}", "must be a non-empty string")
        if kind is Kind.KAZEI:
            fiscal_years = reader.integer(spec, f"{at}.fiscal_years", minimum=1, default=5)
            new_year = reader.month_day(spec, f"{at}.new_year_available", "06-01")
        kinds[kind] = KindRule(kind, fee, window, max_copies, MappingProxyType(dict(sentences)))
    return kinds, fiscal_years, new_year


def _parse_maintenance(reader: _Reader, item: Any, at: str, code: str) -> MaintenanceWindow:
    if not isinstance(item, dict):
        reader.fail(at, "must be a table with start, end, note_ja, note_en")
    reader.no_unknown(item, at, {"start", "end", "note_ja", "note_en"})
    bounds: list[datetime] = []
    for key in ("start", "end"):
        value = item.get(key)
        if not isinstance(value, datetime):
            reader.fail(f"{at}.{key}", "must be a TOML date-time, e.g. 2026-01-18T00:00:00+09:00")
        # A date-time without an offset is Japan time, the only zone a rulebook speaks.
        bounds.append(value if value.tzinfo is not None else value.replace(tzinfo=JST))
    if bounds[1] <= bounds[0]:
        reader.fail(at, "end must be after start")
    return MaintenanceWindow(
        start=bounds[0],
        end=bounds[1],
        note_ja=reader.text(item, f"{at}.note_ja", ""),
        note_en=reader.text(item, f"{at}.note_en", ""),
        municipality_code=code,
    )


def _parse_verification(reader: _Reader, table: Any) -> Verification:
    if not isinstance(table, dict):
        reader.fail("verification", "must be a table")
    reader.no_unknown(table, "verification", {"verify_url", "verifiable_days"})
    url = reader.text(table, "verification.verify_url", DEMO_VERIFY_URL)
    if not url.startswith("https://") or len(url) <= len("https://") or any(c.isspace() for c in url):
        reader.fail("verification.verify_url", f"{url!r} must be an https address without spaces")
    days = reader.integer(table, "verification.verifiable_days", minimum=1, default=DEFAULT_VERIFIABLE_DAYS)
    return Verification(url=url, days=days)


def _parse_keys(reader: _Reader, table: Any, source: Path | None) -> SigningKeys | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        reader.fail("keys", "must be a table")
    reader.no_unknown(table, "keys", {"document_signing_key", "document_signing_cert"})
    base = source.parent if source is not None else Path.cwd()
    paths = [
        base / reader.text(table, f"keys.{key}") for key in ("document_signing_key", "document_signing_cert")
    ]
    return SigningKeys(key_path=paths[0], cert_path=paths[1])


def _check_production(reader: _Reader, code: str, keys: SigningKeys | None, source: Path | None) -> None:
    if source is not None:
        bundled_dir = bundled_path(DEFAULT_RULEBOOK).parent.resolve()
        if source.resolve().parent == bundled_dir:
            reader.fail(
                "demo", "a bundled demo rulebook cannot be used in production; copy it and set your keys"
            )
    if not 1 <= prefecture_number(code) <= 47:
        reader.fail("demo", f"{code} is a fictional municipality; it cannot be a production configuration")
    if keys is None:
        reader.fail(
            "keys",
            "a production rulebook (demo = false) must name its own keys: "
            "[keys] document_signing_key = ..., document_signing_cert = ...",
        )


class _Reader:
    """Typed access to TOML values; every error names the file and the dotted key."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, message: str) -> NoReturn:
        raise RulebookError(f"{self.where}: {key}: {message}" if key else f"{self.where}: {message}")

    def no_unknown(self, table: Mapping[str, Any], at: str, known: set[str]) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            self.fail(at or "(top level)", f"unknown key(s) {', '.join(unknown)}")

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            self.fail(key, "missing table")
        return value

    def array(self, data: Mapping[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "must be an array of tables")
        return value

    def text(self, data: Mapping[str, Any], dotted: str, default: str | None = None) -> str:
        value = data.get(dotted.rsplit(".", 1)[-1], default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.fail(dotted, "missing or not a non-empty string")
        return value

    def integer(
        self,
        data: Mapping[str, Any],
        dotted: str,
        *,
        minimum: int,
        maximum: int | None = None,
        default: int | None = None,
    ) -> int:
        value = data.get(dotted.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(dotted, f"must be an integer >= {minimum}")
        if maximum is not None and value > maximum:
            self.fail(dotted, f"must be at most {maximum}")
        return value

    def month_day(self, data: Mapping[str, Any], dotted: str, default: str) -> tuple[int, int]:
        value = data.get(dotted.rsplit(".", 1)[-1], default)
        match = _MONTH_DAY_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(dotted, f"must be MM-DD, got {value!r}")
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            self.fail(dotted, f"{value!r} is not a day of the year")
        return month, day

    def hour_minute(self, data: Mapping[str, Any], dotted: str) -> time:
        value = data.get(dotted.rsplit(".", 1)[-1])
        match = _HOUR_MINUTE_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(dotted, f"must be HH:MM, got {value!r}")
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            self.fail(dotted, f"{value!r} is not a time of day")
        return time(hour, minute)
