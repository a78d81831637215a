"""The storm's CPU timeline: CPU milliseconds a visit, by party, for each minute in which visits ended."""

from __future__ import annotations

import time

from kofu.chaos.timeline import Timeline, interval


def test_an_interval_is_each_partys_cpu_over_the_visits_that_ended_in_it() -> None:
    before = {"center": 10.0, "municipal": 5.0}
    after = {"center": 12.0, "municipal": 5.5, "postgresql": 0.2}
    assert interval(1.0, before, 100, after, 140) == [
        {"minute": 1.0, "visits": 40, "cpu_ms_a_visit": {"center": 50, "municipal": 12, "postgresql": 5}}
    ]
    assert interval(2.0, after, 140, after, 140) == []  # no visit ended: nothing to divide by


def test_the_timeline_samples_until_stopped_and_shows_a_growing_cost() -> None:
    spent = {"center": 0.0}
    done = [0]
    clock = time.monotonic()

    def parties() -> dict[str, float]:
        # each sample: 10 more visits, each costing 1 ms more than the last sample's (a growing cost)
        step = round((time.monotonic() - clock) / 0.05)
        done[0] = 10 * step
        spent["center"] = sum(0.001 * (10 + i) * 10 for i in range(step))
        return dict(spent)

    timeline = Timeline(parties, lambda: done[0], every_s=0.05).start()
    time.sleep(0.6)
    rows = timeline.stop()
    assert len(rows) >= 2
    costs = [r["cpu_ms_a_visit"]["center"] for r in rows]
    assert costs == sorted(costs) and costs[-1] > costs[0]
