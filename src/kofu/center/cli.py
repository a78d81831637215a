"""`kofu center`: settlement, the terminal and municipality registers, maintenance, and stale-order recovery.

Mount with `app.add_typer(kofu.center.cli.app, name="center")`; the Settings object is in `ctx.obj`.
Heavy imports stay inside the commands so that `kofu --help` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from kofu.settings import Settings

app = typer.Typer(help="The center: settlement, registers, maintenance, recovery.", no_args_is_help=True)
terminal_app = typer.Typer(help="The terminal register (STR-1, HRS-4).", no_args_is_help=True)
municipality_app = typer.Typer(help="The municipality register (routing; HRS-5).", no_args_is_help=True)
maintenance_app = typer.Typer(help="The maintenance calendar (HRS-5).", no_args_is_help=True)
app.add_typer(terminal_app, name="terminal")
app.add_typer(municipality_app, name="municipality")
app.add_typer(maintenance_app, name="maintenance")


def _settings(ctx: typer.Context) -> Settings:
    from kofu.settings import Settings, load_settings

    return ctx.obj if isinstance(ctx.obj, Settings) else load_settings()


def _factory(ctx: typer.Context, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on the center's database (`[center] db_url`, else the home's `db/center.db`); a command
    that only reads refuses a database that is not there instead of creating it."""
    from kofu.center.app.config import build_config_from_settings
    from kofu.center.schema import migrate_center
    from kofu.db import make_engine, session_factory
    from kofu.layout import read_only as existing

    url = build_config_from_settings(_settings(ctx)).db_url
    if read_only:
        url = existing(url)
    migrate_center(url)
    return session_factory(make_engine(url))


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _instant(text: str) -> datetime:
    """An ISO instant; without a zone it is read as Japan time."""
    from kofu.rules.calendar import JST

    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=JST)).astimezone(UTC)


@app.command()
def settle(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="YYYY-MM (Japan time)")],
    municipality: Annotated[str | None, typer.Option("--municipality", help="one municipality code")] = None,
    chain: Annotated[str | None, typer.Option("--chain", help="one store chain")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="folder for the CSV and PNG")] = None,
) -> None:
    """FEE-1: the monthly settlement statement, per municipality and per store chain (CSV + PNG)."""
    from kofu.center import settlement

    try:
        settlement.month_bounds(month)
    except ValueError as exc:
        raise _fail(f"bad_request: {exc}") from None
    factory = _factory(ctx, read_only=True)
    statement = settlement.settle(factory, month, municipality_code=municipality, chain=chain)
    folder = out or _settings(ctx).home / "artifacts" / "settlement"
    csv_path, png_path = settlement.write_settlement(statement, folder)
    typer.echo(
        f"settlement {month}: {statement.orders} orders, {statement.documents} documents, "
        f"{statement.copies} copies printed and charged, {statement.yen:,} yen"
    )
    for title, lines in (("municipality", statement.by_municipality), ("chain", statement.by_chain)):
        for line in lines:
            counts = f"{line.orders:>6} {line.documents:>6} {line.copies:>6} {line.yen:>10,}"
            typer.echo(f"  {title:<12} {line.group:<14} {line.kind:<9} {counts}")
    for v in statement.voided_after_delivery:
        counts = f"{v.documents:>6} {v.documents:>6} {v.copies:>6} {0:>10,}"
        typer.echo(f"  {'voided':<12} {v.municipality_code:<14} {v.kind:<9} {counts}  (delivered, revoked)")
    typer.echo(f"CSV: {csv_path}\nchart: {png_path}")
    if not statement.reconciled:
        for problem in statement.discrepancies:
            typer.echo(f"  DISCREPANCY {problem.order_id} {problem.problem}", err=True)
        raise _fail(f"settlement {month} does not reconcile: {len(statement.discrepancies)} discrepancies", 3)


@app.command()
def recover(
    ctx: typer.Context,
    minutes: Annotated[int, typer.Option("--minutes", min=1, help="age of a stale order")] = 15,
) -> None:
    """NRF-1: void orders stuck before their print was confirmed, returning escrowed cash; revoke every
    document delivered for an order voided in the last week (T2: none stays genuine unpaid)."""
    from kofu.center.app.config import build_config_from_settings
    from kofu.center.orders import recover_stale, voided_documents
    from kofu.verify.register import Register, migrate_verify

    now = datetime.now(UTC)
    factory = _factory(ctx)
    voided = recover_stale(factory, now, stale_after=timedelta(minutes=minutes))
    for receipt in voided:
        typer.echo(f"voided {receipt.order_id} (cash returned {receipt.cash_returned} yen)")
    typer.echo(f"{len(voided)} stale orders voided")
    config = build_config_from_settings(_settings(ctx))
    url = config.verify_db_url or config.db_url  # as the center serves it
    migrate_verify(url)
    register = Register(url)
    try:
        numbers = voided_documents(factory, now - timedelta(days=7))
        for number in numbers:
            register.revoke(number, at=now)
    finally:
        register.close()
    typer.echo(f"{len(numbers)} documents of voided orders revoked")


@app.command("statement-key")
def statement_key(ctx: typer.Context) -> None:
    """The center's public statement key (made with its private key on first use): copy it to each
    municipal server (`[municipal] center_key`, default $KOFU_HOME/keys/center/statement.pub.pem)."""
    from kofu.center.app.config import build_config_from_settings
    from kofu.wire.statements import PUBLIC_FILE, public_pem, signing_key

    path = build_config_from_settings(_settings(ctx)).statement_key
    signer = signing_key(path)
    typer.echo(f"# {path.with_name(PUBLIC_FILE)} (key id {signer.key_id})")
    typer.echo(public_pem(signer.key.public_key()).decode(), nl=False)


@terminal_app.command("add")
def terminal_add(
    ctx: typer.Context,
    terminal_id: Annotated[str, typer.Argument(help="terminal ID, e.g. T-SEJ-0001")],
    chain: Annotated[str, typer.Option("--chain")],
    store_code: Annotated[str, typer.Option("--store-code")],
    store_name: Annotated[str, typer.Option("--store-name")],
    hours: Annotated[
        str | None, typer.Option("--hours", help='JSON: seven entries Mon..Sun, null or ["HH:MM","HH:MM"]')
    ] = None,
    certificate: Annotated[
        bool, typer.Option("--certificate/--no-certificate", help="issue its TLS cert")
    ] = True,
) -> None:
    """STR-1: register a kiosk terminal (and issue its network certificate)."""
    from kofu.center import registers
    from kofu.db import transaction
    from kofu.netpki import authority
    from kofu.rules import ids
    from kofu.rules.store_hours import ALWAYS_OPEN, parse_hours

    for what, value, rule in (
        ("terminal ID", terminal_id, ids.TERMINAL_ID),
        ("--chain", chain, ids.CHAIN),
        ("--store-code", store_code, ids.STORE_CODE),
    ):
        if not rule.fits(value):
            raise _fail(f"bad_request: {what} {value!r} is not {rule.description} ({rule.pattern})")
    try:
        weekly = parse_hours(json.loads(hours)) if hours else ALWAYS_OPEN
    except (ValueError, TypeError) as exc:
        raise _fail(f"bad_request: {exc}") from None
    serial: int | None = None
    if certificate:
        home = _settings(ctx).home
        authority.ensure_ca(home)
        serial = authority.issue_terminal(home, terminal_id).serial
    with transaction(_factory(ctx)) as s:
        info = registers.add_terminal(
            s,
            terminal_id=terminal_id,
            chain=chain,
            store_code=store_code,
            store_name=store_name,
            hours=weekly,
            cert_serial=serial,
            now=datetime.now(UTC),
        )
    typer.echo(
        f"registered {info.terminal_id} ({info.chain} {info.store_code}) certificate {info.cert_serial}"
    )


@terminal_app.command("revoke")
def terminal_revoke(ctx: typer.Context, terminal_id: Annotated[str, typer.Argument()]) -> None:
    """STR-1: stop a terminal at the center and put its network certificate on the CRL."""
    from kofu.center import registers
    from kofu.db import transaction
    from kofu.netpki import authority

    with transaction(_factory(ctx)) as s:
        known = registers.revoke_terminal(s, terminal_id, now=datetime.now(UTC))
    if not known:
        raise _fail(f"terminal_unknown: {terminal_id}")
    try:
        serial = authority.revoke_terminal(_settings(ctx).home, terminal_id)
        typer.echo(f"revoked {terminal_id}; certificate {serial:x} is on the CRL")
    except authority.NetPkiError as exc:
        typer.echo(f"revoked {terminal_id} in the register ({exc})")


@terminal_app.command("list")
def terminal_list(ctx: typer.Context) -> None:
    """The terminal register, with whether each store is open now (HRS-4)."""
    from kofu.center import registers

    now = datetime.now(UTC)
    with _factory(ctx, read_only=True)() as s:
        for t in registers.list_terminals(s):
            state = "open" if t.is_open(now) else "closed"
            typer.echo(f"{t.terminal_id:<20} {t.chain:<14} {t.store_code:<10} {t.status.value:<8} {state}")


@municipality_app.command("add")
def municipality_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="6-digit code")],
    name_ja: Annotated[str, typer.Option("--name-ja")],
    name_en: Annotated[str, typer.Option("--name-en")],
    url: Annotated[str, typer.Option("--url", help="the municipal server's base URL")],
) -> None:
    """Register a municipality's server."""
    from kofu.center import registers
    from kofu.db import transaction
    from kofu.rules import ids

    if not ids.MUNICIPALITY_CODE.fits(code):
        raise _fail("bad_request: a municipality code has 6 digits")
    with transaction(_factory(ctx)) as s:
        registers.add_municipality(
            s, code=code, name_ja=name_ja, name_en=name_en, base_url=url, now=datetime.now(UTC)
        )
    typer.echo(f"registered {code} {name_ja} at {url}")


@municipality_app.command("status")
def municipality_status(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument()],
    status: Annotated[str, typer.Argument(help="up | down")],
) -> None:
    """HRS-5: mark a municipality's server down (closes only it) or up again."""
    from kofu.center import registers
    from kofu.db import transaction

    try:
        value = registers.MunicipalityStatus(status)
    except ValueError:
        raise _fail("bad_request: status is up or down") from None
    with transaction(_factory(ctx)) as s:
        if not registers.set_municipality_status(s, code, value, now=datetime.now(UTC)):
            raise _fail(f"municipality_unknown: {code}")
    typer.echo(f"{code} is {value.value}")


@maintenance_app.command("add")
def maintenance_add(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--start", help="ISO time; JST when no zone is given")],
    end: Annotated[str, typer.Option("--end", help="ISO time; JST when no zone is given")],
    ja: Annotated[str, typer.Option("--ja", help="notice in Japanese")],
    en: Annotated[str, typer.Option("--en", help="notice in English")],
    municipality: Annotated[str | None, typer.Option("--municipality", help="only this municipality")] = None,
) -> None:
    """HRS-5: announce a maintenance window."""
    from kofu.center import registers
    from kofu.db import transaction

    try:
        starts, ends = _instant(start), _instant(end)
        with transaction(_factory(ctx)) as s:
            notice = registers.add_maintenance(
                s, starts_at=starts, ends_at=ends, notice_ja=ja, notice_en=en, municipality_code=municipality
            )
    except ValueError as exc:
        raise _fail(f"bad_request: {exc}") from None
    typer.echo(f"maintenance {notice.id}: {notice.starts_at.isoformat()} – {notice.ends_at.isoformat()}")


@maintenance_app.command("list")
def maintenance_list(ctx: typer.Context) -> None:
    """HRS-5: current and upcoming maintenance notices."""
    from kofu.center import registers

    now = datetime.now(UTC)
    with _factory(ctx, read_only=True)() as s:
        for n in registers.notices(s, now):
            scope = n.municipality_code or "all"
            flag = "NOW" if n.active(now) else "   "
            typer.echo(
                f"{flag} {n.starts_at.isoformat()} – {n.ends_at.isoformat()} [{scope}] {n.ja} / {n.en}"
            )
