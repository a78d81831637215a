"""`kofu kiosk`: a kiosk session without a screen (operators, tests, load), through the center's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kofu.rules.copies import COPIES_CEILING

app = typer.Typer(help="The kiosk terminal: headless sessions.", no_args_is_help=True)


@app.callback()
def kiosk() -> None:
    """The kiosk terminal (its page is served by `create_app`; here, sessions without a screen)."""


@app.command()
def session(
    ctx: typer.Context,
    center: Annotated[str, typer.Option(help="The center's base URL, e.g. https://center:8443.")],
    card: Annotated[Path, typer.Option(help="The virtual card file.")],
    municipality: Annotated[str, typer.Option(help="6-digit municipality code.")],
    kind: Annotated[str, typer.Option(help="juminhyo, inkan, kazei, koseki or fuhyo.")],
    out: Annotated[Path, typer.Option(help="Where the printed PDF goes (copy 2 on: NAME-2.pdf, …).")],
    pin: Annotated[
        str | None, typer.Option(help="The 4-digit PIN (to the card or phone only); a phone may omit it.")
    ] = None,
    for_: Annotated[
        list[str] | None, typer.Option("--for", help="Whose certificate (person id); repeatable.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Fiscal year (kazei).")] = None,
    option: Annotated[str | None, typer.Option(help="e.g. whole / individual (koseki).")] = None,
    copies: Annotated[
        int, typer.Option(min=1, max=COPIES_CEILING, help="Copies paid, each printed (one document number).")
    ] = 1,
    terminal: Annotated[str, typer.Option(help="This terminal's registered id.")] = "demo-0001",
    client_cert: Annotated[Path | None, typer.Option(help="Mutual TLS: the terminal's certificate.")] = None,
    client_key: Annotated[Path | None, typer.Option(help="Mutual TLS: its key.")] = None,
    ca_cert: Annotated[Path | None, typer.Option(help="The network CA (verifies the center).")] = None,
    biometric_sample: Annotated[
        str | None,
        typer.Option(
            help="Phones unlocked by biometrics (no --pin): what the sensor reads, as demo-cards.json "
            "lists it (face:PERSON), or @FILE for a file's bytes."
        ),
    ] = None,
) -> None:
    """Run one issuance; prints a JSON line; on refusal exits 1 with the reason code. Arguments the
    session cannot run with are said first (exit code 2), before the card is read or the center asked."""
    from pydantic import ValidationError

    from kofu.kiosk.arguments import SessionArguments, WrongArgument, check
    from kofu.kiosk.config import KioskConfig
    from kofu.kiosk.headless import HeadlessRequest, run_session
    from kofu.rules.reasons import Reason

    try:
        sample = check(SessionArguments(card, municipality, kind, option, pin, biometric_sample))
    except WrongArgument as exc:
        typer.echo(f"error [{Reason.BAD_REQUEST.value}]: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = ctx.obj
    home = Path(settings.home if settings is not None else "var").resolve()
    config = KioskConfig(
        home=home,
        terminal_id=terminal,
        center_url=center,
        client_cert=client_cert,
        client_key=client_key,
        ca_cert=ca_cert,
    )
    request = HeadlessRequest(
        card=card,
        pin=pin,
        municipality=municipality,
        kind=kind,
        out=out,
        persons=tuple(for_ or ()),
        fiscal_year=year,
        option=option,
        copies=copies,
        biometric_sample=sample,
    )
    try:
        result = run_session(config, request)
    except ValidationError:
        typer.echo(f"error [{Reason.BAD_REQUEST.value}]: {Reason.BAD_REQUEST.en}", err=True)
        raise typer.Exit(2) from None
    line = {
        "ok": result.ok,
        "code": result.code,
        "fee": result.fee,
        "out": str(out) if result.ok else None,
        "papers": [str(p) for p in result.papers],  # one file per copy paid
    }
    typer.echo(json.dumps(line, ensure_ascii=False))
    if not result.ok:
        typer.echo(f"refused [{result.code}]: {result.message_en}", err=True)
        raise typer.Exit(1)
