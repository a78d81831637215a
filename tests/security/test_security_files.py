"""T10: nothing left to read: what kofu writes under its home, and what a kiosk leaves when power goes.

The kiosk's session record and print spool are sealed with a key held only in the kiosk's memory and
dropped at the session's wipe (crypto-shredding), so neither a power loss nor an older version of a file
left by a rename gives anything back; a restarted kiosk ends the session it lost with its cash and order
accounted for; a CUPS queue that keeps job files is refused; databases, folders and files are the owner's
only, whatever the umask; uvicorn's access log names no session, order or document.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from doc_support import bound_headers
from kofu.chaos.stack import free_port
from kofu.db import make_engine
from kofu.jpki.testbed import Testbed, open_testbed
from kofu.kiosk.api_models import DetailsRequest, Screen
from kofu.kiosk.app import build_service, create_app
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cash import CashRecord
from kofu.kiosk.devices.printer import Binding, CupsPrinter, Printed, PrintFailed
from kofu.kiosk.service import KioskService
from kofu.kiosk.store import KioskStore
from kofu.verify.register import migrate_verify

sys.path.insert(0, str(Path(__file__).parents[1] / "kiosk"))  # the kiosk tests' center double
from kiosk_doubles import FAMILY_LABEL, OWN, OWN_LABEL, TERMINAL, FakeCenterApi, FakeClock, write_demo_cards

NAMES = (OWN_LABEL, FAMILY_LABEL, "大衡")


class PowerLoss(BaseException):
    """The kiosk loses power: nothing after this point runs (not an error any code may catch)."""


@dataclass
class Terminal:
    """One kiosk terminal: its configuration, the center double and clock it runs against."""

    config: KioskConfig
    center: FakeCenterApi
    http: httpx.Client
    clock: FakeClock

    def start(self) -> KioskService:
        """The kiosk process starting (again): a new service over the same folders."""
        return build_service(self.config, center_http=self.http, clock=self.clock)

    def cash(self) -> CashRecord:
        return KioskStore(self.config.state_dir).read("cash", CashRecord) or CashRecord()


@pytest.fixture(scope="module")
def files_testbed(tmp_path_factory: pytest.TempPathFactory) -> Testbed:
    folder = tmp_path_factory.mktemp("files-jpki")
    return open_testbed(folder, f"sqlite:///{folder / 'jpki.db'}")


@pytest.fixture
def terminal(kofu_home: Path, files_testbed: Testbed) -> Iterator[Terminal]:
    write_demo_cards(kofu_home, [files_testbed.issue(OWN)], ["1234"])
    config = KioskConfig(home=kofu_home, terminal_id=TERMINAL, session_timeout_s=60)
    center = FakeCenterApi(home=kofu_home)
    http = httpx.Client(base_url="http://center.test", transport=center.transport())
    yield Terminal(config, center, http, FakeClock())
    http.close()


@pytest.fixture
def umask() -> Iterator[None]:
    """A permissive umask (group and others may read) for the test; restored after."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _kiosk_files(config: KioskConfig) -> dict[Path, bytes]:
    """Every byte the kiosk keeps at rest: its state folder and its spool."""
    found = {}
    for folder in (config.state_dir, config.spool_dir):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                found[path] = path.read_bytes()
    return found


def _readable_names(blob: bytes) -> list[str]:
    """The household names readable in `blob` (UTF-8 or JSON-escaped)."""
    found = []
    for name in NAMES:
        escaped = name.encode("unicode_escape").decode().replace("\\u", "\\\\u")
        if name.encode() in blob or re.search(escaped.encode(), blob, flags=re.I):
            found.append(name)
    return found


def _to_cash(service: KioskService, cash: int = 500) -> None:
    service.start()
    service.place_card(0)
    assert service.submit_pin("1234").screen is Screen.MUNICIPALITY
    assert service.choose_municipality("044245").screen is Screen.KIND
    service.choose_kind("juminhyo")
    assert (
        service.submit_details(DetailsRequest(persons=(), option="setai_nushi", copies=1)).screen
        is Screen.FEE
    )
    service.accept_fee()
    service.insert_cash(cash)


def _started(service: KioskService) -> None:
    """The kiosk app starting up (its lifespan runs), then stopping."""
    with TestClient(create_app(service.config, service=service)):
        pass


# --- the session record -----------------------------------------------------------------------------


def test_T10_session_store_holds_no_household_names(terminal: Terminal) -> None:
    """T10: the session record, while the household's menu is on screen, shows no name on disk."""
    service = terminal.start()
    service.start()
    service.place_card(0)
    service.submit_pin("1234")
    view = service.choose_municipality("044245")
    assert view.screen is Screen.KIND and OWN_LABEL in view.model_dump_json()
    files = _kiosk_files(terminal.config)
    assert any(path.stem == "session" for path in files)
    for path, blob in files.items():
        assert not _readable_names(blob), f"{path.name} shows {_readable_names(blob)}"


def test_T10_older_session_versions_are_unreadable_after_the_wipe(terminal: Terminal) -> None:
    """T10: every version of the session file (as blocks left by a rename keep it) is unreadable once the
    session ended, even put back in place, and even by the process that wrote it."""
    service = terminal.start()
    session = terminal.config.state_dir / "session.json"
    versions: list[bytes] = []

    def keep() -> None:
        versions.append(session.read_bytes())

    service.start()
    keep()
    service.place_card(0)
    service.submit_pin("1234")
    keep()
    service.choose_municipality("044245")
    keep()
    service.choose_kind("juminhyo")
    keep()
    assert service.finish().screen is Screen.TAKE
    assert not session.exists()
    service.take_card()
    for old in versions:
        assert not _readable_names(old)
        session.write_bytes(old)  # an old version, as a disk's free blocks may keep it
        view = service.state()
        assert view.screen is Screen.IDLE and view.menu is None and view.municipalities == ()
        assert OWN_LABEL not in view.model_dump_json()


# --- power loss and restart ---------------------------------------------------------------------------


def test_T10_a_kiosk_that_lost_power_after_printing_keeps_nothing_readable(
    terminal: Terminal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T10: power goes after the print, before the confirmation: the spooled PDF is sealed, and swept
    when the kiosk starts again; the order is voided and the cash returned (the paper was never charged)."""
    service = terminal.start()
    _to_cash(service)

    def lose_power(*_args: Any) -> None:
        raise PowerLoss

    monkeypatch.setattr(service.center, "confirm", lose_power)
    with pytest.raises(PowerLoss):
        service.pay_and_print()
    spool = list(terminal.config.spool_dir.iterdir())
    assert spool, "the print left its spool file (the power went before the confirmation)"
    for blob in [p.read_bytes() for p in spool]:
        assert b"%PDF" not in blob and not _readable_names(blob)
    restarted = terminal.start()
    _started(restarted)
    assert list(terminal.config.spool_dir.iterdir()) == []
    order = next(iter(terminal.center.orders.values()))
    assert order["state"] == "voided" and not order.get("charged")
    cash = terminal.cash()
    assert (cash.inserted, cash.held, cash.kept, cash.paid_out) == (0, 0, 0, 500)
    assert terminal.center.sessions == {}, "the center's session is closed"
    assert "session" not in restarted.store.names()


def test_T10_a_restart_mid_session_ends_it_with_cash_and_order_accounted_for(terminal: Terminal) -> None:
    """The session's key died with the process: the restarted kiosk cannot read the session, so it ends
    it: the quoted order voided, the cash inserted returned, the center's session closed, the person told."""
    service = terminal.start()
    _to_cash(service)
    del service  # the process is gone
    restarted = terminal.start()
    _started(restarted)
    order = next(iter(terminal.center.orders.values()))
    assert order["state"] == "voided" and not order.get("charged")
    cash = terminal.cash()
    assert (cash.inserted, cash.held, cash.kept, cash.paid_out) == (0, 0, 0, 500)
    assert terminal.center.deleted and terminal.center.sessions == {}
    view = restarted.state()
    assert view.screen is Screen.TAKE and view.card_present and view.menu is None
    assert view.message is not None and view.message.code == "interrupted" and view.paid_out == 500


def test_T10_a_restart_after_the_confirmation_went_out_keeps_the_fee(
    terminal: Terminal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Power goes just after the center charged the printed order: the restarted kiosk confirms again
    (same key: the center's answer is the same), keeps the fee and returns only the change."""
    service = terminal.start()
    _to_cash(service)
    real_confirm = service.center.confirm

    def confirm_then_lose_power(*args: Any) -> None:
        real_confirm(*args)
        raise PowerLoss

    monkeypatch.setattr(service.center, "confirm", confirm_then_lose_power)
    with pytest.raises(PowerLoss):
        service.pay_and_print()
    restarted = terminal.start()
    _started(restarted)
    order = next(iter(terminal.center.orders.values()))
    assert order["state"] == "charged" and order["charged"] == 200
    cash = terminal.cash()
    assert (cash.inserted, cash.held, cash.kept, cash.paid_out) == (0, 0, 200, 300)
    assert list(terminal.config.spool_dir.iterdir()) == []


# --- CUPS -------------------------------------------------------------------------------------------


@pytest.fixture
def lp(tmp_path: Path) -> Path:
    """A stand-in for `lp` that writes what it was sent to `received.pdf`."""
    script = tmp_path / "lp"
    script.write_text(f"#!/bin/sh\ncat > {tmp_path}/received.pdf\n")
    script.chmod(0o700)
    return script


def _cupsd(tmp_path: Path, lines: str) -> Path:
    conf = tmp_path / "cupsd.conf"
    conf.write_text(
        "LogLevel warn\nMaxLogSize 0\nListen localhost:631\n" + lines + "<Location />\n</Location>\n"
    )
    return conf


@pytest.mark.parametrize(
    "lines",
    [
        "",  # CUPS's default keeps job files for a day
        "PreserveJobFiles Yes\n",
        "PreserveJobFiles on\n",
        "PreserveJobFiles 86400\n",
        "PreserveJobFiles 1d\n",
        "PreserveJobFiles No\nPreserveJobFiles Yes\n",  # the last one counts
        "# PreserveJobFiles No\n",
    ],
)
def test_T10_a_cups_queue_that_keeps_job_files_is_refused(
    tmp_path: Path, lp: Path, bound_document: tuple[bytes, Binding], lines: str
) -> None:
    """T10: CUPS keeps job files by default: the kiosk prints nothing through it and says how to fix it."""
    pdf, binding = bound_document
    printer = CupsPrinter("kofu", command=(str(lp),), cupsd_conf=_cupsd(tmp_path, lines))
    result = printer.print_document(
        pdf, bound_headers(binding.order_id, binding.requester_cert_digest), binding
    )
    assert isinstance(result, PrintFailed)
    assert "PreserveJobFiles No" in result.detail and "cupsd.conf" in result.detail
    assert not (tmp_path / "received.pdf").exists()


@pytest.mark.parametrize("lines", ["PreserveJobFiles No\n", "preservejobfiles off\n", "PreserveJobFiles 0\n"])
def test_T10_a_cups_queue_that_drops_job_files_prints(
    tmp_path: Path, lp: Path, bound_document: tuple[bytes, Binding], lines: str
) -> None:
    pdf, binding = bound_document
    printer = CupsPrinter("kofu", command=(str(lp),), cupsd_conf=_cupsd(tmp_path, lines))
    result = printer.print_document(
        pdf, bound_headers(binding.order_id, binding.requester_cert_digest), binding
    )
    assert result == Printed(binding.order_id, 1)
    assert (tmp_path / "received.pdf").read_bytes() == pdf


def test_T10_a_cups_kiosk_does_not_start_on_a_queue_that_keeps_job_files(
    kofu_home: Path, tmp_path: Path
) -> None:
    """The operator learns it at start (not from the first person's voided order); an unreadable
    cupsd.conf cannot be checked, so it is refused too."""
    for conf in (_cupsd(tmp_path, ""), tmp_path / "absent.conf"):
        config = KioskConfig(home=kofu_home, printer="cups", cupsd_conf=conf)
        with pytest.raises(ValueError, match="PreserveJobFiles No"):
            build_service(config)
    config = KioskConfig(home=kofu_home, printer="cups", cupsd_conf=_cupsd(tmp_path, "PreserveJobFiles No\n"))
    assert isinstance(build_service(config).printer, CupsPrinter)


@pytest.fixture(scope="module")
def bound_document(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Binding]:
    """A real sealed document bound to one order and requester."""
    import hashlib

    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import sealing_keys
    from kofu.rules.rulebook import load_rulebook
    from kofu.verify.key import verifier_key

    rulebook = load_rulebook("ohira")
    order_id, requester = str(uuid.uuid4()), b"the requester's certificate (DER)"
    content = samples.inkan(rulebook, order_id=order_id, requester=requester)
    home = tmp_path_factory.mktemp("dockeys")
    keys = sealing_keys(home, rulebook.code, rulebook.name)
    pdf = render_and_seal(content, keys, verifier_key(home).public)
    return pdf, Binding(order_id, hashlib.sha256(requester).hexdigest())


# --- modes of files and folders ---------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
def test_T10_databases_are_the_owners_only_whatever_the_umask(kofu_home: Path) -> None:
    """T10: an SQLite database (the registry holds 個人番号 and 住民票コード), its -wal and -shm files are
    0600 and its folder 0700, made so by kofu, not by the umask."""
    path = kofu_home / "db" / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE person (kojin_bango TEXT)"))
        conn.execute(text("INSERT INTO person VALUES ('123456789012')"))
        conn.commit()
        files = [path, path.with_name("registry.db-wal"), path.with_name("registry.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()
    assert _mode(path.parent) == 0o700
    migrated = kofu_home / "verify" / "register.db"
    migrate_verify(f"sqlite:///{migrated}")  # through Alembic, as every party's chain
    assert (_mode(migrated), _mode(migrated.parent)) == (0o600, 0o700)


@pytest.mark.usefixtures("umask")
def test_T10_a_database_made_by_an_older_kofu_is_tightened(kofu_home: Path) -> None:
    """A database left 0644 by an earlier version becomes 0600, with its -wal and -shm, when opened."""
    path = kofu_home / "old.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE t (x)")
    assert _mode(path) == 0o644
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("SELECT * FROM t"))
        assert _mode(path) == 0o600
        assert _mode(path.with_name("old.db-wal")) == 0o600
    engine.dispose()


@pytest.mark.usefixtures("umask")
def test_T10_the_home_and_the_kiosk_folders_are_the_owners_only(kofu_home: Path, terminal: Terminal) -> None:
    """T10: the home, its standard folders, the kiosk's state and spool (and the folders above them)."""
    from kofu.home import prepare_home
    from kofu.settings import Settings

    os.chmod(kofu_home, 0o755)  # as an earlier version left it
    prepare_home(Settings(home=kofu_home))
    service = terminal.start()
    _to_cash(service)
    folders = [kofu_home, *(kofu_home / sub for sub in ("keys", "cards", "spool", "logs", "artifacts"))]
    folders += [kofu_home / "kiosk", terminal.config.state_dir, terminal.config.spool_dir]
    assert {str(f): _mode(f) for f in folders} == {str(f): 0o700 for f in folders}
    files = [p for p in terminal.config.state_dir.iterdir() if p.is_file()]
    assert files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


@pytest.mark.usefixtures("umask")
def test_T10_card_authority_keys_and_certificates_are_the_owners_only(kofu_home: Path) -> None:
    """T10: the JPKI authorities' folder, keys and certificates, whatever the umask."""
    from kofu.jpki.authority import init_authorities

    folder = kofu_home / "keys" / "jpki"
    init_authorities(folder)
    files = sorted(folder.iterdir())
    assert files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert (_mode(folder), _mode(folder.parent)) == (0o700, 0o700)


# --- access logs ------------------------------------------------------------------------------------

SESSION_ID = "5f0c1d8e9a7b4c3d2e1f0a9b8c7d6e5f"
ORDER_ID = "3b2f8a44-6c1e-4d0b-9a51-7e2c9f0d1a6b"
DOCUMENT_NO = "044245-20260601-000123"


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    def anything(path: str) -> dict[str, str]:
        del path
        return {}

    return app


def _serve_and_call(config: uvicorn.Config, paths: list[str]) -> None:
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        for path in paths:
            httpx.post(f"http://127.0.0.1:{config.port}{path}", timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


PATHS = [
    f"/v1/sessions/{SESSION_ID}/authenticate",
    f"/v1/orders/{ORDER_ID}/document",
    f"/v1/sessions/{SESSION_ID}/menu?terminal_id=demo-0001&municipality_code=044245",
    f"/verify/{DOCUMENT_NO}",
]


def test_T10_access_logs_of_kofu_serve_name_no_ids(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """T10: `kofu serve` hands uvicorn a logging setup (structlog) whose access lines redact the session
    ID, the order ID and the document number in the path, and the query's values."""
    from kofu import serve as serve_module

    passed: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: passed.update(kwargs, target=target))
    monkeypatch.setenv("KOFU_CONFIG", "")
    config = tmp_path / "kofu.toml"
    config.write_text(f'home = "{tmp_path}"\n')
    serve_module.serve(serve_module.PartyName.CENTER, config, port=free_port())
    assert passed.get("log_config"), "uvicorn keeps its own log format"
    _serve_and_call(
        uvicorn.Config(_echo_app(), port=free_port(), log_level="info", log_config=passed["log_config"]),
        PATHS,
    )
    logged = capfd.readouterr()
    lines = [line for line in (logged.out + logged.err).splitlines() if "/v1/" in line or "/verify/" in line]
    assert len(lines) == len(PATHS), logged
    for secret in (SESSION_ID, ORDER_ID, DOCUMENT_NO, "demo-0001"):
        assert secret not in logged.out + logged.err
    assert any("/v1/orders/" in line and "/document" in line for line in lines)


def test_T10_access_logs_of_the_demo_name_no_ids(capfd: pytest.CaptureFixture[str]) -> None:
    """T10: the demo's servers log through the same setup."""
    from kofu.demo.server import server_config

    config = server_config(_echo_app(), "127.0.0.1", free_port(), log_level="info")
    _serve_and_call(config, PATHS)
    logged = capfd.readouterr()
    assert "/v1/orders/" in logged.out + logged.err, logged
    for secret in (SESSION_ID, ORDER_ID, DOCUMENT_NO):
        assert secret not in logged.out + logged.err
