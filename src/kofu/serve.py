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


def verify_app() -> Any:
    """The public verification page from the settings' `[verify]` table.

    Keys: register_url (the verification register; default: the settings' database, where the center
    records what it passes on), max_upload_mb (default 10). The trusted keys are every municipality's
    document keys under the home folder.
    """
    from kofu.settings import load_settings
    from kofu.verify.web import MAX_UPLOAD, create_app

    settings = load_settings()
    raw: dict[str, Any] = dict(settings.extra.get("verify") or {})
    unknown = set(raw) - {"register_url", "max_upload_mb"}
    if unknown:
        raise ValueError(f"unknown keys in [verify]: {', '.join(sorted(unknown))}")
    max_mb = raw.get("max_upload_mb")
    return create_app(
        home=settings.home,
        register_url=str(raw.get("register_url") or settings.db_url),
        max_bytes=int(float(max_mb) * 1024 * 1024) if max_mb is not None else MAX_UPLOAD,
    )


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
