"""The storm's CPU a visit, party by party, minute by minute: does a long storm cost more as it goes?

A default storm cost more a certificate than a short one of the same code in the same hour; the totals
cannot say when or where the cost grew, so a thread samples every party's CPU and the visits done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

SAMPLE_EVERY_S = 60.0


class Timeline:
    """Samples `parties()` (CPU seconds so far, by party) and `visits()` (visits done so far) every
    `every_s`; `rows` holds, for each interval with visits, the CPU milliseconds a visit by party."""

    def __init__(
        self,
        parties: Callable[[], dict[str, float]],
        visits: Callable[[], int],
        every_s: float = SAMPLE_EVERY_S,
    ) -> None:
        self.parties = parties
        self.visits = visits
        self.every_s = every_s
        self.rows: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-timeline", daemon=True)

    def start(self) -> Timeline:
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.rows

    def _run(self) -> None:
        began = time.monotonic()
        cpu, done = self.parties(), self.visits()
        while not self._stop.wait(self.every_s):
            now_cpu, now_done = self.parties(), self.visits()
            self.rows += interval(round((time.monotonic() - began) / 60, 1), cpu, done, now_cpu, now_done)
            cpu, done = now_cpu, now_done


def interval(
    minute: float, cpu: dict[str, float], done: int, now_cpu: dict[str, float], now_done: int
) -> list[dict[str, Any]]:
    """The row of one interval (none when no visit ended in it): visits, and CPU ms a visit by party."""
    visits = now_done - done
    if visits <= 0:
        return []
    spent = {party: round(1000 * (now_cpu[party] - cpu.get(party, 0.0)) / visits) for party in now_cpu}
    return [{"minute": minute, "visits": visits, "cpu_ms_a_visit": spent}]
