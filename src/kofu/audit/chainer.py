"""The background thread that moves recorded decisions into the audit chain, once a second.

One per center (and municipal server) worker process: workers that find the head locked skip, the holder
picks up their rows. A keyed log's chainer also writes its worker's tally every few seconds and at stop.
Every TIDY_EVERY rows it has chained, it vacuums the pending table (PostgreSQL), which holds only rows
deleted a moment after their insert: without that, every poll reads all of them.
Errors (a database down during a fault) are logged and retried on the next round; the thread never dies.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.log import AuditLog
from kofu.logs import get_logger

log = get_logger("audit.chainer")

# Chained rows between two vacuums of the pending table: it never holds more dead rows than a few pages.
TIDY_EVERY = 2000
# A round's fixed cost (lock the head, read, delete, move the head) is shared by the rows of a second:
# 60 rows take 2.2 times the CPU of 12, not 5 times
INTERVAL_S = 1.0


class AuditChainer:
    """Calls `audit.chain(factory)` every `interval_s` seconds in a daemon thread, and once more at stop."""

    def __init__(
        self,
        audit: AuditLog,
        factory: sessionmaker[Session],
        interval_s: float = INTERVAL_S,
        tidy_every: int = TIDY_EVERY,
    ) -> None:
        self.audit = audit
        self.factory = factory
        self.interval_s = interval_s
        self.tidy_every = tidy_every
        self._since_tidy = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-chainer", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after one last round, so what was decided before shutdown is chained."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def chain_once(self, *, last: bool = False) -> int:
        """One round; how many entries it chained (0 after an error, which is logged).

        The `last` round vouches for every row this worker recorded (its tally), however recent.
        """
        try:
            moved = self.audit.chain(self.factory, tally=True if last else None)
        except Exception as exc:  # the database may be down during a fault: log, retry next round
            if not self._failing:  # once per outage, not at every round
                log.error("audit_chain_failed", error=type(exc).__name__, detail=str(exc)[:200])
            self._failing = True
            return 0
        if self._failing:
            log.info("audit_chain_recovered")
            self._failing = False
        self._since_tidy += moved
        if self._since_tidy >= self.tidy_every:
            self._tidy()
        return moved

    def _tidy(self) -> None:
        """Vacuum the pending table (`AuditLog.tidy`); a failure is logged and tried again later."""
        self._since_tidy = 0
        try:
            self.audit.tidy(self.factory)
        except Exception as exc:  # e.g. a database user that does not own the table
            log.warning("audit_tidy_failed", error=type(exc).__name__, detail=str(exc)[:200])

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.chain_once()
        self.chain_once(last=True)
