"""The center's registers: kiosk terminals (STR-1, HRS-4), municipalities, and maintenance windows (HRS-5).

Functions take an open SQLAlchemy `Session` (use `kofu.db.transaction(factory)` around them); refusals
are values. `check_access` is the one gate an order passes before it is quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from kofu.center.models import MaintenanceWindow, Municipality, Terminal
from kofu.db import table_of
from kofu.rules import hours as service_hours
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import MaintenanceWindow as RuleMaintenanceWindow
from kofu.rules.store_hours import ALWAYS_OPEN, WeeklyHours, dump_hours, is_open, parse_hours


class TerminalStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class MunicipalityStatus(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class TerminalInfo:
    """A registered kiosk terminal as the rest of the center sees it."""

    terminal_id: str
    chain: str
    store_code: str
    store_name: str
    hours: WeeklyHours
    cert_serial: str | None
    status: TerminalStatus

    def is_open(self, now: datetime) -> bool:
        """HRS-4: the store's own hours, in JST."""
        return is_open(self.hours, now)


@dataclass(frozen=True)
class MunicipalityInfo:
    """Where one municipality's server is, and whether it answers."""

    code: str
    name_ja: str
    name_en: str
    base_url: str
    status: MunicipalityStatus


@dataclass(frozen=True)
class Notice:
    """HRS-5: one maintenance window as the kiosk idle screen shows it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    municipality_code: str | None  # None: the whole service
    ja: str
    en: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def as_rule_window(self) -> RuleMaintenanceWindow:
        """The same window as `kofu.rules.hours.service_open` takes it (its `maintenance=` argument)."""
        return RuleMaintenanceWindow(self.starts_at, self.ends_at, self.ja, self.en, self.municipality_code)


def _terminal_info(row: Terminal | Row[*tuple[Any, ...]]) -> TerminalInfo:
    return TerminalInfo(
        terminal_id=row.terminal_id,
        chain=row.chain,
        store_code=row.store_code,
        store_name=row.store_name,
        hours=parse_hours(row.hours),
        cert_serial=row.cert_serial,
        status=TerminalStatus(row.status),
    )


def _municipality_info(row: Municipality | Row[*tuple[Any, ...]]) -> MunicipalityInfo:
    return MunicipalityInfo(row.code, row.name_ja, row.name_en, row.base_url, MunicipalityStatus(row.status))


def _notice(row: MaintenanceWindow) -> Notice:
    return Notice(row.id, row.starts_at, row.ends_at, row.municipality_code, row.notice_ja, row.notice_en)


# --- terminals (STR-1, HRS-4) -------------------------------------------------------------------------


def serial_hex(serial: int | str) -> str:
    """A certificate serial in its one stored form: lowercase hex without leading zeros."""
    value = serial if isinstance(serial, int) else int(serial, 16)
    if value < 0:
        raise ValueError("a certificate serial is not negative")
    return format(value, "x")


def add_terminal(
    session: Session,
    *,
    terminal_id: str,
    chain: str,
    store_code: str,
    store_name: str,
    now: datetime,
    hours: WeeklyHours = ALWAYS_OPEN,
    cert_serial: int | str | None = None,
) -> TerminalInfo:
    """Register a terminal (or re-register it with a new certificate); it becomes active."""
    serial = None if cert_serial is None else serial_hex(cert_serial)
    row = session.get(Terminal, terminal_id)
    if row is None:
        row = Terminal(terminal_id=terminal_id, registered_at=now)
        session.add(row)
    row.chain, row.store_code, row.store_name = chain, store_code, store_name
    row.hours = dump_hours(hours)
    row.cert_serial = serial
    row.status = TerminalStatus.ACTIVE.value
    row.revoked_at = None
    session.flush()
    return _terminal_info(row)


def revoke_terminal(session: Session, terminal_id: str, *, now: datetime) -> bool:
    """Stop a terminal at the center (revoke its network certificate too: `kofu.netpki`); False if unknown."""
    row = session.get(Terminal, terminal_id)
    if row is None:
        return False
    row.status = TerminalStatus.REVOKED.value
    row.revoked_at = now
    session.flush()
    return True


_TERMINALS = table_of(Terminal).c


_TERMINAL = select(
    _TERMINALS.terminal_id,
    _TERMINALS.chain,
    _TERMINALS.store_code,
    _TERMINALS.store_name,
    _TERMINALS.hours,
    _TERMINALS.cert_serial,
    _TERMINALS.status,
).where(_TERMINALS.terminal_id == bindparam("terminal_id"))  # built once: read at every session and order


def terminal_info(session: Session, terminal_id: str) -> TerminalInfo | None:
    """The register's entry for a terminal, or None (plain columns: read at every session and order)."""
    row = session.execute(_TERMINAL, {"terminal_id": terminal_id}).first()
    return None if row is None else _terminal_info(row)


def list_terminals(session: Session) -> list[TerminalInfo]:
    return [_terminal_info(r) for r in session.scalars(select(Terminal).order_by(Terminal.terminal_id))]


def authorise_terminal(
    session: Session, terminal_id: str, cert_serial: int | str | None = None
) -> TerminalInfo | Refused:
    """STR-1: a registered, active terminal presenting the certificate the register knows for it."""
    info = terminal_info(session, terminal_id)
    if info is None or info.status is not TerminalStatus.ACTIVE:
        return Refused(Reason.TERMINAL_UNKNOWN)
    if cert_serial is not None and info.cert_serial is not None:
        try:
            presented = serial_hex(cert_serial)
        except ValueError:
            return Refused(Reason.TERMINAL_UNKNOWN)
        if presented != info.cert_serial:
            return Refused(Reason.TERMINAL_UNKNOWN)
    return info


# --- municipalities ------------------------------------------------------------------------------------


def add_municipality(
    session: Session, *, code: str, name_ja: str, name_en: str, base_url: str, now: datetime
) -> MunicipalityInfo:
    """Register (or update) a municipality's server; it starts up."""
    row = session.get(Municipality, code)
    if row is None:
        row = Municipality(code=code, status=MunicipalityStatus.UP.value)
        session.add(row)
    row.name_ja, row.name_en, row.base_url, row.changed_at = name_ja, name_en, base_url, now
    session.flush()
    return _municipality_info(row)


def set_municipality_status(
    session: Session, code: str, status: MunicipalityStatus, *, now: datetime
) -> bool:
    """Mark a municipality's server down or up again; False if the code is unknown."""
    row = session.get(Municipality, code)
    if row is None:
        return False
    row.status, row.changed_at = status.value, now
    session.flush()
    return True


_MUNICIPALITIES = table_of(Municipality).c
_WINDOWS = table_of(MaintenanceWindow).c
# what `_municipality_info` reads; plain Core statements built once (every authentication lists the
# municipalities, every order step routes), their values bound at each call
_MUNICIPALITY_COLUMNS = (
    _MUNICIPALITIES.code,
    _MUNICIPALITIES.name_ja,
    _MUNICIPALITIES.name_en,
    _MUNICIPALITIES.base_url,
    _MUNICIPALITIES.status,
)
_ALL_MUNICIPALITIES = select(*_MUNICIPALITY_COLUMNS).order_by(_MUNICIPALITIES.code)
_IN_FORCE = and_(_WINDOWS.starts_at <= bindparam("now"), _WINDOWS.ends_at > bindparam("now"))
_MUNICIPALITY_NOW = select(
    *_MUNICIPALITY_COLUMNS,
    exists().where(_WINDOWS.municipality_code == bindparam("code"), _IN_FORCE).label("own_window"),
    exists().where(_WINDOWS.municipality_code.is_(None), _IN_FORCE).label("service_window"),
).where(_MUNICIPALITIES.code == bindparam("code"))


def list_municipalities(session: Session) -> list[MunicipalityInfo]:
    return [_municipality_info(r) for r in session.execute(_ALL_MUNICIPALITIES)]


def route(session: Session, code: str, *, now: datetime) -> MunicipalityInfo | Refused:
    """HRS-5: the server for `code`, unless unknown, down or under maintenance (only that one closes)."""
    return _routed(_municipality_now(session, code, now))


def _municipality_now(session: Session, code: str, now: datetime) -> Row[*tuple[Any, ...]] | None:
    """The municipality's row with whether a window of its own, or of the whole service, is in force.

    One statement of plain columns: every order step routes, and ORM objects are not needed to read.
    """
    return session.execute(_MUNICIPALITY_NOW, {"code": code, "now": now}).first()


def _routed(row: Row[*tuple[Any, ...]] | None) -> MunicipalityInfo | Refused:
    if row is None:
        return Refused(Reason.MUNICIPALITY_UNKNOWN)
    up = row.status == MunicipalityStatus.UP.value
    closed = service_hours.check_closure(under_maintenance=bool(row.own_window), municipality_up=up)  # HRS-5
    return _municipality_info(row) if closed is None else Refused(closed)


# --- maintenance calendar (HRS-5) ----------------------------------------------------------------------


def add_maintenance(
    session: Session,
    *,
    starts_at: datetime,
    ends_at: datetime,
    notice_ja: str,
    notice_en: str,
    municipality_code: str | None = None,
) -> Notice:
    """Announce a maintenance window, for the whole service or one municipality."""
    if ends_at <= starts_at:
        raise ValueError("a maintenance window must end after it starts")
    row = MaintenanceWindow(
        starts_at=starts_at,
        ends_at=ends_at,
        municipality_code=municipality_code,
        notice_ja=notice_ja,
        notice_en=notice_en,
    )
    session.add(row)
    session.flush()
    return _notice(row)


def active_maintenance(
    session: Session, now: datetime, *, municipality_code: str | None = None
) -> list[Notice]:
    """Windows in force at `now` for the whole service or (when given) for one municipality only."""
    scope = (
        MaintenanceWindow.municipality_code.is_(None)
        if municipality_code is None
        else MaintenanceWindow.municipality_code == municipality_code
    )
    query = select(MaintenanceWindow).where(
        scope, MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now
    )
    return [_notice(r) for r in session.scalars(query.order_by(MaintenanceWindow.starts_at))]


def notices(
    session: Session,
    now: datetime,
    *,
    horizon: timedelta = timedelta(days=14),
    municipality_codes: tuple[str, ...] | None = None,
) -> list[Notice]:
    """HRS-5: current and upcoming windows (within `horizon`) for the kiosk idle screen and the API."""
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.ends_at > now, MaintenanceWindow.starts_at <= now + horizon
    )
    if municipality_codes is not None:
        query = query.where(
            or_(
                MaintenanceWindow.municipality_code.is_(None),
                MaintenanceWindow.municipality_code.in_(municipality_codes),
            )
        )
    return [_notice(r) for r in session.scalars(query.order_by(MaintenanceWindow.starts_at))]


# --- the gate before an order --------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Where an order may go: from this terminal to this municipality, now."""

    terminal: TerminalInfo
    municipality: MunicipalityInfo


def check_access(
    session: Session, *, terminal_id: str, municipality_code: str, now: datetime
) -> Access | Refused:
    """STR-1, HRS-4, HRS-5: a registered terminal, its store open, no maintenance, the municipality up."""
    terminal = authorise_terminal(session, terminal_id)
    if isinstance(terminal, Refused):
        return terminal
    row = _municipality_now(session, municipality_code, now)
    if row is None:  # unknown: only the service-wide windows can be in force for it
        under_maintenance, up = bool(active_maintenance(session, now)), True
    else:
        under_maintenance = bool(row.service_window or row.own_window)
        up = row.status == MunicipalityStatus.UP.value
    closed = service_hours.check_gate(
        now, store_hours=terminal.hours, under_maintenance=under_maintenance, municipality_up=up
    )
    if closed is not None:
        return Refused(closed)
    municipality = _routed(row)
    if isinstance(municipality, Refused):
        return municipality
    return Access(terminal, municipality)
