"""Render slots: at most N renders at once per worker, handed out strictly first come, first served.

`threading.Semaphore` lets a newly arrived thread take a freed slot before one that has waited, so
under load a few renders wait for seconds; here a freed slot goes to the longest waiter.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairSlots:
    """A counting semaphore with FIFO hand-off (a context manager)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("at least one slot")
        self._lock = threading.Lock()
        self._free = slots
        self._waiters: deque[threading.Event] = deque()

    def __enter__(self) -> FairSlots:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return self
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # the releasing thread handed its slot to this one
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        """Threads queued for a slot now."""
        with self._lock:
            return len(self._waiters)
