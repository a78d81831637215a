"""Serve every party of the demo from one process: one uvicorn server (own event loop) per party.

Separate servers, as in production, so a party waiting on another (the center on the municipal server
or on OCSP) never waits on its own event loop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from rich.console import Console

from kofu.demo.world import MUNICIPALITIES, TERMINAL_ID, DemoPaths
from kofu.settings import Settings


@dataclass(frozen=True)
class Party:
    """One served party: its name, its port and its ASGI app."""

    name: str
    port: int
    app: Any


def ports(base: int) -> dict[str, int]:
    """The demo's ports: the kiosk on the base port, the others after it."""
    names = ["kiosk", "center", "jpki", "verify", *(f"municipal-{rb}" for rb, _, _ in MUNICIPALITIES)]
    return {name: base + i for i, name in enumerate(names)}


def build_parties(settings: Settings, paths: DemoPaths, host: str, base_port: int) -> list[Party]:
    """Create each party's app, configured to find the others on loopback, each with its API docs on."""
    from kofu.center.app import create_app as center_app
    from kofu.center.app.config import CenterConfig, MunicipalityEntry
    from kofu.jpki.authority import keys_dir, load_authorities
    from kofu.jpki.server import create_app as jpki_app
    from kofu.kiosk.app import create_app as kiosk_app
    from kofu.kiosk.config import KioskConfig
    from kofu.municipal.app import create_app as municipal_app
    from kofu.municipal.config import MunicipalConfig
    from kofu.rules.rulebook import load_rulebook
    from kofu.wire.statements import center_key_path, signing_key

    signing_key(center_key_path(paths.home))  # made before the municipal servers load its public key
    port = ports(base_port)
    url = {name: f"http://{host}:{p}" for name, p in port.items()}
    jpki = keys_dir(settings)
    parties = [Party("jpki", port["jpki"], jpki_app(paths.jpki, load_authorities(jpki)))]
    entries = []
    for rulebook, _, _ in MUNICIPALITIES:
        book = load_rulebook(rulebook)
        name = f"municipal-{rulebook}"
        config = MunicipalConfig(
            registry_url=paths.registry(rulebook), rulebook=rulebook, home=paths.home, docs=True
        )
        parties.append(Party(name, port[name], municipal_app(config)))
        entries.append(MunicipalityEntry(book.code, book.name, book.name_en, url[name]))
    from kofu.verify.web import create_app as verify_app

    verify = verify_app(home=paths.home, register_url=settings.db_url, docs=True)
    parties.append(Party("verify", port["verify"], verify))
    center = CenterConfig(
        db_url=paths.center,
        jpki_auth_ca=jpki / "auth-ca.pem",
        jpki_sign_ca=jpki / "sign-ca.pem",
        ocsp_url=f"{url['jpki']}/ocsp",
        municipalities=tuple(entries),
        verify_db_url=settings.db_url,  # where `kofu verify` looks with the same KOFU_HOME
        statement_key=center_key_path(paths.home),
        docs=True,  # the README points at the center's /docs
        home=paths.home,  # the audit keys
    )
    parties.append(Party("center", port["center"], center_app(center)))
    kiosk = KioskConfig(home=paths.home, terminal_id=TERMINAL_ID, center_url=url["center"], docs=True)
    parties.append(Party("kiosk", port["kiosk"], kiosk_app(kiosk)))
    return parties


def server_config(app: Any, host: str, port: int, *, log_level: str = "warning") -> uvicorn.Config:
    """One party's server: its lines through kofu's logs, identifiers in paths redacted."""
    from kofu.logs import uvicorn_log_config

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, log_config=uvicorn_log_config())


def serve(settings: Settings, paths: DemoPaths, console: Console, *, host: str, port: int) -> None:
    """Start every party and block until Ctrl-C."""
    from kofu.demo.banner import print_banner
    from kofu.demo.world import ensure_center

    parties = build_parties(settings, paths, host, port)
    ensure_center(paths)
    servers = [uvicorn.Server(server_config(p.app, host, p.port)) for p in parties]
    threads = [
        threading.Thread(target=s.run, name=p.name, daemon=True)
        for s, p in zip(servers, parties, strict=True)
    ]
    for t in threads:
        t.start()
    while not all(s.started for s in servers):
        if not all(t.is_alive() for t in threads):
            raise SystemExit("a demo server did not start (is a port taken? try --port)")
        time.sleep(0.05)
    print_banner(console, paths, {p.name: f"http://{host}:{p.port}" for p in parties})
    try:
        while all(t.is_alive() for t in threads):
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping the demo")
    finally:
        for s in servers:
            s.should_exit = True
        for t in threads:
            t.join(timeout=5)
