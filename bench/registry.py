"""Registry benchmark: village generation + import rate against raw inserts; kiosk lookup latency at scale.

Run from the project root: `.venv/bin/python bench/registry.py [--quick] [--db URL]`.
SQLite (temporary files) by default; with `--db postgresql+psycopg://…/db` it creates and drops its own
temporary databases next to `db`. The last line printed is one JSON object.

1. Generate a village of 100,000 persons and insert it (Core executemany in batches, one transaction):
   persons per second, generation and insert together.
2. Insert exactly the same rows again into a fresh migrated database (same insert path, no generation):
   the raw insert rate. Goal: rate(1) ≥ 0.5 × rate(2). Steps 1 and 2 run twice, interleaved, and the
   best of each counts (the machine is shared; CPU seconds are printed too, as they do not depend on load).
3. Generate a full 10,000-person village, measure the median latency of "person by certificate serial"
   and "household members"; then grow the same database to 1,000,000 persons and measure again.
   Goal: latency at 1,000,000 ≤ 1.2 × latency at 10,000.
   The 1,000,000-person point is made cheaply: the 10,000 persons with their households, addresses and
   card links (the tables these two lookups read) are copied 99 times inside the database by
   INSERT … SELECT, with new ids, household numbers and certificate serials; seals, tax and family
   registers are not copied.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from kofu.db import make_engine, normalise_url
from kofu.documents.seal_image import seal_png
from kofu.registry.bulk import insert_tables
from kofu.registry.generator import VillageRows, generate_rows
from kofu.registry.repository import household_members, person_by_serial
from kofu.registry.schema import migrate_registry
from kofu.registry.village import generate_village

TODAY = date(2026, 4, 1)
ROUNDS = 2  # generate+import and raw insert are each measured twice, interleaved; the best of each counts
SERIAL_STEP = 2**55  # copy k (1..99) gets serials in [2^62 + k·2^55, 2^62 + (k+1)·2^55): above every original
SERIAL_BASE = 2**62


@contextmanager
def databases(base: str | None, tmp: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh empty database URLs (SQLite files, or PostgreSQL databases dropped at the end)."""
    created: list[str] = []
    admin: Engine | None = None
    if base is not None and make_url(normalise_url(base)).get_backend_name() == "postgresql":
        admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")

    def fresh(label: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp / (label + '.db')}"
        name = f"kofu_bench_{label}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(normalise_url(base or "")).set(database=name).render_as_string(hide_password=False)

    try:
        yield fresh
    finally:
        if admin is not None:
            with admin.connect() as conn:
                for name in created:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def median_ms(engine: Engine, keys: list[object], lookup: Callable[[Session, object], object]) -> float:
    """Median wall time of one lookup in its own session, after a warm-up."""
    times: list[float] = []
    with Session(engine) as session:
        for key in keys[:200]:
            lookup(session, key)
        session.rollback()
        for key in keys:
            start = time.perf_counter()
            found = lookup(session, key)
            times.append(time.perf_counter() - start)
            session.rollback()
            if not found:
                raise RuntimeError(f"lookup found nothing for {key!r}")
    return statistics.median(times) * 1000


def samples(engine: Engine, n: int, seed: int) -> tuple[list[object], list[object]]:
    """Random card serials and resident person ids, drawn over the whole database."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        serials = [r[0] for r in conn.execute(text("SELECT auth_serial FROM card_links"))]
        residents = [
            r[0] for r in conn.execute(text("SELECT person_id FROM persons WHERE status = 'resident'"))
        ]
    return rng.sample(serials, min(n, len(serials))), rng.sample(residents, min(n, len(residents)))


def latencies(engine: Engine, n: int, seed: int, rounds: int = 3) -> dict[str, float]:
    """Median latency of the two kiosk lookups: the best of `rounds` medians (less noise from other work)."""
    serials, residents = samples(engine, n, seed)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, value in _latency_round(engine, serials, residents).items():
            best[name] = min(value, best.get(name, value))
    return best


def _latency_round(engine: Engine, serials: list[object], residents: list[object]) -> dict[str, float]:
    return {
        "person_by_serial": median_ms(engine, serials, lambda s, k: person_by_serial(s, int(k))),  # type: ignore[call-overload]
        "household_members": median_ms(engine, residents, lambda s, k: household_members(s, str(k))),
    }


def drop_sqlite(*urls: str) -> None:
    """Delete SQLite files once measured (disk space); PostgreSQL databases are dropped at the end."""
    for url in urls:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)


def timed_insert(url: str, rows: VillageRows) -> tuple[float, float]:
    """Insert `rows` into the migrated empty database at `url`: (wall seconds, CPU seconds)."""
    engine = make_engine(url)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        with engine.begin() as conn:
            insert_tables(conn, rows.tables)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        engine.dispose()


def grow(engine: Engine, copies: int) -> None:
    """Copy persons, households, addresses and card links `copies` times inside the database."""
    with engine.begin() as conn:
        h = conn.scalar(text("SELECT MAX(id) FROM households"))
        p = conn.scalar(text("SELECT MAX(id) FROM persons"))
        a = conn.scalar(text("SELECT MAX(id) FROM addresses"))
        c = conn.scalar(text("SELECT MAX(id) FROM card_links"))
        k = f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies}) "
        conn.execute(
            text(
                k + "INSERT INTO households (id, household_no, formed_on) "
                f"SELECT id + n * {h}, household_no || '-' || n, formed_on FROM households, k WHERE id <= {h}"
            )
        )
        cols = (
            "juminhyo_code, kojin_bango, family_name, given_name, family_kana, given_kana, former_surname, "
            "former_surname_kana, birth_date, sex, status, relationship, became_resident_on, "
            "status_changed_on, honseki, hittousha"
        )
        conn.execute(
            text(
                k + f"INSERT INTO persons (id, person_id, household_fk, {cols}) "
                f"SELECT id + n * {p}, person_id || '-' || n, household_fk + n * {h}, {cols} "
                f"FROM persons, k WHERE id <= {p}"
            )
        )
        conn.execute(
            text(
                k + "INSERT INTO addresses (id, person_fk, address, since, notified_on, previous_address, "
                "reason, current) "
                f"SELECT id + n * {a}, person_fk + n * {p}, address, since, notified_on, previous_address, "
                f"reason, current FROM addresses, k WHERE id <= {a}"
            )
        )
        conn.execute(
            text(
                k + "INSERT INTO card_links (id, person_fk, auth_serial, sign_serial, credential, issued_on, "
                "continued_use_on) "
                f"SELECT id + n * {c}, person_fk + n * {p}, "
                f"{SERIAL_BASE} + auth_serial % {SERIAL_STEP} + n * {SERIAL_STEP}, "
                f"{SERIAL_BASE} + sign_serial % {SERIAL_STEP} + n * {SERIAL_STEP}, "
                f"credential, issued_on, continued_use_on FROM card_links, k WHERE id <= {c}"
            )
        )
    analyze(engine)


def analyze(engine: Engine) -> None:
    """Refresh planner statistics (both points get the same treatment)."""
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (10,000 and 1,000 → 100,000)")
    parser.add_argument("--db", help="PostgreSQL URL to create temporary databases next to (default SQLite)")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups per latency median")
    args = parser.parse_args()
    console = Console(stderr=False)
    big = 10_000 if args.quick else 100_000
    small = 1_000 if args.quick else 10_000
    copies = 99
    result: dict[str, object] = {"engine": "sqlite", "quick": args.quick}
    with (
        tempfile.TemporaryDirectory(prefix="registry-bench-", dir="/var/tmp") as tmp,
        databases(args.db, Path(tmp)) as fresh,
    ):
        # 1 and 2, twice, interleaved: generate + import, then a raw insert of the same rows; best of each.
        runs: list[tuple[float, float, float, float, float]] = []
        raws: list[tuple[float, float]] = []
        total_rows = 0
        for attempt in range(ROUNDS):
            url_a = fresh(f"gen{attempt}")
            migrate_registry(url_a)
            seal_png.cache_clear()  # each round draws its seal impressions from scratch
            start, cpu = time.perf_counter(), time.process_time()
            rows = generate_rows(big, seed=1, today=TODAY)
            gen_s, gen_cpu = time.perf_counter() - start, time.process_time() - cpu
            ins_s, ins_cpu = timed_insert(url_a, rows)
            runs.append((gen_s + ins_s, gen_s, ins_s, gen_cpu, ins_cpu))
            total_rows = rows.count()
            url_b = fresh(f"raw{attempt}")
            migrate_registry(url_b)
            raws.append(timed_insert(url_b, rows))
            del rows
            drop_sqlite(url_a, url_b)
        best, gen_s, ins_s, gen_cpu, ins_cpu = min(runs)
        raw_s, raw_cpu = min(raws)
        rate = big / best
        raw_rate = big / raw_s
        # 3. latency at small, then at small × (copies + 1)
        url_c = fresh("lat")
        generate_village(url_c, small, seed=2, today=TODAY, count_cases=False)
        engine = make_engine(url_c)
        result["engine"] = engine.dialect.name
        analyze(engine)
        lat_small = latencies(engine, args.lookups, 3)
        start = time.perf_counter()
        grow(engine, copies)
        grow_s = time.perf_counter() - start
        with engine.connect() as conn:
            grown = int(conn.scalar(text("SELECT COUNT(*) FROM persons")) or 0)
        lat_big = latencies(engine, args.lookups, 4)
        engine.dispose()

    table = Table(title=f"kofu registry benchmark ({result['engine']})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"persons generated + imported ({big:,})", f"{rate:,.0f} /s")
    table.add_row("  generation", f"{gen_s:.1f} s")
    table.add_row(f"  insert of {total_rows:,} rows", f"{ins_s:.1f} s")
    table.add_row("raw insert of the same rows", f"{raw_rate:,.0f} persons/s ({raw_s:.1f} s)")
    table.add_row("ratio (goal ≥ 0.5)", f"{rate / raw_rate:.2f}")
    table.add_row(
        "CPU seconds: generation / insert / raw insert", f"{gen_cpu:.1f} / {ins_cpu:.1f} / {raw_cpu:.1f}"
    )
    table.add_row("ratio by CPU time", f"{raw_cpu / (gen_cpu + ins_cpu):.2f}")
    for name in ("person_by_serial", "household_members"):
        table.add_row(
            f"{name} median at {small:,} / {grown:,}",
            f"{lat_small[name]:.3f} / {lat_big[name]:.3f} ms (×{lat_big[name] / lat_small[name]:.2f})",
        )
    table.add_row("growing to the large point", f"{grow_s:.1f} s")
    console.print(table)
    result.update(
        {
            "persons": big,
            "rows": total_rows,
            "generate_seconds": round(gen_s, 2),
            "import_seconds": round(ins_s, 2),
            "generated_imported_persons_per_second": round(rate, 1),
            "raw_insert_persons_per_second": round(raw_rate, 1),
            "ratio": round(rate / raw_rate, 3),
            "raw_insert_path": "same rows, same Core executemany path, fresh migrated database",
            "cpu_seconds": {
                "generate": round(gen_cpu, 2),
                "import": round(ins_cpu, 2),
                "raw": round(raw_cpu, 2),
            },
            "ratio_by_cpu_time": round(raw_cpu / (gen_cpu + ins_cpu), 3),
            "latency_small_persons": small,
            "latency_large_persons": grown,
            "person_by_serial_ms": {
                "small": round(lat_small["person_by_serial"], 4),
                "large": round(lat_big["person_by_serial"], 4),
                "ratio": round(lat_big["person_by_serial"] / lat_small["person_by_serial"], 3),
            },
            "household_members_ms": {
                "small": round(lat_small["household_members"], 4),
                "large": round(lat_big["household_members"], 4),
                "ratio": round(lat_big["household_members"] / lat_small["household_members"], 3),
            },
            "lookups_per_median": args.lookups,
            "median_rounds": "best of 3 medians per point",
            "insert_rounds": f"best of {ROUNDS} interleaved runs for generate+import and for the raw insert",
            "large_point": (
                f"the {small:,}-person village's persons, households, addresses and card links copied "
                f"{copies}x by INSERT…SELECT (new ids, household numbers, serials); other tables not copied"
            ),
        }
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
