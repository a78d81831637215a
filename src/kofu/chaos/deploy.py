"""A production-shaped deployment on loopback: settings files, keys, cards, and `kofu serve` subprocesses.

Each party has its own database and its own TOML settings file, as in production; the JPKI responder,
the municipal server of Ōhira and the center run as real `kofu serve` processes (optionally with mutual
TLS from the network CA, `kofu.netpki`). Used by the production tests and by `bench/issuance.py` (so it
lives here: the bench imports nothing from tests/).
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

OHIRA = "044245"
MUNICIPAL_SERVER = "ohira"  # the municipal server's certificate name
PIN = "1234"


@dataclass(frozen=True)
class Layout:
    """Where each party's database and settings file are, and the ports they listen on."""

    home: Path
    tls: bool
    ports: dict[str, int]

    def db(self, party: str) -> str:
        return f"sqlite:///{self.home / 'db' / f'{party}.db'}"

    def config(self, party: str) -> Path:
        return self.home / "etc" / f"{party}.toml"

    @property
    def verify_home(self) -> Path:
        """The verification service's own home: its key pair and the published key sets, nothing else."""
        return self.home / "verify"

    def url(self, party: str) -> str:
        scheme = "https" if self.tls and party in {"center", "municipal"} else "http"
        return f"{scheme}://127.0.0.1:{self.ports[party]}"


def write_settings(layout: Layout) -> None:
    """One TOML settings file per party (home, its database, its table).

    The verification service has a home of its own (`Layout.verify_home`); the municipal server is
    given the verifier's public key from it.
    """
    from kofu.chaos.stack import write_settings_file
    from kofu.documents.published import verifier_public_path

    files: dict[str, tuple[str, dict[str, dict[str, object]]]] = {
        "jpki": (layout.db("jpki"), {}),
        "municipal": (
            layout.db("registry"),
            {
                "municipal": {
                    "registry_url": layout.db("registry"),
                    "db_url": layout.db("municipal"),
                    "rulebook": "ohira",
                    "verifier_public_key": str(verifier_public_path(layout.verify_home)),
                }
            },
        ),
        "center": (
            layout.db("center"),
            {
                "center": {
                    "tls": layout.tls,
                    "ocsp_url": layout.url("jpki") + "/ocsp",
                    "municipal_timeout": 20.0,
                }
            },
        ),
        "verify": (layout.db("center"), {"verify": {"max_upload_mb": 10}}),
    }
    for party, (database_url, tables) in files.items():
        home = layout.verify_home if party == "verify" else layout.home
        write_settings_file(layout.config(party), home=home, database_url=database_url, tables=tables)


def prepare(home: Path, *, persons: int, seed: int, tls: bool) -> Layout:
    """Village, JPKI authorities, document keys (the municipality's published set given to the
    verification service), databases migrated, network PKI (with `tls`), settings."""
    from kofu.center.app.schema import migrate_center_all
    from kofu.chaos.stack import free_port
    from kofu.documents.keys import sealing_keys
    from kofu.documents.published import published_dir, write_keyset
    from kofu.jpki.authority import init_authorities
    from kofu.jpki.schema import migrate_jpki
    from kofu.municipal.schema import migrate_municipal
    from kofu.registry.schema import migrate_registry
    from kofu.registry.village import generate_village
    from kofu.rules.rulebook import load_rulebook
    from kofu.verify.key import verifier_key
    from kofu.verify.register import migrate_verify
    from kofu.wire.statements import center_key_path, signing_key

    (home / "db").mkdir(parents=True, exist_ok=True)
    layout = Layout(home, tls, {p: free_port() for p in ("jpki", "municipal", "center", "verify")})
    migrate_registry(layout.db("registry"))
    generate_village(layout.db("registry"), persons, seed, "ohira", count_cases=False)
    migrate_municipal(layout.db("municipal"))
    init_authorities(home / "keys" / "jpki")
    migrate_jpki(layout.db("jpki"))
    migrate_center_all(layout.db("center"))
    migrate_verify(layout.db("center"))
    book = load_rulebook("ohira")
    verifier_key(layout.verify_home)  # the verification service's pair, in its own home
    keys = sealing_keys(home, book.code, book.name)  # made once here, not raced by worker processes
    write_keyset(published_dir(layout.verify_home) / f"{book.code}.json", [keys.published])
    signing_key(center_key_path(home))  # the center's statement key, before Ōhira loads its public key
    if tls:
        from kofu.netpki.authority import create_ca, issue_server

        create_ca(home)
        issue_server(home, "center")
        issue_server(home, MUNICIPAL_SERVER)
    write_settings(layout)
    return layout


def adult_residents(layout: Layout, count: int) -> list[str]:
    """`count` distinct adult residents of the village."""
    from kofu.db import make_engine, session_factory
    from kofu.registry.cases import find_persons

    engine = make_engine(layout.db("registry"))
    try:
        with session_factory(engine)() as session:
            found = find_persons(session, "adult_resident", limit=count)
    finally:
        engine.dispose()
    if len(found) < count:
        raise LookupError(f"only {len(found)} adult residents; generate a larger village")
    return list(found)


def issue_cards(layout: Layout, persons: Sequence[str], *, days_ago: int = 3) -> list[Path]:
    """A card per person (issued `days_ago` days ago: DAY-1), linked in the registry and the center."""
    from kofu.chaos.stack import issue_card
    from kofu.db import make_engine, session_factory
    from kofu.jpki.authority import load_authorities

    authorities = load_authorities(layout.home / "keys" / "jpki")
    at = datetime.now(UTC) - timedelta(days=days_ago)
    engines = {party: make_engine(layout.db(party)) for party in ("jpki", "registry", "center")}
    sessions = {party: session_factory(engine) for party, engine in engines.items()}
    try:
        return [
            issue_card(
                person_id,
                layout.home / "cards",
                authorities=authorities,
                jpki=sessions["jpki"],
                registry=sessions["registry"],
                center=sessions["center"],
                at=at,
                pin=PIN,
            ).path
            for person_id in persons
        ]
    finally:
        for engine in engines.values():
            engine.dispose()


def register_terminals(layout: Layout, terminal_ids: Sequence[str]) -> None:
    """Terminals in the center's register (no network certificate: the plain-HTTP deployment)."""
    from kofu.center.registers import add_terminal
    from kofu.db import make_engine, session_factory, transaction

    engine = make_engine(layout.db("center"))
    try:
        with transaction(session_factory(engine)) as session:
            for terminal_id in terminal_ids:
                add_terminal(
                    session,
                    terminal_id=terminal_id,
                    chain="bench_mart",
                    store_code="BENCH-001",
                    store_name="ベンチマート",
                    now=datetime.now(UTC),
                )
    finally:
        engine.dispose()


def kofu(layout: Layout, party: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run one `kofu` command with a party's settings file; output captured."""
    return subprocess.run(
        [sys.executable, "-m", "kofu", "--config", str(layout.config(party)), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        check=False,
    )


def clean_env() -> dict[str, str]:
    """The environment without KOFU_* variables (each process reads only its settings file)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KOFU_")}


@dataclass
class Servers:
    """The running `kofu serve` processes, by party."""

    layout: Layout
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.values()]


def office_clock_env(layout: Layout) -> dict[str, str]:
    """The environment that puts a server's wall clock in office hours whatever the hour (kofu.chaos.clock).

    Every server gets it, as one deployment on one clock: HRS-1 and HRS-2 would otherwise refuse a test
    run at night, and the center's statements and the responder's OCSP answers are checked against the
    clocks of their readers.
    """
    from kofu.chaos.clock import build_library, clock_env, set_offset
    from kofu.rules.calendar import office_offset

    folder = layout.home / "clock"
    library = build_library(folder)
    set_offset(folder / "offset", round(office_offset(datetime.now(UTC)).total_seconds()))
    return clock_env(library, folder / "offset")


def serve_command(layout: Layout, party: str, workers: int, *, access_log: bool = True) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "kofu",
        "serve",
        party,
        "--config",
        str(layout.config(party)),
        "--port",
        str(layout.ports[party]),
        "--workers",
        str(workers),
        "--access-log" if access_log else "--no-access-log",
    ]
    if layout.tls and party in {"center", "municipal"}:
        name = "center" if party == "center" else MUNICIPAL_SERVER
        command += ["--tls", "--server-name", name]
    return command


@contextmanager
def running(
    layout: Layout,
    *,
    workers: int = 1,
    parties: Sequence[str] = ("jpki", "municipal", "center"),
    access_log: bool = True,
    workers_of: Mapping[str, int] | None = None,
) -> Iterator[Servers]:
    """Start each party's `kofu serve` process, wait until it answers, and stop them all on exit.

    Each party runs `workers` worker processes unless `workers_of` names another number for it.
    """
    servers = Servers(layout)
    logs = layout.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for party in parties:
            with (logs / f"{party}.log").open("ab") as log:
                servers.procs[party] = subprocess.Popen(
                    serve_command(
                        layout, party, (workers_of or {}).get(party, workers), access_log=access_log
                    ),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=clean_env() | office_clock_env(layout),
                    start_new_session=True,  # its own process group: stopped with its workers
                )
        for party in parties:
            wait_ready(layout, party, servers.procs[party])
        yield servers
    finally:
        stop(servers)


def stop(servers: Servers) -> None:
    """SIGTERM each server's process group; SIGKILL what is left after a grace period."""
    for proc in servers.procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in servers.procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def server_client_context(layout: Layout) -> ssl.SSLContext:
    """What the center presents to a municipal server (also good for probing the center)."""
    from kofu.netpki.tls import client_context

    return client_context(layout.home, server_name="center")


def wait_ready(layout: Layout, party: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll the party until it answers HTTP (its app built, its migrations done)."""
    path = {
        "jpki": "/crl/auth.crl",
        "municipal": "/v1/health",
        "center": "/v1/notices?terminal_id=probe",
        "verify": "/healthz",
    }[party]
    verify: ssl.SSLContext | bool = (
        server_client_context(layout) if layout.url(party).startswith("https") else False
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (layout.home / "logs" / f"{party}.log").read_text(errors="replace")
            raise RuntimeError(f"{party} exited with {proc.returncode}:\n{log[-3000:]}")
        try:
            answer = httpx.get(layout.url(party) + path, verify=verify, timeout=2)
            if answer.status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{party} did not answer within {timeout} s")


def peak_rss_kib(pids: Sequence[int]) -> dict[int, int]:
    """VmHWM (peak resident set, KiB) of each process and its descendants, by pid."""
    from kofu.procstat import descendants

    found: dict[int, int] = {}
    for pid in descendants(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    found[pid] = int(line.split()[1])
        except OSError:
            continue
    return found
