"""A deployed stack: every party as its own server process, as deployed, on SQLite or PostgreSQL.

Three databases (registry + municipal tables, center + verification register, JPKI; the municipal
tables may have a fourth of their own), a generated village, real JPKI cards, and `kofu serve
jpki|municipal|center` subprocesses (the municipal server and the center with two worker processes
each) configured by TOML files in the stack's home. Used by the incident suite (with a copy of Ōhira's
rulebook open all day, `open_all_day_rulebook`) and by `kofu bench chaos` (Ōhira's own rulebook, the
servers' wall clock moved by `kofu.chaos.clock`: `clock_library`, `clock_file`). Its card
(`issue_card`) and its settings file (`write_settings_file`) are also the test worlds' and the
production deployment's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.app.routing import record_card, register_issued_card
from kofu.center.app.schema import migrate_center_all
from kofu.center.registers import add_municipality, add_terminal
from kofu.chaos.clock import clock_env
from kofu.db import make_engine, session_factory, transaction
from kofu.documents.published import verifier_public_path
from kofu.jpki.authority import Authorities, load_authorities
from kofu.jpki.cardwriter import write_card
from kofu.jpki.holder import Holder
from kofu.jpki.issuance import IssuedCredential, issue_credential
from kofu.jpki.schema import migrate_jpki
from kofu.municipal.schema import migrate_municipal
from kofu.private import open_private
from kofu.registry.cards import link_card
from kofu.registry.holders import card_holder
from kofu.registry.village import generate_village
from kofu.rules.rulebook import bundled_path
from kofu.verify.register import migrate_verify
from kofu.wire.credentials import CredentialKind
from kofu.wire.statements import center_key_path, signing_key

CARD_RATE_CAPACITY = 10_000
OHIRA = "044245"
PIN = "1234"
SIGN_PASSWORD = "ABC123"
PERSONS = 300
SEED = 11
TERMINALS = tuple(f"T-{n:04d}" for n in range(1, 17))
START_TIMEOUT_S = 60.0
CENTER_PROBE = "/v1/notices?terminal_id=probe"  # any answer of the app (the center serves no /openapi.json)


@contextlib.contextmanager
def scratch_databases(admin_url: str, names: Sequence[str], prefix: str) -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL databases `prefix_<name>_<tag>` on the server of `admin_url`, dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from kofu.db import normalise_url

    admin_url = normalise_url(admin_url)
    tag = uuid.uuid4().hex[:10]
    made = {name: f"{prefix}_{name}_{tag}" for name in names}
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for db in made.values():
                conn.execute(text(f'CREATE DATABASE "{db}"'))
        base = make_url(admin_url)
        yield {name: base.set(database=db).render_as_string(hide_password=False) for name, db in made.items()}
    finally:
        with admin.connect() as conn:
            for db in made.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A free loopback port (the OS picks it; unique across xdist workers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_all_day_rulebook(folder: Path) -> Path:
    """Ōhira's rulebook with every window open 00:00-23:59 on any day and no planned maintenance."""
    text = bundled_path("ohira").read_text(encoding="utf-8")
    text = text.split("# HRS-5: planned maintenance", 1)[0]
    text = text.replace('start = "06:30"', 'start = "00:00"').replace('start = "08:30"', 'start = "00:00"')
    text = text.replace('end = "23:00"', 'end = "23:59"').replace('end = "17:15"', 'end = "23:59"')
    text = text.replace("office_days_only = true", "office_days_only = false")
    text = text.replace('year_end_start = "12-29"', 'year_end_start = "12-31"')
    text = text.replace('year_end_end = "01-03"', 'year_end_end = "12-31"')
    path = folder / "ohira-all-day.toml"
    path.write_text(text, encoding="utf-8")
    tomllib.loads(text)  # still TOML
    return path


@dataclass
class Server:
    """One `kofu serve` process group (uvicorn's supervisor and its workers)."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    health: str

    def stop(self) -> None:
        """SIGTERM the group this stack started, then SIGKILL what is left."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serve(party: str, config: Path) -> list[str]:
    return [sys.executable, "-m", "kofu", "serve", party, "--config", str(config)]


def write_settings_file(
    path: Path, *, home: Path, database_url: str, tables: Mapping[str, Mapping[str, object]]
) -> Path:
    """A party's TOML settings file: its home, its database, its tables (a list value: an array of tables)."""
    lines = [f"home = {_toml(home)}", f"database_url = {_toml(database_url)}", ""]
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in values.items() if not isinstance(v, list))
        for k, v in values.items():
            if isinstance(v, list):
                for entry in v:
                    lines.append(f"[[{table}.{k}]]")
                    lines.extend(f"{ek} = {_toml(ev)}" for ek, ev in entry.items())
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass(frozen=True)
class IssuedCard:
    """A new card: its file, what the JPKI issued, and its holder as the registry knows them."""

    path: Path
    issued: IssuedCredential
    holder: Holder


def issue_card(
    person_id: str,
    folder: Path,
    *,
    authorities: Authorities,
    jpki: sessionmaker[Session],
    registry: sessionmaker[Session],
    center: sessionmaker[Session],
    at: datetime,
    credential: CredentialKind = "card",
    pin: str = PIN,
    biometric_template: bytes | None = None,
    handed_over_on: date | None = None,
    jushochi: str | None = OHIRA,
) -> IssuedCard:
    """A card of a village person issued by the JPKI at `at`, its file written in `folder`, linked in the
    registry, and registered at the center (DAY-1) with its route to Ōhira as its 住所地.

    `handed_over_on` (交付日, default: the Japan date of `at`) is the day DAY-1 keys on, as the village
    records it; the certificates' notBefore is `at`, which may be days earlier. `jushochi` None: the
    holder lives elsewhere, so the card is recorded without a 住所地 route (it keeps any 本籍地 route of
    the holder's other cards, REG-1)."""
    with registry() as session:
        found = card_holder(session, person_id)
    if found is None:
        raise LookupError(f"the registry has no person {person_id}")
    holder = Holder(person_id, str(found.name), found.birth_date, str(found.sex), str(found.address))
    with transaction(jpki) as session:
        issued = issue_credential(session, authorities, holder, now=at, credential=credential)
    path = folder / f"{issued.card_id}.card"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_card(
        path, issued, authorities, pin=pin, sign_password=SIGN_PASSWORD, biometric_template=biometric_template
    )
    handed_over = handed_over_on or issued.issued_on
    with transaction(registry) as session:
        link_card(
            session,
            person_id,
            auth_serial=issued.auth_serial,
            sign_serial=issued.sign_serial,
            issued_on=handed_over,
            credential=credential,
        )
    with transaction(center) as session:
        if jushochi is None:
            record_card(
                session,
                auth_serial=issued.auth_serial,
                person_id=person_id,
                credential=credential,
                handed_over_on=handed_over,
                now=at,
            )
        else:
            register_issued_card(
                session,
                auth_serial=issued.auth_serial,
                person_id=person_id,
                credential=credential,
                handed_over_on=handed_over,
                municipality_code=jushochi,
                now=at,
            )
    return IssuedCard(path, issued, holder)


def make_document_keys(home: Path) -> Path:
    """Ōhira's sealing keys and a verification service's key pair under `home` (made once, then copied
    into each stack by `Stack.prepare`); `home` returned."""
    from kofu.documents.keys import sealing_keys
    from kofu.verify.key import verifier_key

    sealing_keys(home, OHIRA, "大衡村")
    verifier_key(home)
    return home


@dataclass(frozen=True)
class CardOf:
    """A real JPKI card file of a village person."""

    path: Path
    person_id: str
    auth_serial: int


@dataclass
class Stack:
    """The deployed parties and their databases."""

    backend: str
    home: Path
    registry_url: str
    center_url: str
    jpki_url: str
    servers: dict[str, Server] = field(default_factory=dict)
    cards: dict[str, CardOf] = field(default_factory=dict)
    municipal_db_url: str | None = None  # the municipal server's own tables; None: in the registry database
    cards_folder: Path | None = None  # where card files go (None: home/cards)
    clock_library: Path | None = None  # kofu.chaos.clock's LD_PRELOAD library that moves the servers' clock
    clock_file: Path | None = None  # ...by the offset this file holds
    access_log: bool = True
    persons: int = PERSONS
    terminals: tuple[str, ...] = TERMINALS

    # --- databases ----------------------------------------------------------------------------
    def prepare(self, ca_keys: Path, key_home: Path) -> None:
        """Village, every party's tables, JPKI and document keys, terminals.

        `key_home` (see `make_document_keys`): Ōhira's sealing keys are copied; of the verification
        service's pair, only the public key, which is what a municipal server is given.
        """
        shutil.copytree(ca_keys, self.home / "keys" / "jpki")
        shutil.copytree(key_home / "keys" / "documents", self.home / "keys" / "documents")
        given = verifier_public_path(self.home)
        given.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(verifier_public_path(key_home), given)
        signing_key(center_key_path(self.home))  # the center's statement key, before the municipal server
        generate_village(
            self.registry_url, self.persons, SEED, "ohira", today=date.today(), count_cases=False
        )
        migrate_municipal(self.municipal_db_url or self.registry_url)
        migrate_jpki(self.jpki_url)
        migrate_center_all(self.center_url)
        migrate_verify(self.center_url)
        with transaction(self.center_sessions()) as session:
            now = datetime.now(UTC)
            for terminal in self.terminals:
                add_terminal(
                    session,
                    terminal_id=terminal,
                    chain="seven_eleven",
                    store_code=terminal,
                    store_name="大衡店",
                    now=now,
                )

    def registry_sessions(self) -> sessionmaker[Session]:
        return self._factory(self.registry_url)

    def center_sessions(self) -> sessionmaker[Session]:
        return self._factory(self.center_url)

    def municipal_sessions(self) -> sessionmaker[Session]:
        """The municipal server's own tables (its audit chain among them)."""
        return self._factory(self.municipal_db_url or self.registry_url)

    def _factory(self, url: str) -> sessionmaker[Session]:
        cache: dict[str, sessionmaker[Session]] = self.__dict__.setdefault("_factories", {})
        if url not in cache:
            cache[url] = session_factory(make_engine(url))
        return cache[url]

    def dispose(self) -> None:
        for factory in self.__dict__.get("_factories", {}).values():
            factory.kw["bind"].dispose()

    # --- cards --------------------------------------------------------------------------------
    def card(self, person_id: str) -> CardOf:
        """A card of `person_id` (see `issue_card`), issued two days ago (DAY-1); made once per person."""
        if person_id in self.cards:
            return self.cards[person_id]
        authorities = self.__dict__.get("_authorities")
        if authorities is None:  # parsing the CA keys costs more than making a card: once per stack
            authorities = self.__dict__["_authorities"] = load_authorities(self.home / "keys" / "jpki")
        new = issue_card(
            person_id,
            self.cards_folder or self.home / "cards",
            authorities=authorities,
            jpki=self._factory(self.jpki_url),
            registry=self.registry_sessions(),
            center=self.center_sessions(),
            at=datetime.now(UTC) - timedelta(days=2),
        )
        card = CardOf(new.path, person_id, new.issued.auth_serial)
        self.cards[person_id] = card
        return card

    # --- servers ------------------------------------------------------------------------------
    def write_config(self, name: str, tables: dict[str, dict[str, object]], database_url: str) -> Path:
        return write_settings_file(
            self.home / "config" / f"{name}.toml", home=self.home, database_url=database_url, tables=tables
        )

    def launch(self, name: str, party: str, config: Path, *, port: int, workers: int, health: str) -> Server:
        """`kofu serve PARTY --config FILE --workers N` on `port` (not waited for: see `wait`)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOFU_")}
        env["KOFU_HOME"] = str(self.home)
        env.update(clock_env(self.clock_library, self.clock_file))
        log = self.home / "logs" / f"{name}.log"
        with open_private(log) as out:
            process = subprocess.Popen(
                [
                    *_serve(party, config),
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--access-log" if self.access_log else "--no-access-log",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one, by its id
            )
        server = Server(name, f"http://127.0.0.1:{port}", process, log, health)
        self.servers[name] = server
        return server

    def wait(self, *servers: Server) -> None:
        """Until each server's app answers its health path below 500 (else its log, in the error)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(servers)
        while waiting:
            server = waiting[0]
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited: {server.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(server.url + server.health, timeout=2).status_code < 500:
                    waiting.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not start: {server.log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.2)

    def start_parties(
        self,
        rulebook: Path | str,
        *,
        municipal_timeout: float = 60.0,
        municipal_front: str | None = None,
        ports: dict[str, int] | None = None,
    ) -> None:
        """The JPKI responder, the municipal server and the center (two workers each for the last two).

        `municipal_front`: the URL the center reaches the municipal server at (e.g. a proxy in front of
        it, which must know the municipal port beforehand: `ports`).
        """
        ports = ports or {}
        jpki_port, municipal_port = ports.get("jpki") or free_port(), ports.get("municipal") or free_port()
        jpki = self.write_config("jpki", {}, self.jpki_url)
        table: dict[str, object] = {
            "registry_url": self.registry_url,
            "rulebook": str(rulebook),
            "migrate": False,
        }
        if self.municipal_db_url:
            table["db_url"] = self.municipal_db_url
        municipal = self.write_config("municipal", {"municipal": table}, self.registry_url)
        started = [
            self.launch("jpki", "jpki", jpki, port=jpki_port, workers=1, health="/health"),
            self.launch(
                "municipal", "municipal", municipal, port=municipal_port, workers=2, health="/v1/health"
            ),
            self.launch_center(
                "center",
                municipal_timeout=municipal_timeout,
                municipal_url=municipal_front,
                port=ports.get("center"),
            ),
        ]
        self.wait(*started)

    def start_center(self, name: str, *, municipal_timeout: float, workers: int = 2) -> Server:
        """Another center deployment on the same database, started and answering."""
        server = self.launch_center(name, municipal_timeout=municipal_timeout, workers=workers)
        self.wait(server)
        return server

    def launch_center(
        self,
        name: str,
        *,
        municipal_timeout: float,
        workers: int = 2,
        municipal_url: str | None = None,
        port: int | None = None,
    ) -> Server:
        """A center process group on the center database, reaching the municipal server and OCSP."""
        municipal = municipal_url or self.servers["municipal"].url
        with transaction(self.center_sessions()) as session:  # the row exists before the workers start
            add_municipality(
                session,
                code=OHIRA,
                name_ja="大衡村",
                name_en="Ōhira",
                base_url=municipal,
                now=datetime.now(UTC),
            )
        config = self.write_config(
            name,
            {
                "center": {
                    "db_url": self.center_url,
                    "ocsp_url": self.servers["jpki"].url + "/ocsp",
                    "municipal_timeout": municipal_timeout,
                    "migrate": False,
                    # the same residents come back within seconds here; the per-card limit (5 a
                    # minute) is the hostile tests' subject, not this stack's
                    "card_rate_capacity": CARD_RATE_CAPACITY,
                    "municipalities": [
                        {"code": OHIRA, "name_ja": "大衡村", "name_en": "Ōhira", "base_url": municipal}
                    ],
                }
            },
            self.center_url,
        )
        return self.launch(
            name, "center", config, port=port or free_port(), workers=workers, health=CENTER_PROBE
        )

    def stop_all(self) -> None:
        for server in reversed(list(self.servers.values())):
            server.stop()
        self.servers.clear()
