"""The `kofu` command-line tool: one Typer app, one sub-command group per party or concern.

Each group lives beside the code it drives (`kofu/<package>/cli.py`; `kofu/documents_cli.py`, which
drives the municipal and verify sides together) and imports heavy libraries inside its commands, so that
`kofu --help` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from kofu import __version__
from kofu.audit.cli import app as audit_app
from kofu.card.cli import app as card_app
from kofu.center.cli import app as center_app
from kofu.chaos.cli import app as bench_app
from kofu.clihelp import quiet_flags
from kofu.demo import demo
from kofu.documents_cli import app as documents_app
from kofu.jpki.cli import app as jpki_app
from kofu.kiosk.cli import app as kiosk_app
from kofu.logs import configure_logging
from kofu.municipal.cli import app as municipal_app
from kofu.netpki.cli import app as net_app
from kofu.private import UMASK
from kofu.registry.cli import app as village_app
from kofu.serve import serve
from kofu.settings import SettingsError, load_settings, refuse
from kofu.verify.cli import verify

quiet_flags()
app = typer.Typer(
    name="kofu",
    help="kofu: convenience-store certificate issuance (コンビニ交付).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(village_app, name="village")
app.add_typer(jpki_app, name="jpki")
app.add_typer(card_app, name="card")
app.add_typer(documents_app, name="documents")
app.add_typer(center_app, name="center")
app.add_typer(net_app, name="net")
app.add_typer(kiosk_app, name="kiosk")
app.add_typer(audit_app, name="audit")
app.add_typer(municipal_app, name="municipal")
app.add_typer(bench_app, name="bench")
app.command("serve")(serve)
app.command("verify")(verify)
app.command("demo")(demo)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kofu {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (else KOFU_CONFIG).", exists=True)
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    """Load settings (defaults, TOML file, KOFU_* variables) and set up logging."""
    os.umask(UMASK)  # whatever kofu writes (keys, cards, logs, exports) is the owner's only
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        refuse(exc)
    configure_logging(settings.log_level, settings.log_json)
    ctx.obj = settings


def main() -> None:
    """Entry point of the `kofu` console script and of `python -m kofu`."""
    app()
