"""`kofu documents`: render and seal sample certificates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kofu.settings import Settings, load_settings

if TYPE_CHECKING:
    from kofu.documents.content import Content
    from kofu.rules.kinds import Kind
    from kofu.rules.rulebook import Rulebook

app = typer.Typer(help="Certificates: render and seal samples.", no_args_is_help=True)

KINDS = ("juminhyo", "inkan", "kazei", "koseki", "fuhyo")


@app.command("sample")
def sample(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help="juminhyo, inkan, kazei, koseki or fuhyo.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the sealed PDF.")],
    person: Annotated[
        str | None,
        typer.Option("--person", help="A person id of the generated village (else built-in sample)."),
    ] = None,
    rulebook: Annotated[str, typer.Option("--rulebook", help="Rulebook name or TOML path.")] = "ohira",
    serial: Annotated[
        int | None, typer.Option("--serial", help="Serial of the unique number (default: next free).", min=1)
    ] = None,
) -> None:
    """Render and seal a sample certificate (what a municipality reviews before going live)."""
    from kofu.rules.kinds import Kind
    from kofu.rules.rulebook import RulebookError, load_rulebook
    from kofu.verify.register import Register, entry_for, migrate_verify

    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    if kind not in KINDS:
        typer.echo(f"bad_request: unknown kind {kind!r} (one of {', '.join(KINDS)})", err=True)
        raise typer.Exit(2)
    try:
        book = load_rulebook(rulebook)
    except RulebookError as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(2) from None
    from kofu.rules.calendar import today_jst

    migrate_verify(settings.db_url)
    register = Register(settings.db_url)
    try:
        if serial is None:
            serial = register.next_serial(book.code, today_jst(datetime.now(UTC)))
        pdf, content = _make(settings, book, Kind(kind), person, serial)
        if not register.record(entry_for(content)):
            typer.echo(
                f"bad_request: document number {content.header.unique_number} is already issued", err=True
            )
            raise typer.Exit(2)
    finally:
        register.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"{out}: {content.header.kind.title_ja} {content.header.unique_number} ({len(pdf)} bytes)")


def _make(
    settings: Settings, book: Rulebook, kind: Kind, person: str | None, serial: int
) -> tuple[bytes, Content]:
    """Compose (or take the built-in sample) and seal; exit 1 with the reason when it is refused."""
    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import document_keys

    if person is not None:
        from kofu.documents.compose import compose_sample

        composed = compose_sample(settings, book, kind, person, serial=serial)
        if isinstance(composed, str):
            typer.echo(composed, err=True)
            raise typer.Exit(1)
        content = composed
    else:
        content = samples.sample(kind, book, serial=serial)
    keys = document_keys(settings.home.resolve(), book.code, book.name)
    return render_and_seal(content, keys), content


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The document's unique number, as printed.")],
) -> None:
    """Mark an issued document revoked: `kofu verify` then answers revoked."""
    from kofu.rules.paging import parse_document_number
    from kofu.verify.register import Register, migrate_verify

    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    try:
        canonical = str(parse_document_number(number))
    except ValueError as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(2) from None
    migrate_verify(settings.db_url)
    register = Register(settings.db_url)
    try:
        found = register.revoke(canonical)
    finally:
        register.close()
    if not found:
        typer.echo(f"document_unknown: {canonical} is not in the issuance records", err=True)
        raise typer.Exit(1)
    typer.echo(f"{canonical}: revoked")
