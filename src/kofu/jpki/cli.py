"""`kofu jpki`: the card authorities (init, issue cards, revoke, OCSP and CRL, PIN reset)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kofu.settings import Settings

app = typer.Typer(
    help="JPKI card authorities: init, issue-card, revoke, event, crl, serve; office PIN resets.",
    no_args_is_help=True,
)


def _db(settings: Settings) -> str:
    """The authority's database (its office's too): `db/jpki.db` under KOFU_HOME, as the demo makes it."""
    from kofu.layout import Layout

    return Layout.of(settings).jpki


def _registry(settings: Settings) -> str:
    """The registry a holder is read from and the card linked in: the municipal server's (`kofu.layout`)."""
    from kofu.layout import Layout

    return Layout.of(settings).municipal_registry(settings)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the two authorities (keys under $KOFU_HOME/keys/jpki) and the jpki tables."""
    from kofu.home import prepare_home
    from kofu.jpki.authority import init_authorities, keys_dir
    from kofu.jpki.schema import migrate_jpki

    settings = ctx.obj
    prepare_home(settings)
    _, created = init_authorities(keys_dir(settings))
    migrate_jpki(_db(settings))
    typer.echo(("created" if created else "kept existing") + f" JPKI authorities in {keys_dir(settings)}")


@app.command("issue-card")
def issue_card(
    ctx: typer.Context,
    person: Annotated[str, typer.Option("--person", help="The holder's person id.")],
    out: Annotated[Path, typer.Option("--out", help="Card file to write.")],
    pin: Annotated[str, typer.Option("--pin", help="4-digit PIN.")] = "1234",
    sign_password: Annotated[str, typer.Option("--sign-password", help="6-16 of A-Z0-9.")] = "ABC123",
    phone: Annotated[bool, typer.Option("--phone", help="Issue a smartphone credential.")] = False,
    biometric_sample: Annotated[
        str | None, typer.Option("--biometric-sample", help="Phone only: the enrolled sample (text).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Holder given by hand: name.")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option("--sex")] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
    handed_over: Annotated[
        str | None,
        typer.Option("--handed-over", help="YYYY-MM-DD: the day it is handed over (交付日, DAY-1); today."),
    ] = None,
) -> None:
    """Issue a card (or, with --phone, a phone credential) and write its virtual card file."""
    from datetime import UTC, date, datetime

    from kofu.card.cardfile import CardFileError, is_valid_pin, is_valid_sign_password
    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.authority import JpkiNotInitialised, keys_dir, load_authorities
    from kofu.jpki.cardwriter import write_card
    from kofu.jpki.holders import HolderUnavailable, holder_by_hand, holder_from_registry, link_in_registry
    from kofu.jpki.issuance import issue_credential
    from kofu.jpki.schema import migrate_jpki
    from kofu.layout import MissingDatabase, existing
    from kofu.rules.calendar import today_jst

    settings = ctx.obj
    registry = _registry(settings)
    if not is_valid_pin(pin):
        raise _fail("the PIN must be 4 digits")
    if not is_valid_sign_password(sign_password):
        raise _fail("the signing password must be 6-16 characters of A-Z and 0-9")
    try:
        # DAY-1 keys on the day the village hands the card over, which may follow the certificates' day
        handed_over_on = date.fromisoformat(handed_over) if handed_over else today_jst(datetime.now(UTC))
    except ValueError:
        raise _fail(f"--handed-over must be YYYY-MM-DD, got {handed_over!r}") from None
    if handed_over_on < today_jst(datetime.now(UTC)):
        raise _fail("--handed-over cannot be before today: the certificates are made now")
    by_hand = (name, birth_date, sex, address)
    try:
        if any(v is not None for v in by_hand):
            if any(v is None for v in by_hand):
                raise HolderUnavailable("give all of --name, --birth-date, --sex and --address, or none")
            holder = holder_by_hand(person, name or "", birth_date or "", sex or "", address or "")
        else:
            holder = holder_from_registry(existing(registry), person)
        authorities = load_authorities(keys_dir(settings))
    except MissingDatabase as exc:
        raise _fail(f"the registry cannot be read: {exc}") from None
    except (HolderUnavailable, JpkiNotInitialised) as exc:
        raise _fail(str(exc)) from None
    template = None
    sample = biometric_sample or f"face:{person}"
    if phone:
        from kofu.card.biometric import enroll

        template = enroll(sample.encode())
    migrate_jpki(_db(settings))
    engine = make_engine(_db(settings))
    base_url = settings.jpki_url
    try:
        with transaction(session_factory(engine)) as session:
            issued = issue_credential(
                session,
                authorities,
                holder,
                now=datetime.now(UTC),
                credential="phone" if phone else "card",
                base_url=base_url,
            )
            write_card(
                out, issued, authorities, pin=pin, sign_password=sign_password, biometric_template=template
            )
    except CardFileError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    try:  # a holder given by hand may have no registry here: none is created for the link
        problem = link_in_registry(
            existing(registry),
            person,
            auth_serial=issued.auth_serial,
            sign_serial=issued.sign_serial,
            handed_over_on=handed_over_on,
            credential=issued.credential,
        )
    except MissingDatabase as exc:
        problem = f"the card is not linked: {exc}"
    typer.echo(f"{issued.credential} written to {out}")
    typer.echo(
        f"auth serial {issued.auth_serial}  sign serial {issued.sign_serial}  issued {issued.issued_on}"
    )
    if phone:
        typer.echo(f"biometric sample: {sample}")
    if problem:
        typer.secho(f"note: {problem}", fg=typer.colors.YELLOW, err=True)


@app.command()
def revoke(
    ctx: typer.Context,
    serial: Annotated[
        int,
        typer.Argument(help="Certificate serial (decimal, or 0x-prefixed hex).", parser=lambda s: int(s, 0)),
    ],
    reason: Annotated[str, typer.Option("--reason", help="RFC 5280 reason, e.g. key_compromise.")],
) -> None:
    """Revoke one certificate with an RFC 5280 reason."""
    from datetime import UTC, datetime

    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.revocation import REASON_NAMES
    from kofu.jpki.schema import migrate_jpki
    from kofu.jpki.store import find_certificate, revoke_certificate

    flag = REASON_NAMES.get(reason)
    if flag is None or reason == "remove_from_crl":
        raise _fail(
            f"unknown reason {reason!r}; one of: "
            + ", ".join(sorted(set(REASON_NAMES) - {"remove_from_crl"}))
        )
    settings = ctx.obj
    migrate_jpki(_db(settings))
    engine = make_engine(_db(settings))
    try:
        with transaction(session_factory(engine)) as session:
            if find_certificate(session, serial) is None:
                raise _fail(f"no certificate with serial {serial}")
            done = revoke_certificate(session, serial, flag, datetime.now(UTC))
    finally:
        engine.dispose()
    typer.echo(f"revoked {serial} ({reason})" if done else f"{serial} was already revoked")


@app.command()
def event(
    ctx: typer.Context,
    person: Annotated[str, typer.Option("--person", help="The holder's person id.")],
    kind: Annotated[str, typer.Option("--event", help="name_changed, address_changed, death, loss, ...")],
) -> None:
    """Apply a life event: revoke the certificates it makes false (a move keeps the auth certificate)."""
    from datetime import UTC, datetime

    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.revocation import LifeEvent
    from kofu.jpki.revoke import apply_life_event
    from kofu.jpki.schema import migrate_jpki

    try:
        life_event = LifeEvent(kind)
    except ValueError:
        raise _fail(f"unknown event {kind!r}; one of: " + ", ".join(e.value for e in LifeEvent)) from None
    settings = ctx.obj
    migrate_jpki(_db(settings))
    engine = make_engine(_db(settings))
    try:
        with transaction(session_factory(engine)) as session:
            revoked = apply_life_event(session, person, life_event, datetime.now(UTC))
    finally:
        engine.dispose()
    typer.echo(f"revoked {len(revoked)} certificate(s): " + ", ".join(str(s) for s in revoked))


@app.command()
def crl(
    ctx: typer.Context,
    ca: Annotated[str, typer.Option("--ca", help="auth or sign")],
    out: Annotated[Path, typer.Option("--out", help="DER CRL file to write.")],
) -> None:
    """Write the current CRL of one authority (DER)."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.serialization import Encoding

    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.authority import JpkiNotInitialised, keys_dir, load_authorities
    from kofu.jpki.crl import build_crl, next_crl_number
    from kofu.jpki.schema import migrate_jpki
    from kofu.jpki.status import revocation_entries
    from kofu.wire.credentials import CertificateType

    if ca not in ("auth", "sign"):
        raise _fail("--ca must be auth or sign")
    which: CertificateType = "auth" if ca == "auth" else "sign"
    settings = ctx.obj
    try:
        authorities = load_authorities(keys_dir(settings))
    except JpkiNotInitialised as exc:
        raise _fail(str(exc)) from None
    migrate_jpki(_db(settings))
    engine = make_engine(_db(settings))
    now = datetime.now(UTC)
    try:
        with transaction(session_factory(engine)) as session:
            entries = revocation_entries(session, which)
            number = next_crl_number(session, which, now)
    finally:
        engine.dispose()
    out.write_bytes(build_crl(authorities.get(which), entries, now, number).public_bytes(Encoding.DER))
    typer.echo(f"{len(entries)} revoked serial(s) in {out}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8800,
) -> None:
    """Serve OCSP (POST /ocsp, GET /ocsp/<base64>) and CRLs (/crl/auth.crl, /crl/sign.crl)."""
    import uvicorn

    from kofu.jpki.authority import JpkiNotInitialised, keys_dir, load_authorities
    from kofu.jpki.schema import migrate_jpki
    from kofu.jpki.server import create_app

    settings = ctx.obj
    try:
        authorities = load_authorities(keys_dir(settings))
    except JpkiNotInitialised as exc:
        raise _fail(str(exc)) from None
    migrate_jpki(_db(settings))
    uvicorn.run(create_app(_db(settings), authorities), host=host, port=port, log_level="warning")


@app.command("staff-add")
def staff_add(
    ctx: typer.Context,
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[list[str], typer.Option("--role", help="Role, repeatable (pin_reset).")],
) -> None:
    """Register an office staff member with roles (for PIN resets at the office)."""
    from kofu.db import make_engine, session_factory, transaction
    from kofu.office.schema import migrate_office
    from kofu.office.staff import add_staff

    settings = ctx.obj
    migrate_office(_db(settings))
    engine = make_engine(_db(settings))
    try:
        with transaction(session_factory(engine)) as session:
            add_staff(session, staff_id, name, set(role))
    finally:
        engine.dispose()
    typer.echo(f"staff {staff_id}: roles {', '.join(sorted(role))}")


@app.command("reset-pin")
def reset_pin(
    ctx: typer.Context,
    staff: Annotated[str, typer.Option("--staff", help="Staff id doing the reset.")],
    person: Annotated[str, typer.Option("--person", help="Person whose identity was checked.")],
    document: Annotated[str, typer.Option("--document", help="Kind of identity document checked.")],
    new_secret: Annotated[str, typer.Option("--new-secret", help="The new PIN or signing password.")],
    which: Annotated[str, typer.Option("--which", help="pin or sign_password")] = "pin",
    card: Annotated[Path | None, typer.Option("--card", help="Virtual card file.")] = None,
    reader_name: Annotated[str | None, typer.Option("--reader", help="PC/SC reader name.")] = None,
) -> None:
    """PIN-2 at the office: record the identity check, then reset the card's counter by APDUs."""
    from datetime import UTC, datetime

    from kofu.card.inprocess import InProcessReader
    from kofu.card.reader import Reader
    from kofu.db import make_engine, session_factory, transaction
    from kofu.jpki.authority import JpkiNotInitialised, keys_dir, load_authorities
    from kofu.jpki.schema import migrate_jpki
    from kofu.office.cards import JpkiCardDirectory
    from kofu.office.pin_reset import office_reset
    from kofu.office.schema import migrate_office
    from kofu.office.staff import record_identity_check
    from kofu.rules.decision import Refused

    if which not in ("pin", "sign_password"):
        raise _fail("--which must be pin or sign_password")
    if (card is None) == (reader_name is None):
        raise _fail("give exactly one of --card FILE or --reader NAME")
    settings = ctx.obj
    try:
        authorities = load_authorities(keys_dir(settings))
    except JpkiNotInitialised as exc:
        raise _fail(str(exc)) from None
    migrate_jpki(_db(settings))
    migrate_office(_db(settings))
    engine = make_engine(_db(settings))
    factory = session_factory(engine)
    directory = JpkiCardDirectory(factory, authorities.auth.cert, authorities.sign.cert)
    reader: Reader
    if card is not None:
        if not card.exists():
            raise _fail(f"no card file {card}")
        reader = InProcessReader(card)
    else:
        from kofu.card.pcsc import PcscReader

        reader = PcscReader(reader_name)
    now = datetime.now(UTC)
    try:
        with transaction(factory) as session:
            check = record_identity_check(
                session, staff_id=staff, person_id=person, document=document, now=now
            )
        if isinstance(check, Refused):
            raise _fail(f"{check.code}: {check.en}")
        reader.connect()
        try:
            with transaction(factory) as session:
                done = office_reset(
                    session,
                    directory,
                    reader,
                    staff_id=staff,
                    identity_check_id=check,
                    which="pin" if which == "pin" else "sign_password",
                    new_secret=new_secret,
                    now=now,
                )
        finally:
            reader.disconnect()
    finally:
        engine.dispose()
    if isinstance(done, Refused):
        raise _fail(f"{done.code}: {done.en}")
    typer.echo(f"{which} reset on card {done.auth_serial} (identity check {check})")
