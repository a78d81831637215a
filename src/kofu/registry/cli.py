"""`kofu village`: generate, import and export the municipality's records.

Heavy imports (SQLAlchemy models, Faker, Pillow) happen inside the commands so `kofu --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from kofu.registry.village import VillageSummary

app = typer.Typer(
    help="The village's records: generate, import, export, apply change events.", no_args_is_help=True
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: the municipal server's, $KOFU_HOME/db/registry-RULEBOOK.db)."
    ),
]


def _url(
    ctx: typer.Context, db: str | None, *, municipality: str | None = None, read_only: bool = False
) -> str:
    """`db`, else the home's registry of `municipality` (else the municipal server's registry); a
    command that only reads refuses a database that is not there instead of creating it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from kofu.layout import Layout
    from kofu.layout import read_only as existing
    from kofu.settings import Settings, load_settings

    if not db:
        settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
        layout = Layout.of(settings)
        db = layout.municipal_registry(settings) if municipality is None else layout.registry(municipality)
    try:
        make_url(db)
    except ArgumentError:
        _fail("bad_request", f"not a database URL: {db!r} (e.g. sqlite:///var/db/registry-ohira.db)")
    return existing(db) if read_only else db


def _fail(code: str, message: str) -> None:
    typer.echo(f"error [{code}]: {message}", err=True)
    raise typer.Exit(2)


def _refused(code: str, problems: Sequence[object], summary: str) -> NoReturn:
    """Each problem on a line of its own, then the summary; exit 2 (nothing was written)."""
    for p in problems:
        typer.echo(f"error [{code}]: {p}", err=True)
    typer.echo(summary, err=True)
    raise typer.Exit(2)


def _not_applied(problems: Sequence[object]) -> str:
    return f"refused: {len(problems)} problem(s); nothing was applied"


def print_summary(summary: VillageSummary) -> None:
    """The rich summary table: rows per table and persons per case."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    tables = Table(title=f"village {summary.municipality} seed {summary.seed} ({summary.today})")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, n in summary.tables.items():
        tables.add_row(name, f"{n:,}")
    console.print(tables)
    if summary.cases:
        cases = Table(title="persons per case")
        cases.add_column("case")
        cases.add_column("persons", justify="right")
        for name, n in summary.cases.items():
            cases.add_row(name, f"{n:,}", style=None if n else "red")
        console.print(cases)
    console.print(
        f"{summary.persons:,} persons: generated in {summary.generate_seconds:.1f} s, "
        f"written in {summary.insert_seconds:.1f} s"
    )


@app.command()
def generate(
    ctx: typer.Context,
    persons: Annotated[int, typer.Option("--persons", min=1, help="How many persons.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed (and day) → identical records.")] = 1,
    db: DbOption = None,
    municipality: Annotated[str, typer.Option("--municipality", help="ohira or kitayama.")] = "ohira",
    today: Annotated[
        str | None, typer.Option("--today", help="Reference day YYYY-MM-DD (default: today in Japan).")
    ] = None,
) -> None:
    """Generate a synthetic village into an empty registry database."""
    from kofu.registry.errors import RegistryError
    from kofu.registry.village import generate_village
    from kofu.registry.vocabulary import MUNICIPALITIES

    if municipality not in MUNICIPALITIES:
        _fail("bad_request", f"unknown municipality {municipality!r}; known: {', '.join(MUNICIPALITIES)}")
    day: date | None = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            _fail("bad_request", f"--today must be YYYY-MM-DD, not {today!r}")
    from sqlalchemy.exc import OperationalError

    try:
        url = _url(ctx, db, municipality=municipality)
        summary = generate_village(url, persons, seed, municipality, progress=True, today=day)
    except RegistryError as exc:
        _fail(exc.code, exc.message)
        return
    except OperationalError as exc:
        _fail("database_unavailable", f"cannot use the database: {exc.orig}")
        return
    print_summary(summary)


@app.command("import")
def import_(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder with one <table>.csv per table.")],
    db: DbOption = None,
) -> None:
    """Import CSV files into an empty registry; any bad row refuses the whole import."""
    from kofu.db import make_engine
    from kofu.registry.csvio import ImportFailed, import_csv
    from kofu.registry.schema import migrate_registry

    if not directory.is_dir():
        _fail("bad_request", f"{directory} is not a folder")
    url = _url(ctx, db)
    migrate_registry(url)
    engine = make_engine(url)
    try:
        counts = import_csv(engine, directory)
    except ImportFailed as exc:
        n = len(exc.problems)
        _refused("import_refused", exc.problems, f"import refused: {n} problem(s); nothing was written")
    finally:
        engine.dispose()
    typer.echo(f"imported {sum(counts.values()):,} rows into {len(counts)} tables")


@app.command()
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write one <table>.csv per table into.")],
    db: DbOption = None,
) -> None:
    """Export every registry table as CSV."""
    from sqlalchemy import inspect

    from kofu.db import make_engine
    from kofu.registry.csvio import export_csv

    engine = make_engine(_url(ctx, db, read_only=True))
    try:
        if not inspect(engine).has_table("persons"):
            _fail("registry_empty", "no registry in this database (generate or import one first)")
        counts = export_csv(engine, directory)
    finally:
        engine.dispose()
    typer.echo(f"exported {sum(counts.values()):,} rows from {len(counts)} tables to {directory}")


@app.command()
def find(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="A case name, e.g. under_15 (see `kofu village cases`).")],
    db: DbOption = None,
    today: Annotated[str | None, typer.Option("--today", help="Reference day YYYY-MM-DD.")] = None,
) -> None:
    """Print the id of the first person who shows a case."""
    from sqlalchemy.orm import Session

    from kofu.db import make_engine
    from kofu.registry.cases import CASES, find_person

    if case not in CASES:
        _fail("bad_request", f"unknown case {case!r}; known: {', '.join(CASES)}")
    day = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            _fail("bad_request", f"--today must be YYYY-MM-DD, not {today!r}")
    engine = make_engine(_url(ctx, db, read_only=True))
    try:
        with Session(engine) as session:
            try:
                typer.echo(find_person(session, case, today=day))
            except LookupError as exc:
                _fail("not_found", str(exc))
    finally:
        engine.dispose()


@app.command()
def cases() -> None:
    """List the case names `find` knows."""
    from kofu.registry.cases import CASES

    for name in CASES:
        typer.echo(name)


@app.command()
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Change events: .csv (UTF-8, BOM or cp932) or .jsonl.")],
    source: Annotated[
        str, typer.Option("--source", help="Who sends the events (a core system's or staff member's ID).")
    ] = "core-system",
    db: DbOption = None,
) -> None:
    """Apply the village's change events: all or nothing, each event ID once, due events reflected."""
    from datetime import UTC, datetime

    from rich.progress import Progress

    from kofu.db import make_engine
    from kofu.registry.feed import FeedRefused, apply_events
    from kofu.registry.feed_events import read_events
    from kofu.registry.schema import migrate_registry

    if not file.is_file():
        _fail("bad_request", f"{file} is not a file")
    events, problems = read_events(file)
    if problems:
        _refused("event_refused", [f"{file.name}, {p}" for p in problems], _not_applied(problems))
    url = _url(ctx, db)
    migrate_registry(url)
    engine = make_engine(url)
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task(f"applying {file.name}", total=len(events))
            report = apply_events(
                engine,
                events,
                now=datetime.now(UTC),
                by=source[:40],
                progress=lambda n: bar.update(task, completed=n),
            )
    except FeedRefused as exc:
        _refused("event_refused", [f"{file.name}, {p}" for p in exc.problems], _not_applied(exc.problems))
    finally:
        engine.dispose()
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.by_kind.items())) or "none"
    typer.echo(
        f"filed {report.filed} ({kinds}); {report.already_applied} already applied; "
        f"{report.reflected} reflected now; {report.pending} waiting for their time"
    )


@app.command()
def reflect(ctx: typer.Context, db: DbOption = None) -> None:
    """Reflect the change events whose time has come (the municipal server also does this every minute)."""
    from datetime import UTC, datetime

    from kofu.db import make_engine
    from kofu.registry.errors import RegistryError
    from kofu.registry.feed import reflect_due_now

    engine = make_engine(_url(ctx, db))
    try:
        done = reflect_due_now(engine, datetime.now(UTC))
    except RegistryError as exc:
        _fail(exc.code, exc.message)
        return
    finally:
        engine.dispose()
    typer.echo(f"reflected {done}")


@app.command()
def reconcile(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="A full export of the core system, as `import` reads.")],
    most: Annotated[int, typer.Option("--most", min=1, help="How many differences to list.")] = 50,
    db: DbOption = None,
) -> None:
    """Compare the registry with a full export of the core system; exit 1 when anything differs."""
    from collections import Counter

    from kofu.db import make_engine
    from kofu.registry.csvio import ImportFailed
    from kofu.registry.reconcile import reconcile as compare

    if not directory.is_dir():
        _fail("bad_request", f"{directory} is not a folder")
    engine = make_engine(_url(ctx, db))
    try:
        differences = compare(engine, directory)
    except ImportFailed as exc:
        n = len(exc.problems)
        _refused("export_unreadable", exc.problems, f"the export is not readable: {n} problem(s)")
    finally:
        engine.dispose()
    for d in differences[:most]:
        typer.echo(str(d))
    if len(differences) > most:
        typer.echo(f"… and {len(differences) - most} more (--most)")
    per_table = Counter(d.table for d in differences)
    summary = ", ".join(f"{table} {n}" for table, n in per_table.items()) or "none"
    typer.echo(f"{len(differences)} difference(s): {summary}")
    if differences:
        raise typer.Exit(1)
