"""The storm's schedule is pure: the same seed gives the same storm, every fault and edge is in it."""

from __future__ import annotations

from datetime import date, timedelta

from kofu.chaos.plan import CHANGES, DUPLICATES, FAULT_EVERY, make_plan, phases, storm_day
from kofu.rules.calendar import is_office_day

POOLS = {"adults": 40, "pairs": 12, "sealed": 20, "registers": 15, "changes": 5}


def _plan(seed: int = 7, issuances: int = 150):  # type: ignore[no-untyped-def]
    return make_plan(kiosks=8, issuances=issuances, seed=seed, day=date(2026, 11, 27), pool_sizes=POOLS)


def test_chaos_plan_is_deterministic_for_its_seed() -> None:
    assert _plan() == _plan()
    assert _plan(seed=8) != _plan()


def test_chaos_plan_has_every_fault_every_variant_and_all_visits() -> None:
    plan = _plan()
    assert len(plan.visits) == 150
    assert [v.index for v in plan.visits] == list(range(150))
    assert set(plan.faults()) == set(FAULT_EVERY)
    variants = {v.variant for v in plan.visits if v.fault in ("duplicate", "change")}
    assert variants == {*DUPLICATES, *CHANGES}
    assert all(v.fault is None for v in plan.visits if v.phase != "open")  # the edges are the fault there
    assert all(v.fault is None for v in plan.visits[:8])  # every kiosk starts with a clean visit


def test_chaos_plan_uses_each_changed_person_once_and_stays_in_the_pools() -> None:
    plan = _plan(issuances=2000)
    changed = [v.slot for v in plan.visits if v.pool == "changes"]
    assert len(changed) == len(set(changed)) <= POOLS["changes"]
    assert all(0 <= v.slot < POOLS[v.pool] for v in plan.visits)
    assert all(v.pool == "changes" for v in plan.visits if v.fault == "change")


def test_chaos_plan_edges_are_the_issues_clock_edges_in_clock_order_HRS_1_HRS_3() -> None:
    found = phases(date(2026, 11, 27))
    assert [p.name for p in found] == ["open", "edge_0629", "edge_2259", "edge_1228"]
    assert [p.start.strftime("%m-%d %H:%M:%S") for p in found] == [
        "11-27 10:00:00",
        "11-28 06:29:59",
        "11-28 22:59:59",
        "12-28 23:59:59",
    ]
    assert all(p.start.utcoffset() == timedelta(hours=9) for p in found)
    assert all(p.edge is None or p.edge - p.start == timedelta(seconds=1) for p in found)
    assert [p.start for p in found] == sorted(p.start for p in found)  # the clock never goes back


def test_chaos_storm_day_is_an_office_day_before_the_year_end() -> None:
    for today in (date(2026, 11, 26), date(2026, 12, 25), date(2026, 12, 30), date(2027, 5, 1)):
        day = storm_day(today, is_office_day)
        assert day > today and is_office_day(day)
        assert day + timedelta(days=1) < date(day.year, 12, 28)
        assert date(day.year, 12, 28) > today
