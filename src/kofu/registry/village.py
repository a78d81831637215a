"""`generate_village`: build a synthetic village and write it to a registry database in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kofu.db import make_engine
from kofu.registry.bulk import insert_tables
from kofu.registry.cases import CASES, count_case, today_jst
from kofu.registry.errors import RegistryError
from kofu.registry.generator import VillageRows, generate_rows
from kofu.registry.models import Person
from kofu.registry.schema import migrate_registry


@dataclass(frozen=True)
class VillageSummary:
    """What was generated: row counts per table, persons per case, and timings."""

    municipality: str
    seed: int
    today: date
    persons: int
    tables: dict[str, int]
    cases: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    insert_seconds: float = 0.0


def prepare_empty(url: str) -> None:
    """Migrate the registry at `url` and refuse it unless it holds no persons yet."""
    migrate_registry(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Person)):
                raise RegistryError(
                    "registry_not_empty", "the registry already holds persons; use a new database"
                )
    finally:
        engine.dispose()


def write_rows(url: str, rows: VillageRows, progress: Callable[[int], None] | None = None) -> float:
    """Insert generated rows into an empty registry at `url` (migrated first); returns the seconds taken."""
    prepare_empty(url)
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        with engine.begin() as conn:
            insert_tables(conn, rows.tables, progress=progress)
        return time.perf_counter() - start
    finally:
        engine.dispose()


def case_counts(url: str, today: date) -> dict[str, int]:
    """Persons per named case in the registry at `url`."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {case: count_case(session, case, today=today) for case in CASES}
    finally:
        engine.dispose()


def generate_village(
    url: str,
    persons: int,
    seed: int,
    municipality: str = "ohira",
    progress: bool = False,
    *,
    today: date | None = None,
    count_cases: bool = True,
) -> VillageSummary:
    """Generate a village of `persons` persons for `seed` and write it to the empty registry at `url`.

    Same seed and same `today` (default: today in Japan) give identical records.
    """
    today = today or today_jst()
    prepare_empty(url)  # refuse before spending time on generation
    advance_gen: Callable[[int], None] | None = None
    advance_ins: Callable[[int], None] | None = None
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        gen_task = bar.add_task("generating persons", total=persons)
        ins_task = bar.add_task("writing rows", total=None)

        def advance_gen(n: int) -> None:
            bar.advance(gen_task, n)

        def advance_ins(n: int) -> None:
            bar.advance(ins_task, n)

    try:
        start = time.perf_counter()
        rows = generate_rows(persons, seed, today, municipality, progress=advance_gen)
        gen_seconds = time.perf_counter() - start
        if bar is not None:
            bar.update(ins_task, total=rows.count())
        insert_seconds = write_rows(url, rows, progress=advance_ins)
    finally:
        if bar is not None:
            bar.stop()
    return VillageSummary(
        municipality=municipality,
        seed=seed,
        today=today,
        persons=len(rows.tables["persons"]),
        tables={name: len(r) for name, r in rows.tables.items()},
        cases=case_counts(url, today) if count_cases else {},
        generate_seconds=gen_seconds,
        insert_seconds=insert_seconds,
    )
