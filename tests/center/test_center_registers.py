"""The center's registers: terminals (STR-1, HRS-4), municipalities, maintenance (HRS-5), the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from center_helpers import KITAYAMA, NOON, OHIRA, Kiosk, digest, key
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import orders, registers
from kofu.center.orders import Receipt
from kofu.center.registers import Access, MunicipalityStatus, TerminalStatus
from kofu.db import transaction
from kofu.rules.decision import Refused
from kofu.rules.hours import service_open
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import load_rulebook
from kofu.rules.store_hours import ALWAYS_OPEN, DayHours, dump_hours, is_open, parse_hours

Factory = sessionmaker[Session]


def jst(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """An instant given in JST, as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=9)


# Mon–Fri 07:00–23:00, Saturday 07:00–02:00 (past midnight), closed on Sunday.
STORE = parse_hours([["07:00", "23:00"]] * 5 + [["07:00", "02:00"], None])


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (jst(2026, 4, 1, 6, 59), False),  # Wednesday before opening
        (jst(2026, 4, 1, 7, 0), True),
        (jst(2026, 4, 1, 22, 59), True),
        (jst(2026, 4, 1, 23, 0), False),
        (jst(2026, 4, 4, 23, 30), True),  # Saturday night
        (jst(2026, 4, 5, 1, 59), True),  # Sunday early: Saturday's hours run on
        (jst(2026, 4, 5, 2, 0), False),
        (jst(2026, 4, 5, 12, 0), False),  # Sunday closed
        (jst(2026, 4, 6, 0, 30), False),  # Monday early: Sunday was closed
    ],
)
def test_hrs4_store_hours_in_jst(when: datetime, open_: bool) -> None:
    """HRS-4: each store's own weekly hours, judged in Japan time, past midnight included."""
    assert is_open(STORE, when) is open_


def test_hrs4_always_open_and_round_trip() -> None:
    """HRS-4: most stores are open 24 h; hours survive their stored form."""
    assert all(is_open(ALWAYS_OPEN, jst(2026, 4, d, h)) for d in range(1, 8) for h in range(24))
    assert parse_hours(dump_hours(STORE)) == STORE
    assert STORE[5] == DayHours(7 * 60, 2 * 60)


@pytest.mark.parametrize(
    "raw",
    [[["07:00", "23:00"]] * 6, [["7:00", "23:00"]] * 7, [["07:00", "25:00"]] * 7, [["24:00", "01:00"]] * 7],
)
def test_hrs4_malformed_hours_are_refused(raw: list[list[str]]) -> None:
    with pytest.raises(ValueError):
        parse_hours(raw)


def quote_at(
    center: Factory, now: datetime, terminal_id: str = "T-SEJ-0001", code: str = OHIRA
) -> Receipt | Refused:
    return orders.quote(
        center,
        session_id="s1",
        terminal_id=terminal_id,
        municipality_code=code,
        kind=Kind.JUMINHYO,
        copies=1,
        unit_fee=200,
        requester_cert_digest=digest("s1"),
        request_key=key(),
        now=now,
    )


def _add_night_store(s: Session) -> None:
    """A terminal in a store with hours (`STORE`: closed on Sundays), T-MIN-0003."""
    registers.add_terminal(
        s, terminal_id="T-MIN-0003", chain="ministop", store_code="M3", store_name="店", hours=STORE, now=NOON
    )


def test_hrs4_quote_refused_when_store_closed(center: Factory) -> None:
    """HRS-4: a terminal's order is refused outside its store's hours, accepted inside them."""
    with transaction(center) as s:
        _add_night_store(s)
    assert quote_at(center, jst(2026, 4, 5, 12), "T-MIN-0003") == Refused(Reason.STORE_CLOSED)
    assert isinstance(quote_at(center, jst(2026, 4, 5, 1), "T-MIN-0003"), Receipt)
    # The 24-hour store next door is open at the same instant.
    assert isinstance(quote_at(center, jst(2026, 4, 5, 12)), Receipt)


def test_str1_unknown_and_revoked_terminals_are_refused(center: Factory) -> None:
    """STR-1: only registered, active terminals with the registered certificate may order."""
    assert quote_at(center, NOON, "T-XXX-9999") == Refused(Reason.TERMINAL_UNKNOWN)
    with transaction(center) as s:
        assert registers.revoke_terminal(s, "T-LAW-0002", now=NOON)
        assert not registers.revoke_terminal(s, "T-NOPE", now=NOON)
    assert quote_at(center, NOON, "T-LAW-0002") == Refused(Reason.TERMINAL_UNKNOWN)
    assert isinstance(quote_at(center, NOON), Receipt)
    with transaction(center) as s:
        registers.add_terminal(
            s,
            terminal_id="T-FM-0004",
            chain="familymart",
            store_code="F4",
            store_name="店",
            cert_serial=0xABC,
            now=NOON,
        )
        assert isinstance(registers.authorise_terminal(s, "T-FM-0004", 0xABC), registers.TerminalInfo)
        assert isinstance(registers.authorise_terminal(s, "T-FM-0004", "0ABC"), registers.TerminalInfo)
        assert registers.authorise_terminal(s, "T-FM-0004", 0xABD) == Refused(Reason.TERMINAL_UNKNOWN)
        assert registers.authorise_terminal(s, "T-FM-0004", "zz") == Refused(Reason.TERMINAL_UNKNOWN)
        info = registers.terminal_info(s, "T-LAW-0002")
        assert info is not None and info.status is TerminalStatus.REVOKED
        assert [t.terminal_id for t in registers.list_terminals(s)] == [
            "T-FM-0004",
            "T-LAW-0002",
            "T-SEJ-0001",
        ]


def test_hrs5_a_down_municipality_closes_only_itself(center: Factory) -> None:
    """HRS-5: one municipality's server down closes that municipality only."""
    with transaction(center) as s:
        assert registers.set_municipality_status(s, KITAYAMA, MunicipalityStatus.DOWN, now=NOON)
    assert quote_at(center, NOON, code=KITAYAMA) == Refused(Reason.MUNICIPALITY_UNAVAILABLE)
    assert isinstance(quote_at(center, NOON, code=OHIRA), Receipt)
    assert quote_at(center, NOON, code="000000") == Refused(Reason.MUNICIPALITY_UNKNOWN)
    with transaction(center) as s:
        registers.set_municipality_status(s, KITAYAMA, MunicipalityStatus.UP, now=NOON)
        routed = registers.route(s, KITAYAMA, now=NOON)
        assert isinstance(routed, registers.MunicipalityInfo) and routed.base_url == "https://127.0.0.1:9002"
        assert [m.code for m in registers.list_municipalities(s)] == [OHIRA, KITAYAMA]


def test_hrs5_maintenance_windows_close_and_are_announced(center: Factory) -> None:
    """HRS-5: maintenance is data: announced ahead, closes its scope while active, then reopens."""
    start, end = NOON + timedelta(hours=1), NOON + timedelta(hours=3)
    with transaction(center) as s:
        registers.add_maintenance(
            s,
            starts_at=start,
            ends_at=end,
            notice_ja="定期保守のため停止します",
            notice_en="Planned maintenance",
        )
        registers.add_maintenance(
            s,
            starts_at=NOON - timedelta(minutes=1),
            ends_at=NOON + timedelta(minutes=30),
            notice_ja="北山村のシステム保守",
            notice_en="Kitayama maintenance",
            municipality_code=KITAYAMA,
        )
        with pytest.raises(ValueError):
            registers.add_maintenance(s, starts_at=end, ends_at=start, notice_ja="x", notice_en="x")
    with center() as s:
        shown = registers.notices(s, NOON)
        assert [(n.en, n.active(NOON)) for n in shown] == [
            ("Kitayama maintenance", True),
            ("Planned maintenance", False),
        ]
        assert [n.en for n in registers.notices(s, NOON, municipality_codes=(OHIRA,))] == [
            "Planned maintenance"
        ]
        assert registers.notices(s, end) == []
        # The rules' own hours check takes the center's published windows as they are.
        rule_window = shown[0].as_rule_window()
        assert rule_window.covers(NOON) and rule_window.municipality_code == KITAYAMA
    # The municipality's own window closes only that municipality.
    assert quote_at(center, NOON, code=KITAYAMA) == Refused(Reason.MAINTENANCE)
    assert isinstance(quote_at(center, NOON, code=OHIRA), Receipt)
    # The global window closes everything while active.
    during = start + timedelta(minutes=1)
    assert quote_at(center, during, code=OHIRA) == Refused(Reason.MAINTENANCE)
    assert isinstance(quote_at(center, end, code=OHIRA), Receipt)
    assert isinstance(quote_at(center, end, code=KITAYAMA), Receipt)


def test_check_access_names_terminal_and_municipality(sqlite_center: Factory) -> None:
    with sqlite_center() as s:
        access = registers.check_access(s, terminal_id="T-SEJ-0001", municipality_code=OHIRA, now=NOON)
    assert isinstance(access, Access)
    assert (access.terminal.chain, access.municipality.name_ja) == ("seven_eleven", "大衡村")


def test_str1_re_registration_reactivates(center: Factory) -> None:
    """STR-1: a revoked terminal is back only when registered again (with its new certificate)."""
    with transaction(center) as s:
        registers.revoke_terminal(s, "T-SEJ-0001", now=NOON)
    assert quote_at(center, NOON) == Refused(Reason.TERMINAL_UNKNOWN)
    with transaction(center) as s:
        registers.add_terminal(
            s,
            terminal_id="T-SEJ-0001",
            chain="seven_eleven",
            store_code="S001",
            store_name="大衡店",
            cert_serial=7,
            now=NOON,
        )
    assert isinstance(Kiosk(center).issue(), Receipt)


@pytest.mark.parametrize("scope", ["service", "municipality"])
@pytest.mark.parametrize("down", [False, True])
def test_hrs4_hrs5_the_center_gives_the_reason_the_rules_give(
    center: Factory, scope: str, down: bool
) -> None:
    """HRS-4, HRS-5: a closed store under maintenance (its municipality down or not) is refused for the
    reason `rules.hours.service_open` gives for the same store hours, windows and municipality."""
    sunday_noon = jst(2026, 4, 5, 12)  # the store is closed, Ohira's HRS-1 window is open
    code = None if scope == "service" else OHIRA
    with transaction(center) as s:
        _add_night_store(s)
        notice = registers.add_maintenance(
            s,
            starts_at=sunday_noon - timedelta(hours=1),
            ends_at=sunday_noon + timedelta(hours=1),
            notice_ja="保守",
            notice_en="Maintenance",
            municipality_code=code,
        )
        if down:
            registers.set_municipality_status(s, OHIRA, MunicipalityStatus.DOWN, now=NOON)
    expected = service_open(
        load_rulebook("ohira"),
        Kind.JUMINHYO,
        sunday_noon,
        store_hours=STORE,
        maintenance=(notice.as_rule_window(),),
        municipality_up=not down,
    )
    assert isinstance(expected, Refused)
    assert quote_at(center, sunday_noon, "T-MIN-0003") == expected
