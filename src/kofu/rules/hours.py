"""When the service is open (HRS-1..5), decided in Japan time whatever the server's zone.

Checks, in order: kind offered, year-end closure (HRS-3), maintenance (HRS-5), municipality down
(HRS-5), the kind's window (HRS-1, or HRS-2 on office days only), the store's own hours (HRS-4).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal

from kofu.rules.calendar import is_office_day, is_year_end, to_jst
from kofu.rules.decision import Allowed, Decision, Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import MaintenanceWindow, Rulebook, ServiceWindow
from kofu.rules.store_hours import ALWAYS_OPEN, WeeklyHours, is_open

USAGE_REGISTRATION: Final = "usage_registration"
Service = Kind | Literal["usage_registration"]


def window_for(rulebook: Rulebook, service: Service) -> ServiceWindow | None:
    """The service window of a kind or of the usage registration; None if the kind is not offered."""
    if service == USAGE_REGISTRATION:
        return rulebook.windows[rulebook.registration_window]
    kind = Kind(service)
    return rulebook.window_for(kind) if rulebook.offers(kind) else None


def active_maintenance(
    rulebook: Rulebook, at: datetime, maintenance: Sequence[MaintenanceWindow] = ()
) -> MaintenanceWindow | None:
    """The maintenance window covering `at` for this municipality (its own or service-wide), if any."""
    local = to_jst(at)
    for window in (*rulebook.maintenance, *maintenance):
        applies = window.municipality_code in (None, rulebook.code)
        if applies and window.covers(local):
            return window
    return None


def upcoming_maintenance(
    rulebook: Rulebook, now: datetime, maintenance: Sequence[MaintenanceWindow] = ()
) -> tuple[MaintenanceWindow, ...]:
    """Windows not yet over at `now`, soonest first: what the kiosk idle screen and the API announce."""
    local = to_jst(now)
    windows = [
        w
        for w in (*rulebook.maintenance, *maintenance)
        if w.municipality_code in (None, rulebook.code) and w.end > local
    ]
    return tuple(sorted(windows, key=lambda w: w.start))


def check_closure(*, under_maintenance: bool, municipality_up: bool) -> Reason | None:
    """HRS-5: planned maintenance in force, then the municipality's server down (that one only)."""
    if under_maintenance:
        return Reason.MAINTENANCE
    if not municipality_up:
        return Reason.MUNICIPALITY_UNAVAILABLE
    return None


def check_store(store_hours: WeeklyHours, at: datetime) -> Reason | None:
    """HRS-4: the store's own opening hours, in Japan time."""
    return None if is_open(store_hours, to_jst(at)) else Reason.STORE_CLOSED


def check_gate(
    at: datetime, *, store_hours: WeeklyHours, under_maintenance: bool, municipality_up: bool
) -> Reason | None:
    """HRS-5 then HRS-4, in `service_open`'s order: what the center decides before any order, without
    a rulebook (it knows the store, the maintenance calendar and each server's state)."""
    return check_closure(under_maintenance=under_maintenance, municipality_up=municipality_up) or check_store(
        store_hours, at
    )


def service_open(
    rulebook: Rulebook,
    service: Service,
    at: datetime,
    *,
    store_hours: WeeklyHours = ALWAYS_OPEN,
    maintenance: Sequence[MaintenanceWindow] = (),
    municipality_up: bool = True,
) -> Decision:
    """May `service` (a kind or the usage registration) of this municipality be used at instant `at`?

    `at` must be aware (any zone); `maintenance` adds the center's published windows to the
    rulebook's own; `municipality_up` False (its server is unreachable) closes this municipality only.
    """
    local = to_jst(at)
    window = window_for(rulebook, service)
    if window is None:
        return Refused(Reason.KIND_NOT_OFFERED)
    if is_year_end(local.date(), rulebook.year_end_start, rulebook.year_end_end):
        return Refused(Reason.YEAR_END_CLOSURE)
    under_maintenance = active_maintenance(rulebook, local, maintenance) is not None
    closed = check_closure(under_maintenance=under_maintenance, municipality_up=municipality_up)
    if closed is not None:
        return Refused(closed)
    if window.office_days_only:
        office_day = is_office_day(local.date(), rulebook.year_end_start, rulebook.year_end_end)
        if not (office_day and window.contains(local.time())):
            return Refused(Reason.OFFICE_HOURS_ONLY)
    elif not window.contains(local.time()):
        return Refused(Reason.CLOSED_HOURS)
    store = check_store(store_hours, local)
    return Allowed() if store is None else Refused(store)
