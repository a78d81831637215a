"""Audit benchmark: what one recorded decision costs, in its own transaction and in the chainer.

Run from the project root: `.venv/bin/python bench/audit.py [--rows N] [--batch B] [--rounds R]`
with `KOFU_TEST_DATABASE_URL` set (an administrative PostgreSQL URL; a database of its own is made
and dropped). To compare two versions of kofu in one run, run it once per source tree, alternating,
e.g. `PYTHONPATH=/tmp/base/src .venv/bin/python bench/audit.py` (the same script works with both).

Timed, per row, as wall time and this process's CPU (`time.process_time`), best of R rounds:
1. `append`: one decision's transaction holding only its audit row (BEGIN, INSERT, COMMIT), N times.
2. `chain`: the chainer moving those N rows into the hash chain, B rows a round (the storm's center
   records about 60 decisions a second, chained once a second).
With the home's audit keys when this kofu has them (authenticated rows, worker counters, the signed
head); the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

import kofu
from kofu.audit.entry import AuditEvent, subject, tagged
from kofu.audit.log import AuditLog
from kofu.audit.schema import migrate_audit
from kofu.db import make_engine, session_factory, transaction

T0 = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


@contextmanager
def _database(admin_url: str) -> Iterator[str]:
    name = f"bench_audit_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _log(home: Path) -> tuple[AuditLog, bool]:
    """The keyed log of this kofu: with all the home's audit keys when it has them, else the chain key."""
    from kofu.audit import keys

    if hasattr(keys, "ensure_audit_keys"):
        return AuditLog.for_home(home), True  # type: ignore[attr-defined]
    return AuditLog(keys.ensure_audit_key(home)), False


def _timed(fn: Callable[[], None]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    admin_url = os.environ.get("KOFU_TEST_DATABASE_URL")
    if not admin_url:
        sys.exit("set KOFU_TEST_DATABASE_URL to an administrative PostgreSQL URL")
    events = [
        AuditEvent(tagged("terminal", f"T-{i % 64:04d}"), "order.pay", subject(order=uuid.uuid4()), "allowed")
        for i in range(args.rows)
    ]
    results: dict[str, list[tuple[float, float]]] = {"append": [], "chain": []}
    with tempfile.TemporaryDirectory() as tmp, _database(admin_url) as url:
        migrate_audit(url)
        log, signed = _log(Path(tmp))
        engine = make_engine(url)
        factory = session_factory(engine)

        for _ in range(args.rounds):
            appended = chained = (0.0, 0.0)
            for first in range(0, args.rows, args.batch):
                chunk = events[first : first + args.batch]

                def append(chunk: list[AuditEvent] = chunk, first: int = first) -> None:
                    for i, event in enumerate(chunk, start=first):
                        with transaction(factory) as session:
                            log.append(session, event, T0 + timedelta(milliseconds=i))

                appended = _add(appended, _timed(append))
                chained = _add(chained, _timed(lambda: _chain_all(log, factory, args.batch)))
            results["append"].append(appended)
            results["chain"].append(chained)
            log.tidy(factory)  # as the chainer does every 2,000 rows (not timed)
        engine.dispose()
    per_row = {
        step: {
            "wall_us": round(min(w for w, _ in runs) / args.rows * 1e6, 1),
            "cpu_us": round(min(c for _, c in runs) / args.rows * 1e6, 1),
            "cpu_us_median": round(statistics.median(c for _, c in runs) / args.rows * 1e6, 1),
        }
        for step, runs in results.items()
    }
    print(
        json.dumps({"kofu": str(Path(kofu.__file__).parent), "signed": signed, "rows": args.rows, **per_row})
    )


def _add(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] + b[0], a[1] + b[1]


def _chain_all(log: AuditLog, factory: Any, batch: int) -> None:
    """One chainer round: every pending row (one batch here) into the chain."""
    log.chain(factory, limit=batch)


if __name__ == "__main__":
    main()
