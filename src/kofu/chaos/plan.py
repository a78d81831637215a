"""The storm's schedule, pure and seeded: which visit meets which fault, who asks for what, in which phase.

A visit is one person at one kiosk asking for one certificate. The plan names persons by pool and slot
(the runner maps them to the village's persons), so the same seed and sizes give the same storm.
Phases run one after another, the servers' clock moved forward each time (never back, so the rate
limits' buckets stay sane): the open storm on an office day at 10:00 JST, then the clock edges of the
issue — 06:29:59 and 22:59:59 on the next day, and 12-28 23:59:59 — each with the edge in its middle.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from kofu.rules.calendar import JST

Kind = Literal["self", "household", "inkan", "koseki"]
Pool = Literal["adults", "pairs", "sealed", "registers", "changes"]
Fault = Literal[
    "kill_center",
    "kill_municipal",
    "db_outage",
    "slow_render",
    "kiosk_dies",
    "duplicate",
    "change",
]
Change = Literal["move_reflected", "move_pending", "seal_abolished"]
Duplicate = Literal[
    "quote_twice", "confirm_early", "pay_twice", "document_twice", "confirm_twice", "document_after_confirm"
]
PhaseName = Literal["open", "edge_0629", "edge_2259", "edge_1228"]

KIND_SHARE: tuple[tuple[Kind, Pool, float], ...] = (
    ("self", "adults", 0.55),
    ("household", "pairs", 0.15),
    ("inkan", "sealed", 0.15),
    ("koseki", "registers", 0.15),
)
# Visits per fault of each type (at least one of each in any storm).
FAULT_EVERY: dict[Fault, int] = {
    "kill_center": 500,
    "kill_municipal": 500,
    "db_outage": 400,
    "slow_render": 200,
    "kiosk_dies": 200,
    "duplicate": 60,
    "change": 100,
}
CHANGES: tuple[Change, ...] = ("move_reflected", "move_pending", "seal_abolished")
DUPLICATES: tuple[Duplicate, ...] = (
    "quote_twice",
    "confirm_early",
    "pay_twice",
    "document_twice",
    "confirm_twice",
    "document_after_confirm",
)
MINIMUM: dict[Fault, int] = {"duplicate": len(DUPLICATES), "change": len(CHANGES)}  # every variant once
EDGE_SHARE = 0.02  # of all visits, per clock-edge phase (at least two per kiosk)


@dataclass(frozen=True)
class Visit:
    """One planned session: its phase, kiosk, what is asked (pool and slot name the requester), its fault."""

    index: int
    phase: PhaseName
    kiosk: int
    kind: Kind
    pool: Pool
    slot: int
    fault: Fault | None = None
    variant: str | None = None  # which change or duplicate


@dataclass(frozen=True)
class Phase:
    """A run of visits with the servers' clock at `start` (JST) when the first one begins.

    `edge`: the instant where the rules change (None for the open storm).
    """

    name: PhaseName
    start: datetime
    edge: datetime | None


@dataclass(frozen=True)
class Plan:
    seed: int
    kiosks: int
    phases: tuple[Phase, ...]
    visits: tuple[Visit, ...]

    def of_phase(self, name: PhaseName) -> list[Visit]:
        return [v for v in self.visits if v.phase == name]

    def faults(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for visit in self.visits:
            if visit.fault is not None:
                found[visit.fault] = found.get(visit.fault, 0) + 1
        return found


def storm_day(today: date, is_office_day: Callable[[date], bool]) -> date:
    """The first office day after `today` whose next day is still before 12-28 (the last edge's day)."""
    day = today + timedelta(days=1)
    while not (is_office_day(day) and (day + timedelta(days=1)) < date(day.year, 12, 28)):
        day += timedelta(days=1)
    return day


def phases(day: date) -> tuple[Phase, ...]:
    """The four phases on `day` (an office day) and after it, in clock order."""
    after = day + timedelta(days=1)

    def at(d: date, hh: int, mm: int, ss: int) -> datetime:
        return datetime.combine(d, time(hh, mm, ss), JST)

    return (
        Phase("open", at(day, 10, 0, 0), None),
        Phase("edge_0629", at(after, 6, 29, 59), at(after, 6, 30, 0)),
        Phase("edge_2259", at(after, 22, 59, 59), at(after, 23, 0, 0)),
        Phase(
            "edge_1228",
            at(after.replace(month=12, day=28), 23, 59, 59),
            at(after.replace(month=12, day=29), 0, 0, 0),
        ),
    )


def make_plan(
    *,
    kiosks: int,
    issuances: int,
    seed: int,
    day: date,
    pool_sizes: dict[Pool, int],
) -> Plan:
    """Deterministic for its arguments; `pool_sizes["changes"]` caps the changes (each person once)."""
    rng = random.Random(seed)
    edge_visits = max(2 * kiosks, round(issuances * EDGE_SHARE))
    if issuances < 4 * edge_visits:
        edge_visits = max(1, issuances // 8)
    open_visits = issuances - 3 * edge_visits
    names: list[PhaseName] = ["open"] * open_visits
    edges: tuple[PhaseName, ...] = ("edge_0629", "edge_2259", "edge_1228")
    for name in edges:
        names += [name] * edge_visits
    faults: dict[int, tuple[Fault, str | None]] = {}
    spots = list(range(kiosks, open_visits))  # the first round is clean: every kiosk starts once
    rng.shuffle(spots)
    changes = pool_sizes.get("changes", 0)
    for each, every in FAULT_EVERY.items():
        count = max(MINIMUM.get(each, 1), open_visits // every)
        if each == "change":
            count = min(count, changes)
        for n in range(count):
            if not spots:
                break
            variant: str | None = None
            if each == "change":
                variant = CHANGES[n % len(CHANGES)]
            elif each == "duplicate":
                variant = DUPLICATES[n % len(DUPLICATES)]
            faults[spots.pop()] = (each, variant)
    cursors: dict[Pool, int] = {}
    visits: list[Visit] = []
    for index, phase in enumerate(names):
        planned = faults.get(index)
        fault, variant = planned if planned is not None else (None, None)
        if fault == "change":
            kind: Kind = "inkan" if variant == "seal_abolished" else "self"
            pool: Pool = "changes"
        else:
            kind, pool = _kind(rng)
        if pool_sizes.get(pool, 0) == 0:
            kind, pool = "self", "adults"
        slot = cursors.get(pool, 0)
        cursors[pool] = slot + 1
        visits.append(
            Visit(index, phase, index % kiosks, kind, pool, slot % pool_sizes[pool], fault, variant)
        )
    return Plan(seed, kiosks, phases(day), tuple(visits))


def _kind(rng: random.Random) -> tuple[Kind, Pool]:
    roll = rng.random()
    for kind, pool, share in KIND_SHARE:
        if roll < share:
            return kind, pool
        roll -= share
    return KIND_SHARE[0][0], KIND_SHARE[0][1]
