"""`kofu serve center|municipal|kiosk|jpki|verify --config FILE`: run one party as its own server.

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
    VERIFY = "verify"


def center_app() -> Any:
    """The center app from the settings' `[center]` table."""
    from kofu.center.app import create_app

    return create_app(_center_config())


def municipal_app() -> Any:
    """The municipal server app from the settings' `[municipal]` table."""
    from kofu.municipal.app import create_app

    return create_app(_municipal_config())


def kiosk_app() -> Any:
    """The kiosk terminal app from the settings' `[kiosk]` table."""
    from kofu.kiosk.app import create_app

    return create_app(_kiosk_config())


def jpki_app() -> Any:
    """The JPKI OCSP responder and CRL distribution point."""
    from kofu.jpki.authority import keys_dir, load_authorities
    from kofu.jpki.server import create_app
    from kofu.layout import Layout
    from kofu.netpki.gate import network_gate
    from kofu.netpki.roles import Role
    from kofu.settings import load_settings

    settings = load_settings()
    gate = network_gate(settings.home, plain_role=Role.CENTER)
    return create_app(Layout.of(settings).jpki, load_authorities(keys_dir(settings)), gate=gate)


def verify_app() -> Any:
    """The public verification page from the settings' `[verify]` table (`kofu.verify.config`).

    Keys: register_url (the verification register; default: the settings' database, where the center
    records what it passes on), max_upload_mb (default 10), keyset (the municipalities' published key
    sets: a file or a folder of them; default $KOFU_HOME/keys/published). Its own decryption key is
    $KOFU_HOME/keys/verify/verifier.key.pem, made on first start.
    """
    from kofu.verify.web import create_app

    return create_app(**_verify_config())


def _center_config() -> Any:
    from kofu.center.app.config import build_config_from_settings
    from kofu.settings import load_settings

    return build_config_from_settings(load_settings())


def _municipal_config() -> Any:
    from kofu.municipal.config import build_config_from_settings
    from kofu.settings import load_settings

    return build_config_from_settings(load_settings())


def _kiosk_config() -> Any:
    from kofu.kiosk.config import KioskConfig
    from kofu.settings import load_settings

    return KioskConfig.from_settings(load_settings())


def _verify_config() -> dict[str, Any]:
    from kofu.documents.published import published_dir
    from kofu.settings import load_settings
    from kofu.verify.config import VerifyTable

    settings = load_settings()
    table = VerifyTable.read(settings.verify)
    return {
        "home": settings.home,
        "keyset": table.keyset or published_dir(settings.home),
        "register_url": table.register_url or settings.db_url,
        "max_bytes": table.max_bytes,
        "docs": table.docs,
    }


def _read_settings(party: PartyName) -> None:
    """The settings and the party's table, read once before any worker starts: a wrong one stops here."""
    from kofu.settings import SettingsError, load_settings, refuse

    readers = {
        PartyName.CENTER: _center_config,
        PartyName.MUNICIPAL: _municipal_config,
        PartyName.KIOSK: _kiosk_config,
        PartyName.JPKI: load_settings,
        PartyName.VERIFY: _verify_config,
    }
    try:
        readers[party]()
    except SettingsError as exc:
        refuse(exc)


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
    access_log: Annotated[bool, typer.Option(help="Log each request line (method, path, status).")] = True,
) -> None:
    """Run one party (the demo runs them all in one process: `kofu demo`)."""
    import uvicorn

    from kofu.logs import uvicorn_log_config

    if party is PartyName.KIOSK and workers > 1:  # its page token and session keys live in its memory
        raise typer.BadParameter("a kiosk runs as one process (--workers 1)", param_hint="--workers")
    os.environ["KOFU_CONFIG"] = str(config.resolve())  # each worker builds its app from the same file
    _read_settings(party)
    target = f"kofu.serve:{party.value}_app"
    if not tls:
        if host not in {"127.0.0.1", "::1", "localhost"}:
            typer.secho("warning: plain HTTP on a non-loopback address; use --tls", fg="yellow", err=True)
        uvicorn.run(
            target,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=access_log,
            log_config=uvicorn_log_config(),  # structlog's lines, identifiers in paths redacted
        )
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
        access_log=access_log,
        log_config=uvicorn_log_config(),
    )
    _run(cfg)


def _run(cfg: Any) -> None:
    """Run a uvicorn config as `uvicorn.run` would: one server, or a supervisor of `workers` processes."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if cfg.workers > 1:  # uvicorn.Server alone ignores `workers`
        Multiprocess(cfg, sockets=[cfg.bind_socket()]).run()
    else:
        uvicorn.Server(cfg).run()
