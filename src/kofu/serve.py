"""`kofu serve center|municipal|kiosk|jpki --config FILE`: run one party as its own server.

The app is built by a factory in each worker process from the settings file (`KOFU_CONFIG`), so any
number of workers can serve any step of any session: no party keeps state in process memory.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class PartyName(StrEnum):
    CENTER = "center"
    MUNICIPAL = "municipal"
    KIOSK = "kiosk"
    JPKI = "jpki"


def center_app() -> Any:
    """The center app from the settings' `[center]` table."""
    from kofu.center.app import create_app
    from kofu.center.app.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))


def municipal_app() -> Any:
    """The municipal server app from the settings' `[municipal]` table."""
    from kofu.municipal.app import create_app
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import load_settings

    return create_app(build_config_from_settings(load_settings()))


def kiosk_app() -> Any:
    """The kiosk terminal app from the settings' `[kiosk]` table."""
    from kofu.kiosk.app import create_app
    from kofu.kiosk.config import KioskConfig
    from kofu.settings import load_settings

    return create_app(KioskConfig.from_settings(load_settings()))


def jpki_app() -> Any:
    """The JPKI OCSP responder and CRL distribution point."""
    from kofu.jpki.authority import keys_dir, load_authorities
    from kofu.jpki.server import create_app
    from kofu.settings import load_settings

    settings = load_settings()
    return create_app(settings.db_url, load_authorities(keys_dir(settings)))


def serve(
    party: Annotated[PartyName, typer.Argument(help="Which party to run.")],
    config: Annotated[Path, typer.Option("--config", exists=True, help="The party's TOML settings file.")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless told).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    tls: Annotated[
        bool, typer.Option(help="Mutual TLS with the network PKI under KOFU_HOME (production).")
    ] = False,
    server_name: Annotated[str, typer.Option(help="Certificate name of this server (with --tls).")] = "",
) -> None:
    """Run one party (the demo runs them all in one process: `kofu demo`)."""
    import uvicorn

    os.environ["KOFU_CONFIG"] = str(config.resolve())  # each worker builds its app from the same file
    target = f"kofu.serve:{party.value}_app"
    if not tls:
        if host not in {"127.0.0.1", "::1", "localhost"}:
            typer.secho("warning: plain HTTP on a non-loopback address; use --tls", fg="yellow", err=True)
        uvicorn.run(target, factory=True, host=host, port=port, workers=workers, log_level="info")
        return
    from kofu.netpki.serving import uvicorn_config
    from kofu.settings import load_settings

    settings = load_settings()
    cfg = uvicorn_config(
        target,
        home=settings.home,
        server_name=server_name or party.value,
        host=host,
        port=port,
        factory=True,
        workers=workers,
    )
    uvicorn.Server(cfg).run()
