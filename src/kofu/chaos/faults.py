"""The fault injectors: real signals, real dropped connections, a real slow network hop.

Nothing here reaches into the parties' code: a worker is killed with SIGKILL by its process id (uvicorn's
supervisor starts another), PostgreSQL is told to terminate every connection of the chaos databases
(`pg_terminate_backend`), and the slow renderer is the delay proxy (`kofu.chaos.proxy`).

SQLite has no server to drop connections from; its outage is the database's write lock held by an
outsider for a while (`BEGIN EXCLUSIVE`), so every writer waits or fails: the nearest honest equivalent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from kofu.procstat import children, clock_ticks, stats

OUTAGE_S = 1.5  # how long the SQLite write lock is held


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (its spawn helper, if any, is not a worker)."""
    workers = []
    for pid in children(supervisor):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"resource_tracker" not in command:
                workers.append(pid)
    return workers


def kill_worker(supervisor: int, turn: int) -> int | None:
    """SIGKILL one worker of the server whose supervisor is `supervisor`; the pid killed (None: none up)."""
    workers = _workers(supervisor)
    if not workers:
        return None
    victim = workers[turn % len(workers)]
    with contextlib.suppress(ProcessLookupError):
        os.kill(victim, signal.SIGKILL)
        return victim
    return None


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its children it has reaped (a supervisor's killed workers) plus
    its live children (its workers now)."""
    found = stats([pid, *children(pid)]).values()
    return sum(stat.ticks + stat.reaped_ticks for stat in found) / clock_ticks()


def postgres_cpu_seconds() -> float | None:
    """CPU seconds so far of this machine's PostgreSQL server: every `postgres` process, plus the
    backends its postmaster reaped; None when none is visible (a remote server, or SQLite)."""
    everyone = stats()
    used = 0
    found = False
    for stat in everyone.values():
        if not stat.name.startswith("postgres"):
            continue
        found = True
        used += stat.ticks
        parent = everyone.get(stat.ppid)
        if parent is None or not parent.name.startswith("postgres"):  # the postmaster: its reaped backends
            used += stat.reaped_ticks
    return used / clock_ticks() if found else None


def wait_workers(supervisor: int, count: int, timeout: float = 60.0) -> bool:
    """Until the supervisor has `count` workers again (True) or the timeout passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(_workers(supervisor)) >= count:
            return True
        time.sleep(0.2)
    return False


@dataclass(frozen=True)
class Outage:
    """Where the databases are: PostgreSQL (admin URL and database names) or SQLite files."""

    backend: str
    admin_url: str | None
    databases: tuple[str, ...]  # PostgreSQL database names, or SQLite file paths

    def inject(self) -> int:
        """Drop every connection (PostgreSQL) or hold the write lock (SQLite); how many were hit."""
        if self.backend == "postgresql":
            return self._terminate()
        return self._lock()

    def _terminate(self) -> int:
        assert self.admin_url is not None
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=None)
        try:
            with engine.connect() as conn:
                names = ", ".join(f"'{name}'" for name in self.databases)
                hit = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        f"WHERE datname IN ({names}) AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        return int(hit)

    def _lock(self) -> int:
        hit = 0
        locks = []
        try:
            for path in self.databases:
                db = sqlite3.connect(path, timeout=10, isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                locks.append(db)
                hit += 1
            time.sleep(OUTAGE_S)
        finally:
            for db in locks:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                db.close()
        return hit


def slow_render(proxy_url: str, order_id: str, seconds: float) -> None:
    """Have the delay proxy hold back this order's render reply for `seconds`."""
    httpx.post(f"{proxy_url}/_chaos/slow", json={"order_id": order_id, "seconds": seconds}, timeout=10)


def proxy_delayed(proxy_url: str) -> int:
    """How many render replies the proxy has held back so far."""
    return int(httpx.get(f"{proxy_url}/_chaos/stats", timeout=10).json()["delayed"])
