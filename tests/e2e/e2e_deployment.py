"""The demo deployment for end-to-end tests: the demo world served by every real party on loopback.

The parties are built as `kofu.demo.server.build_parties` builds them, with two differences a test needs:
the municipal servers read a shared, settable clock (so the tests do not depend on the hour they run at:
HRS-1, HRS-2), and each keeps its own tables in its own SQLite file (`db/municipal-<rulebook>.db`), so the
SEC-4 search can read them apart from the registry they compose from. Each server gets a socket bound
before it starts (no port race between xdist workers).
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console

from kofu.demo.world import MUNICIPALITIES, DemoPaths, build_world, ensure_center
from kofu.rules.calendar import JST, is_year_end, office_offset
from kofu.settings import Settings

OHIRA = "044245"


class MunicipalClock:
    """The municipal servers' clock: real time plus a settable offset (the center keeps real time)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set_jst(self, day: date, at: clock_time) -> None:
        """From now on the municipal servers live at `day` `at` (Japan time), and time runs on."""
        self.offset = datetime.combine(day, at, JST) - datetime.now(UTC)

    def office_hours(self) -> None:
        """Real time if it is office hours of an office day now, else 11:00 JST of the next office day."""
        self.offset = office_offset(datetime.now(UTC))

    def saturday_noon(self) -> None:
        """12:00 JST of the last Saturday outside the year-end closure: open (HRS-1), not an office day."""
        day = datetime.now(JST).date() - timedelta(days=1)
        while day.weekday() != 5 or is_year_end(day):
            day -= timedelta(days=1)
        self.set_jst(day, clock_time(12, 0))


@dataclass
class Servers:
    """uvicorn servers, each in its own thread on its own pre-bound socket."""

    servers: list[uvicorn.Server] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, name: str, app: Any, sock: socket.socket) -> None:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
        thread.start()
        self.servers.append(server)
        self.threads.append(thread)
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {name} server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            thread.join(timeout=10)


def bound_socket() -> socket.socket:
    """A loopback socket on a free port, bound and listening (handed to uvicorn as is)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass(frozen=True)
class Deployment:
    """The demo world and the URLs of its running parties (the kiosk is started per test)."""

    settings: Settings
    paths: DemoPaths
    cards: list[dict[str, Any]]
    center_url: str
    clock: MunicipalClock

    @property
    def home(self) -> Path:
        return self.paths.home

    def card_index(self, name: str) -> int:
        """The tray position of a demo card (the kiosk's tray lists demo-cards.json in order)."""
        return next(i for i, c in enumerate(self.cards) if c["name"] == name)

    def card(self, name: str) -> dict[str, Any]:
        return self.cards[self.card_index(name)]


@contextmanager
def serve_deployment(home: Path) -> Iterator[Deployment]:
    """Build the demo world under `home` and serve jpki, the municipal servers and the center."""
    from kofu.center.app import create_app as center_app
    from kofu.center.app.config import CenterConfig, MunicipalityEntry
    from kofu.jpki.authority import keys_dir, load_authorities
    from kofu.jpki.server import create_app as jpki_app
    from kofu.municipal.app import create_app as municipal_app
    from kofu.municipal.config import MunicipalConfig
    from kofu.rules.rulebook import load_rulebook
    from kofu.wire.statements import center_key_path, signing_key

    settings = Settings(home=home)
    paths = build_world(settings, Console(file=io.StringIO()))
    cards = list(json.loads(paths.cards_json.read_text(encoding="utf-8")))
    clock = MunicipalClock()
    clock.office_hours()
    servers = Servers()
    try:
        jpki_sock = bound_socket()
        jpki = keys_dir(settings)
        servers.start("jpki", jpki_app(paths.jpki, load_authorities(jpki)), jpki_sock)
        entries = []
        signing_key(center_key_path(paths.home))  # before the municipal servers load its public key
        for rulebook, _, _ in MUNICIPALITIES:
            book = load_rulebook(rulebook)
            config = MunicipalConfig(
                registry_url=paths.registry(rulebook),
                rulebook=rulebook,
                home=paths.home,
                db_url=f"sqlite:///{paths.home / 'db' / f'municipal-{rulebook}.db'}",
            )
            sock = bound_socket()
            servers.start(f"municipal-{rulebook}", municipal_app(config, clock=clock), sock)
            entries.append(MunicipalityEntry(book.code, book.name, book.name_en, url_of(sock)))
        center = CenterConfig(
            db_url=paths.center,
            jpki_auth_ca=jpki / "auth-ca.pem",
            jpki_sign_ca=jpki / "sign-ca.pem",
            ocsp_url=f"{url_of(jpki_sock)}/ocsp",
            municipalities=tuple(entries),
            verify_db_url=settings.db_url,
            statement_key=center_key_path(paths.home),
            home=paths.home,
        )
        center_sock = bound_socket()
        servers.start("center", center_app(center), center_sock)
        ensure_center(paths)
        yield Deployment(settings, paths, cards, url_of(center_sock), clock)
    finally:
        servers.stop()
