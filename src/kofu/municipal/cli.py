"""`kofu municipal`: the municipality's side of the usage registration (REG-1), until the office pages exist.

`registrations` lists the pending filings; `approve PERSON` (or `--refuse`) decides one. Heavy imports
stay inside the commands so `kofu --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The municipal server: usage registrations (REG-1).", no_args_is_help=True)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Registry database URL (default: the settings' database).")
]


def _url(ctx: typer.Context, db: str | None) -> str:
    if db:
        return db
    settings = ctx.obj
    if settings is None:
        from kofu.settings import load_settings

        settings = load_settings()
    return str(settings.db_url)


@app.command("registrations")
def registrations(ctx: typer.Context, db: DbOption = None) -> None:
    """List the usage registrations waiting for a decision (person id and filing date only)."""
    from sqlalchemy import select

    from kofu.db import make_engine, session_factory
    from kofu.registry.models import Person, UsageRegistration

    engine = make_engine(_url(ctx, db))
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Person.person_id, UsageRegistration.filed_on)
                .join(Person, Person.id == UsageRegistration.person_fk)
                .where(UsageRegistration.status == "pending")
                .order_by(UsageRegistration.filed_on, Person.person_id)
            ).all()
    except Exception as exc:  # no registry tables: say so, never a traceback
        typer.echo(f"unreadable: the registry cannot be read ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    for person_id, filed_on in rows:
        typer.echo(f"{person_id}\t{filed_on.isoformat()}")
    typer.echo(f"{len(rows)} pending", err=True)


@app.command("approve")
def approve(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person id whose pending registration is decided.")],
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse instead of approving.")] = False,
    db: DbOption = None,
) -> None:
    """Approve (or refuse) a person's pending usage registration (ELG-4: then 戸籍 is offered)."""
    from datetime import UTC, datetime

    from kofu.db import make_engine, session_factory, transaction
    from kofu.registry.errors import RegistryError
    from kofu.registry.usage import decide_usage_registration
    from kofu.rules.calendar import today_jst

    engine = make_engine(_url(ctx, db))
    try:
        with transaction(session_factory(engine)) as session:
            decide_usage_registration(session, person, approve=not refuse, on=today_jst(datetime.now(UTC)))
    except RegistryError as exc:
        typer.echo(f"{exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{person}: {'refused' if refuse else 'approved'}")
