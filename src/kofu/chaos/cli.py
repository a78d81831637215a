"""`kofu bench`: benchmarks shipped with kofu. `kofu bench chaos` is the storm of issue 6 §2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Benchmarks: the chaos storm.", no_args_is_help=True)


@app.command()
def chaos(
    kiosks: Annotated[int, typer.Option("--kiosks", min=1, help="headless kiosks at once")] = 64,
    issuances: Annotated[int, typer.Option("--issuances", min=8, help="visits (sessions) in all")] = 20_000,
    sqlite: Annotated[bool, typer.Option("--sqlite", help="SQLite files instead of PostgreSQL")] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="PostgreSQL server to create the chaos databases on (else KOFU_TEST_DATABASE_URL)",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    kiosk_processes: Annotated[
        int, typer.Option("--kiosk-processes", min=1, help="processes the kiosks run in")
    ] = 8,
    municipal_timeout: Annotated[
        float, typer.Option("--municipal-timeout", help="the center's, seconds")
    ] = 15.0,
    workdir: Annotated[Path | None, typer.Option("--workdir", help="where the temporary home goes")] = None,
) -> None:
    """N kiosks against center and municipal server (2 workers each) with faults; invariants must be 0.

    The last line on stdout is the figure as one JSON object; the exit code is 1 if any invariant is not 0.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kofu.chaos.report import show
    from kofu.chaos.runner import PG_ENV, Options, admin_url, run_chaos
    from kofu.chaos.runner import Progress as Hooks
    from kofu.logs import configure_logging

    configure_logging("WARNING", False)
    console = Console(stderr=True)
    options = Options(
        kiosks=kiosks,
        issuances=issuances,
        backend="sqlite" if sqlite else "postgresql",
        database_url=database_url,
        seed=seed,
        kiosk_processes=kiosk_processes,
        municipal_timeout_s=municipal_timeout,
        workdir=workdir,
    )
    if options.backend == "postgresql" and not admin_url(options):  # said before anything is built
        typer.echo(f"kofu bench chaos: name a PostgreSQL server with --database-url or {PG_ENV}", err=True)
        typer.echo("(or run on SQLite files with --sqlite)", err=True)
        raise typer.Exit(2)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("preparing", total=None)
        hooks = Hooks(
            status=lambda text: bar.update(task, description=text),
            start=lambda total: bar.update(task, total=total, completed=0),
            tick=lambda: bar.advance(task),
        )
        run = run_chaos(options, hooks)
    show(run, console)
    if run.failed:
        raise typer.Exit(1)
