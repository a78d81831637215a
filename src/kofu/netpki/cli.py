"""`kofu net`: the private network CA for mutual TLS (SEC-5): create, issue, revoke, show the CRL.

Mount with `app.add_typer(kofu.netpki.cli.app, name="net")`; files go to `$KOFU_HOME/keys/net/`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pathlib import Path


class ServerRole(StrEnum):
    """The roles a server certificate may name (a terminal's is issued by `kofu net terminal`)."""

    CENTER = "center"
    MUNICIPAL = "municipal"
    OFFICE = "office"
    VERIFY = "verify"


app = typer.Typer(help="The network CA for mutual TLS between kiosk, center and municipal servers.")


def _home(ctx: typer.Context) -> Path:
    from kofu.settings import Settings, load_settings

    settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    return settings.home


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the network CA (or keep the existing one) and a fresh CRL."""
    from kofu.netpki import authority

    try:
        cert = authority.ensure_ca(_home(ctx))
    except authority.NetPkiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"network CA: {cert.subject.rfc4514_string()} ({authority.NetPaths.under(_home(ctx)).root})")


@app.command()
def server(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="center, or a municipal server's name")],
    host: Annotated[list[str] | None, typer.Option("--host", help="DNS name or IP (repeatable)")] = None,
    role: Annotated[
        ServerRole | None,
        typer.Option(help="Whom it speaks for (default: center for 'center', else municipal)."),
    ] = None,
) -> None:
    """Issue a server certificate naming its role (default hosts: localhost, 127.0.0.1)."""
    from kofu.netpki import authority
    from kofu.netpki.roles import Role

    try:
        authority.ensure_ca(_home(ctx))
        issued = authority.issue_server(
            _home(ctx),
            name,
            role=Role(role.value) if role else None,
            hosts=tuple(host) if host else ("localhost", "127.0.0.1"),
        )
    except authority.NetPkiError as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{issued.name}: serial {issued.serial:x}\n  {issued.cert_path}\n  {issued.key_path}")


@app.command()
def terminal(ctx: typer.Context, terminal_id: Annotated[str, typer.Argument()]) -> None:
    """Issue a kiosk terminal's client certificate (register it too: `kofu center terminal add`)."""
    from kofu.netpki import authority

    try:
        authority.ensure_ca(_home(ctx))
        issued = authority.issue_terminal(_home(ctx), terminal_id)
    except authority.NetPkiError as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{issued.name}: serial {issued.serial:x}\n  {issued.cert_path}\n  {issued.key_path}")


@app.command()
def revoke(ctx: typer.Context, terminal_id: Annotated[str, typer.Argument()]) -> None:
    """Put a terminal's certificate on the CRL (running servers refuse it within seconds)."""
    from kofu.netpki import authority

    try:
        serial = authority.revoke_terminal(_home(ctx), terminal_id)
    except authority.NetPkiError as exc:
        typer.echo(f"terminal_unknown: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {terminal_id} (serial {serial:x})")


@app.command()
def crl(ctx: typer.Context) -> None:
    """Show the CRL: its number, next update, and revoked serials."""
    from kofu.netpki import authority

    try:
        current = authority.load_crl(_home(ctx))
    except authority.NetPkiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"CRL #{authority.crl_number(current)}, next update {current.next_update_utc}")
    for entry in current:
        typer.echo(f"  {entry.serial_number:x} revoked {entry.revocation_date_utc.isoformat()}")
