"""`kofu municipal`: the municipality's staff commands, until the office pages exist.

`registrations` lists the pending usage registrations (REG-1); `approve PERSON` (or `--refuse`) decides
one. `stop PERSON` and `lift PERSON` set and lift a per-person stop of kiosk issuance (支援措置, or one
kind the village turns off); `stops` lists the live ones. Heavy imports stay inside the commands so
`kofu --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, TypeVarTuple

import typer

if TYPE_CHECKING:
    from sqlalchemy import Row, Select

app = typer.Typer(
    help="The municipal server: usage registrations (REG-1), per-person stops.", no_args_is_help=True
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Registry database URL (default: the municipal server's, $KOFU_HOME/db/registry-RULEBOOK.db).",
    ),
]


def _url(ctx: typer.Context, db: str | None) -> str:
    """The registry the municipal server reads (as `kofu serve municipal` and the demo find it), which
    must exist: every command here needs its persons, and none creates an empty registry."""
    from kofu.layout import read_only
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import Settings, load_settings

    if db:
        return read_only(db)
    settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    return read_only(build_config_from_settings(settings).registry_url)


Ts = TypeVarTuple("Ts")


def _read(ctx: typer.Context, db: str | None, statement: Select[*Ts]) -> Sequence[Row[*Ts]]:
    """The rows of a listing; an unreadable registry is said in one line, never a traceback."""
    from kofu.db import make_engine, session_factory

    engine = make_engine(_url(ctx, db))
    try:
        with session_factory(engine)() as session:
            return session.execute(statement).all()
    except Exception as exc:  # no registry tables: say so, never a traceback
        typer.echo(f"unreadable: the registry cannot be read ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command("registrations")
def registrations(ctx: typer.Context, db: DbOption = None) -> None:
    """List the usage registrations waiting for a decision (person id and filing date only)."""
    from sqlalchemy import select

    from kofu.registry.models import Person, UsageRegistration

    rows = _read(
        ctx,
        db,
        select(Person.person_id, UsageRegistration.filed_on)
        .join(Person, Person.id == UsageRegistration.person_fk)
        .where(UsageRegistration.status == "pending")
        .order_by(UsageRegistration.filed_on, Person.person_id),
    )
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


StaffOption = Annotated[str, typer.Option("--staff", help="The staff member's ID, kept with the stop.")]
KindOption = Annotated[
    str | None,
    typer.Option("--kind", help="Stop one kind (juminhyo, inkan, kazei, koseki, fuhyo) instead of all."),
]


def _stop_cause(kind: str | None) -> str:
    return "support_measure" if kind is None else "village"


def _stop_write(
    ctx: typer.Context, db: str | None, person: str, kind: str | None, staff: str, lift: bool
) -> int:
    from datetime import UTC, datetime

    from kofu.db import make_engine, session_factory, transaction
    from kofu.registry.errors import RegistryError
    from kofu.registry.stops import lift_stop, set_stop
    from kofu.rules.calendar import today_jst

    today = today_jst(datetime.now(UTC))
    engine = make_engine(_url(ctx, db))
    try:
        with transaction(session_factory(engine)) as session:
            if lift:
                return lift_stop(session, person, cause=_stop_cause(kind), kind=kind, on=today, by=staff)
            return set_stop(session, person, cause=_stop_cause(kind), kind=kind, since=today, by=staff)
    except RegistryError as exc:
        typer.echo(f"{exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command("stop")
def stop(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person id to stop at kiosks.")],
    staff: StaffOption,
    kind: KindOption = None,
    db: DbOption = None,
) -> None:
    """Stop kiosk issuance for a person: a support measure (支援措置) stops every kind and every
    certificate that would print them; `--kind` turns one kind off. Kiosks show a neutral sentence."""
    number = _stop_write(ctx, db, person, kind, staff, lift=False)
    typer.echo(f"{person}: stopped ({kind or 'every kind'}), stop {number}")


@app.command("lift")
def lift(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person id whose stop is lifted.")],
    staff: StaffOption,
    kind: KindOption = None,
    db: DbOption = None,
) -> None:
    """Lift a person's stop (the row stays, with who lifted it and when)."""
    number = _stop_write(ctx, db, person, kind, staff, lift=True)
    typer.echo(f"{person}: stop {number} lifted")


@app.command("stops")
def stops(ctx: typer.Context, db: DbOption = None) -> None:
    """List the live stops: person id, kind (or every kind), since, set by. Never the cause's details."""
    from sqlalchemy import select

    from kofu.registry.models import Person, PersonStop

    rows = _read(
        ctx,
        db,
        select(Person.person_id, PersonStop.kind, PersonStop.since, PersonStop.set_by)
        .join(Person, Person.id == PersonStop.person_fk)
        .where(PersonStop.lifted_on.is_(None))
        .order_by(PersonStop.since, Person.person_id),
    )
    for person_id, kind, since, set_by in rows:
        typer.echo(f"{person_id}\t{kind or 'every kind'}\t{since.isoformat()}\t{set_by}")
    typer.echo(f"{len(rows)} live", err=True)
