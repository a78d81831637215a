"""Service hours HRS-1..5, decided in Japan time whatever the zone of the input or the process."""

from __future__ import annotations

import dataclasses
import os
import time as systime
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import jpholiday
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.rules.calendar import JST, is_office_day
from kofu.rules.decision import Allowed, Refused
from kofu.rules.hours import (
    USAGE_REGISTRATION,
    active_maintenance,
    service_open,
    upcoming_maintenance,
)
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import MaintenanceWindow, Rulebook, load_rulebook
from kofu.rules.store_hours import every_day, is_open

OHIRA = load_rulebook("ohira")


def jst(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=JST)


def reason_of(decision: Allowed | Refused) -> Reason | None:
    return decision.reason if isinstance(decision, Refused) else None


# 2025-11-21 is a Friday office day; 2025-11-22 a Saturday; 2025-11-24 a substitute holiday (Monday).
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jst(2025, 11, 22, 6, 29, 59), Reason.CLOSED_HOURS),
        (jst(2025, 11, 22, 6, 30), None),
        (jst(2025, 11, 22, 22, 59, 59), None),
        (jst(2025, 11, 22, 23, 0), Reason.CLOSED_HOURS),
        (jst(2025, 11, 24, 3, 0), Reason.CLOSED_HOURS),
        (jst(2025, 11, 24, 20, 0), None),  # a holiday: HRS-1 is every day
    ],
)
def test_HRS_1_open_0630_to_2300_every_day(ohira: Rulebook, at: datetime, expected: Reason | None) -> None:
    assert reason_of(service_open(ohira, Kind.JUMINHYO, at)) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jst(2025, 11, 21, 8, 29, 59), Reason.OFFICE_HOURS_ONLY),
        (jst(2025, 11, 21, 8, 30), None),
        (jst(2025, 11, 21, 17, 14, 59), None),
        (jst(2025, 11, 21, 17, 15), Reason.OFFICE_HOURS_ONLY),
        (jst(2025, 11, 22, 10, 0), Reason.OFFICE_HOURS_ONLY),  # Saturday
        (jst(2025, 11, 24, 10, 0), Reason.OFFICE_HOURS_ONLY),  # weekday national holiday
        (jst(2025, 11, 25, 10, 0), None),  # the Tuesday after
    ],
)
def test_HRS_2_koseki_only_on_office_days_0830_to_1715(
    ohira: Rulebook, at: datetime, expected: Reason | None
) -> None:
    assert reason_of(service_open(ohira, Kind.KOSEKI, at)) == expected
    assert reason_of(service_open(ohira, Kind.FUHYO, at)) == expected


@pytest.mark.parametrize(
    "at",
    [
        jst(2025, 11, 22, 10, 0),  # Saturday
        jst(2025, 11, 24, 10, 0),  # weekday national holiday
        jst(2025, 11, 25, 6, 30),  # an office day, before 08:30
        jst(2025, 11, 25, 22, 59),  # an office day, after 17:15
    ],
)
def test_HRS_1_HRS_2_usage_registration_filed_whenever_the_service_is_open(
    ohira: Rulebook, at: datetime
) -> None:
    """REG-1 is not limited by HRS-2: the registration may be filed whenever HRS-1 is open."""
    closing = at.replace(hour=23, minute=0)
    assert reason_of(service_open(ohira, USAGE_REGISTRATION, at)) is None
    assert reason_of(service_open(ohira, USAGE_REGISTRATION, closing)) == Reason.CLOSED_HOURS


def test_HRS_2_holiday_on_weekday_closes_koseki_but_not_juminhyo(ohira: Rulebook) -> None:
    at = jst(2025, 11, 24, 10, 0)
    assert at.weekday() == 0 and not is_office_day(at.date())
    assert reason_of(service_open(ohira, Kind.KOSEKI, at)) == Reason.OFFICE_HOURS_ONLY
    assert reason_of(service_open(ohira, Kind.JUMINHYO, at)) is None


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jst(2025, 12, 28, 22, 59), None),
        (jst(2025, 12, 29, 12, 0), Reason.YEAR_END_CLOSURE),
        (jst(2026, 1, 1, 12, 0), Reason.YEAR_END_CLOSURE),
        (jst(2026, 1, 3, 22, 59), Reason.YEAR_END_CLOSURE),
        (jst(2026, 1, 4, 6, 30), None),
        # 2025-12-28 23:30 UTC is 2025-12-29 08:30 JST: the Japan date decides.
        (datetime(2025, 12, 28, 23, 30, tzinfo=UTC), Reason.YEAR_END_CLOSURE),
        (datetime(2026, 1, 3, 21, 30, tzinfo=UTC), None),  # 2026-01-04 06:30 JST
    ],
)
def test_HRS_3_year_end_closure_edges(ohira: Rulebook, at: datetime, expected: Reason | None) -> None:
    for kind in Kind:
        got = reason_of(service_open(ohira, kind, at))
        if kind.is_family_register and expected is None:
            continue  # the edge days are weekends here; HRS-2 is tested above
        assert got == expected, kind


@pytest.mark.parametrize(
    ("hours", "at", "open_"),
    [
        (("00:00", "24:00"), jst(2025, 11, 22, 6, 30), True),
        (("07:00", "23:00"), jst(2025, 11, 22, 6, 59), False),
        (("07:00", "23:00"), jst(2025, 11, 22, 7, 0), True),
        (("07:00", "02:00"), jst(2025, 11, 22, 22, 30), True),
        (("09:00", "21:00"), jst(2025, 11, 22, 21, 0), False),
    ],
)
def test_HRS_4_store_hours(ohira: Rulebook, hours: tuple[str, str], at: datetime, open_: bool) -> None:
    decision = service_open(ohira, Kind.JUMINHYO, at, store_hours=every_day(*hours))
    assert reason_of(decision) == (None if open_ else Reason.STORE_CLOSED)


def test_HRS_4_store_closed_weekday(ohira: Rulebook) -> None:
    sunday_closed = every_day("00:00", "24:00", closed_weekdays=[6])
    assert reason_of(service_open(ohira, Kind.JUMINHYO, jst(2025, 11, 23), store_hours=sunday_closed)) == (
        Reason.STORE_CLOSED
    )
    assert reason_of(service_open(ohira, Kind.JUMINHYO, jst(2025, 11, 22), store_hours=sunday_closed)) is None


@pytest.mark.parametrize(
    ("hours", "at", "open_"),
    [
        (("22:00", "06:00"), jst(2025, 11, 22, 5, 59, 59), True),
        (("22:00", "06:00"), jst(2025, 11, 22, 6, 0), False),
        (("22:00", "06:00"), jst(2025, 11, 22, 21, 59, 59), False),
        (("22:00", "06:00"), jst(2025, 11, 22, 22, 0), True),
        (("00:00", "24:00"), jst(2025, 11, 22, 3, 0), True),
        (("08:00", "24:00"), jst(2025, 11, 22, 23, 59, 59), True),
        (("08:00", "24:00"), jst(2025, 11, 22, 0, 0), False),
    ],
)
def test_HRS_4_store_hours_edges(hours: tuple[str, str], at: datetime, open_: bool) -> None:
    assert is_open(every_day(*hours), at) is open_
    assert is_open(every_day(*hours), at.astimezone(UTC)) is open_


@pytest.mark.parametrize(
    ("opens", "closes", "closed"),
    [
        ("", "23:00", ()),
        ("7:00", "23:00", ()),
        ("25:00", "02:00", ()),
        ("08:00", "24:30", ()),
        ("24:00", "01:00", ()),
        ("08:00", "20:00", (7,)),
    ],
)
def test_HRS_4_bad_store_hours_rejected(opens: str, closes: str, closed: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        every_day(opens, closes, closed)


@settings(deadline=None)
@given(st.times())
def test_HRS_4_overnight_store_hours_property(t: clock) -> None:
    store = every_day("22:00", "06:00")
    at = datetime.combine(date(2025, 11, 22), t, tzinfo=JST)
    assert is_open(store, at) == (t >= clock(22, 0) or t < clock(6, 0))


def test_HRS_5_rulebook_maintenance_window(ohira: Rulebook) -> None:
    window = ohira.maintenance[0]
    assert reason_of(service_open(ohira, Kind.JUMINHYO, window.start)) == Reason.MAINTENANCE
    assert reason_of(service_open(ohira, Kind.JUMINHYO, window.end - timedelta(seconds=1))) == (
        Reason.MAINTENANCE
    )
    assert reason_of(service_open(ohira, Kind.JUMINHYO, window.end)) != Reason.MAINTENANCE
    assert reason_of(service_open(ohira, Kind.JUMINHYO, window.start - timedelta(seconds=1))) != (
        Reason.MAINTENANCE
    )


def test_HRS_5_center_maintenance_applies_to_its_scope(ohira: Rulebook, kitayama: Rulebook) -> None:
    at = jst(2025, 11, 22, 12, 0)
    everyone = MaintenanceWindow(at - timedelta(hours=1), at + timedelta(hours=1), "全体", "all")
    only_kitayama = MaintenanceWindow(
        at - timedelta(hours=1), at + timedelta(hours=1), "北山", "k", municipality_code=kitayama.code
    )
    assert reason_of(service_open(ohira, Kind.JUMINHYO, at, maintenance=[everyone])) == Reason.MAINTENANCE
    assert reason_of(service_open(ohira, Kind.JUMINHYO, at, maintenance=[only_kitayama])) is None
    assert reason_of(service_open(kitayama, Kind.JUMINHYO, at, maintenance=[only_kitayama])) == (
        Reason.MAINTENANCE
    )
    assert active_maintenance(ohira, at, [only_kitayama]) is None


def test_HRS_5_upcoming_maintenance_is_announced(ohira: Rulebook) -> None:
    window = ohira.maintenance[0]
    before = window.start - timedelta(days=3)
    assert window in upcoming_maintenance(ohira, before)
    assert window not in upcoming_maintenance(ohira, window.end)


def test_HRS_5_municipality_down_closes_only_that_municipality(ohira: Rulebook, kitayama: Rulebook) -> None:
    at = jst(2025, 11, 22, 12, 0)
    up = {ohira.code: False, kitayama.code: True}
    assert reason_of(service_open(ohira, Kind.JUMINHYO, at, municipality_up=up[ohira.code])) == (
        Reason.MUNICIPALITY_UNAVAILABLE
    )
    assert reason_of(service_open(kitayama, Kind.JUMINHYO, at, municipality_up=up[kitayama.code])) is None


def test_HRS_5_maintenance_window_needs_aware_ordered_times() -> None:
    with pytest.raises(ValueError):
        MaintenanceWindow(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        MaintenanceWindow(jst(2026, 1, 2), jst(2026, 1, 1))


def test_kind_not_offered(kitayama: Rulebook) -> None:
    assert reason_of(service_open(kitayama, Kind.INKAN, jst(2025, 11, 21))) == Reason.KIND_NOT_OFFERED


def test_HRS_naive_datetime_rejected(ohira: Rulebook) -> None:
    with pytest.raises(ValueError, match="naive"):
        service_open(ohira, Kind.JUMINHYO, datetime(2025, 11, 21, 12, 0))


INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
ZONES = [UTC, JST, ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata")]


@settings(max_examples=300, deadline=None)
@given(INSTANTS)
def test_HRS_1_HRS_2_HRS_3_property(instant: datetime) -> None:
    """HRS-1/2/3 restated independently: open iff the Japan date/time falls in the window."""
    ohira = OHIRA
    local = instant + timedelta(hours=9)  # Japan has no DST: UTC+9 always
    day, t = local.date(), local.time()
    year_end = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
    in_maintenance = any(w.start <= instant < w.end for w in ohira.maintenance)
    hrs1 = clock(6, 30) <= t < clock(23, 0)
    hrs2 = clock(8, 30) <= t < clock(17, 15) and is_office_day(day)
    for kind, inside in ((Kind.JUMINHYO, hrs1), (Kind.KOSEKI, hrs2), (Kind.FUHYO, hrs2)):
        expected = not year_end and not in_maintenance and inside
        assert service_open(ohira, kind, instant).ok == expected


@settings(max_examples=200, deadline=None)
@given(INSTANTS, st.sampled_from(list(Kind)))
def test_HRS_decisions_identical_whatever_the_input_zone(instant: datetime, kind: Kind) -> None:
    ohira = OHIRA
    answers = {service_open(ohira, kind, instant.astimezone(zone)) for zone in ZONES}
    assert len(answers) == 1


@pytest.fixture
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    systime.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        systime.tzset()


SAMPLE = [datetime(2025, 11, 21, 0, 0, tzinfo=UTC) + timedelta(minutes=37 * i) for i in range(400)] + [
    datetime(2025, 12, 28, 14, 59, 59, tzinfo=UTC),
    datetime(2025, 12, 28, 15, 0, tzinfo=UTC),
    datetime(2026, 1, 3, 21, 29, 59, tzinfo=UTC),
    datetime(2026, 1, 3, 21, 30, tzinfo=UTC),
]


def _decisions(ohira: Rulebook) -> list[tuple[bool, str]]:
    out = []
    for instant in SAMPLE:
        for kind in (Kind.JUMINHYO, Kind.KOSEKI):
            decision = service_open(ohira, kind, instant)
            out.append((decision.ok, getattr(decision, "code", "")))
    return out


BASELINE_TZ = "Asia/Tokyo"


@pytest.mark.parametrize("process_tz", ["UTC", "America/Los_Angeles", "Pacific/Chatham"], indirect=True)
def test_HRS_results_do_not_depend_on_process_timezone(ohira: Rulebook, process_tz: str) -> None:
    here = _decisions(ohira)
    os.environ["TZ"] = BASELINE_TZ
    systime.tzset()
    assert systime.strftime("%Z") in ("JST",)
    assert _decisions(ohira) == here


WEEKDAY_HOLIDAYS = sorted(
    day
    for year in range(2020, 2031)
    for day, _name in jpholiday.year_holidays(year)
    if day.weekday() < 5 and not (day.month == 1 and day.day <= 3)
)


@settings(deadline=None)
@given(
    st.sampled_from(WEEKDAY_HOLIDAYS),
    st.times(min_value=clock(8, 30), max_value=clock(17, 14, 59, 999999)),
)
def test_HRS_2_property_weekday_holiday_inside_the_window(day: date, t: clock) -> None:
    """A national holiday on a weekday, at an HRS-2 hour: koseki refused, juminhyo (HRS-1) open."""
    at = datetime.combine(day, t, tzinfo=JST)
    assert reason_of(service_open(OHIRA, Kind.KOSEKI, at)) == Reason.OFFICE_HOURS_ONLY
    assert reason_of(service_open(OHIRA, Kind.FUHYO, at)) == Reason.OFFICE_HOURS_ONLY
    if not any(w.covers(at) for w in OHIRA.maintenance):
        assert reason_of(service_open(OHIRA, Kind.JUMINHYO, at)) is None
        assert reason_of(service_open(OHIRA, USAGE_REGISTRATION, at)) is None
    the_day_before_at_same_time = at - timedelta(days=1)
    if is_office_day(the_day_before_at_same_time.date()):
        assert reason_of(service_open(OHIRA, Kind.KOSEKI, the_day_before_at_same_time)) is None


@settings(max_examples=200, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    under_maintenance=st.booleans(),
    up=st.booleans(),
)
def test_HRS_4_HRS_5_the_centers_gate_agrees_with_service_open(
    at: datetime, under_maintenance: bool, up: bool
) -> None:
    """HRS-4, HRS-5: where the kind's own window is open, `check_gate` refuses exactly as `service_open`."""
    from kofu.rules.hours import check_gate

    store = every_day("07:00", "23:00")
    windows = (MaintenanceWindow(at - timedelta(hours=1), at + timedelta(hours=1), "保守", "m"),)
    decided = service_open(
        dataclasses.replace(OHIRA, maintenance=()),  # only the windows given here
        Kind.JUMINHYO,
        at,
        store_hours=store,
        maintenance=windows if under_maintenance else (),
        municipality_up=up,
    )
    gate = check_gate(at, store_hours=store, under_maintenance=under_maintenance, municipality_up=up)
    if isinstance(decided, Allowed) or decided.reason in (
        Reason.MAINTENANCE,
        Reason.MUNICIPALITY_UNAVAILABLE,
        Reason.STORE_CLOSED,
    ):
        assert gate == (None if isinstance(decided, Allowed) else decided.reason)
