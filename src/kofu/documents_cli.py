"""`kofu documents`: render and seal sample certificates; the keys of the municipal and verify sides.

Beside `kofu.cli`, not in `kofu.documents`: its commands drive the municipal and verify sides together
(a sample is recorded in the verification register), and the documents library imports no party.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kofu.settings import Settings, load_settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

    from kofu.documents.content import Content
    from kofu.rules.kinds import Kind
    from kofu.rules.rulebook import Rulebook

app = typer.Typer(help="Certificates: render and seal samples; document keys.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Document keys: a municipality's published set, the verification service's key pair.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")

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
        pdf, content = _make(settings, book, Kind(kind), person, serial, rulebook)
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
    settings: Settings, book: Rulebook, kind: Kind, person: str | None, serial: int, rulebook: str
) -> tuple[bytes, Content]:
    """Compose (or take the built-in sample) and seal; exit 1 with the reason when it is refused."""
    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import sealing_keys

    if person is not None:
        from kofu.layout import Layout
        from kofu.municipal.compose import compose_sample

        registry = Layout.of(settings).registry(rulebook)  # where `kofu village generate` wrote it
        composed = compose_sample(registry, book, kind, person, serial=serial)
        if isinstance(composed, str):
            typer.echo(composed, err=True)
            raise typer.Exit(1)
        content = composed
    else:
        content = samples.sample(kind, book, serial=serial)
    keys = sealing_keys(settings.home.resolve(), book.code, book.name)
    return render_and_seal(content, keys, _verifier_public(settings), verification=book.verification), content


def _verifier_public(settings: Settings) -> EllipticCurvePublicKey:
    """The verification service's public key as the municipal server finds it; exit 2 saying what to do."""
    from kofu.documents.published import KeySetError, load_verifier_public
    from kofu.municipal.config import build_config_from_settings

    try:
        return load_verifier_public(build_config_from_settings(settings).verifier_public_path)
    except (KeySetError, ValueError) as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(2) from None


@keys_app.command("export")
def export_keys(
    ctx: typer.Context,
    rulebook: Annotated[
        list[str] | None,
        typer.Option(
            "--rulebook",
            help="Rulebook name or TOML path, repeatable (default: the [municipal] table's rulebook).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="A set file, or a folder for CODE.json files (default: $KOFU_HOME/keys/published)."
        ),
    ] = None,
) -> None:
    """Write the municipality's published key set (public: give it to the verification service).

    The municipality's sealing keys are made first if this home has none yet.
    """
    from kofu.documents.keys import sealing_keys
    from kofu.documents.published import published_dir, write_keyset
    from kofu.municipal.config import build_config_from_settings
    from kofu.rules.rulebook import RulebookError, load_rulebook

    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    try:
        names = rulebook or [build_config_from_settings(settings).rulebook]
        books = [load_rulebook(name) for name in names]
    except (RulebookError, ValueError) as exc:
        typer.echo(f"bad_request: {exc}", err=True)
        raise typer.Exit(2) from None
    published = [sealing_keys(settings.home.resolve(), b.code, b.name).published for b in books]
    folder = out if out is None or out.is_dir() else None
    if out is not None and folder is None:
        write_keyset(out, published)
        typer.echo(f"{out}: {', '.join(k.code for k in published)}")
        return
    for keys in published:
        path = (folder or published_dir(settings.home)) / f"{keys.code}.json"
        write_keyset(path, [keys])
        typer.echo(f"{path}: {keys.code} {keys.name}")


@keys_app.command("verifier")
def verifier_keys(ctx: typer.Context) -> None:
    """Make the verification service's key pair under $KOFU_HOME/keys/verify (once) and name its public key.

    Give `verifier.pub.pem` to every municipal server (`[municipal] verifier_public_key`); the private key
    stays with the verification service.
    """
    from kofu.documents.published import verifier_dir
    from kofu.verify.key import PUBLIC_FILE, verifier_key

    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    verifier_key(settings.home.resolve())
    typer.echo(str(verifier_dir(settings.home.resolve()) / PUBLIC_FILE))


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
