"""What the center app needs: its database, the JPKI trust anchors and OCSP, its municipalities, TLS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Strict

from kofu.center.ratelimit import CARD_LIMIT, Limit
from kofu.db import WORKER_THREADS, WorkerThreads
from kofu.layout import Layout
from kofu.settings import FilePath, Positive, Settings, Table, Whole
from kofu.wire.statements import KEY_FILE, center_key_path


@dataclass(frozen=True)
class MunicipalityEntry:
    """A municipality to put into the register at start (code → its server's base URL)."""

    code: str
    name_ja: str
    name_en: str
    base_url: str


@dataclass(frozen=True)
class CenterConfig:
    """The center.

    `db_url`: orders, registers, challenges, sessions, card routes (and the verification register
    unless `verify_db_url` names another database). `jpki_auth_ca` / `jpki_sign_ca`: PEM certificates
    of the two card CAs; `ocsp_url`: the JPKI responder. `card_records_url`: a registry database whose
    card links serve DAY-1 instead of the center's own `center_cards` table. `tls_home`: the network PKI
    home (`kofu.netpki`) for mutual TLS to the municipal servers as `tls_server_name`; None = plain HTTP.
    `card_limit`: authentications per card (a burst of `capacity`, refilled over `per_seconds`).
    `worker_threads`: each worker's handler threads, and its pooled PostgreSQL connections.
    `docs`: serve the API docs (`/docs`, `/redoc`, `/openapi.json`); off, the schema is for code only.
    `statement_key`: the center's key that signs its statements to municipal servers (made on first use).
    `home`: where the audit keys live (keys/audit, created if missing); None (tests) keeps an unkeyed
    audit chain, which anyone who can write the database can rewrite.
    """

    db_url: str
    jpki_auth_ca: Path
    jpki_sign_ca: Path | None = None
    ocsp_url: str = "http://127.0.0.1:8800/ocsp"
    municipalities: tuple[MunicipalityEntry, ...] = ()
    card_records_url: str | None = None
    verify_db_url: str | None = None
    tls_home: Path | None = None
    tls_server_name: str = "center"
    require_terminal_cert: bool = False  # STR-1 over mTLS: the body's terminal id must be the peer's
    session_minutes: int = 15
    municipal_timeout: float = 10.0
    card_limit: Limit = CARD_LIMIT  # a resident never meets it; a card tried over and over does
    migrate: bool = True
    worker_threads: int = WORKER_THREADS
    docs: bool = False
    statement_key: Path = Path("var") / "keys" / "center" / KEY_FILE
    home: Path | None = None


class MunicipalityTable(BaseModel):
    """One `[[center.municipalities]]` entry."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    code: str
    name_ja: str
    name_en: str
    base_url: str


class CenterTable(Table):
    """The `[center]` table (`KOFU_CENTER__<KEY>`); each key as in `CenterConfig`, and:

    db_url: empty for the home's center database (`kofu.layout`); verify_db_url: empty for the
    home's verification register (the center's database when `db_url` or KOFU_DATABASE_URL is set);
    jpki_auth_ca / jpki_sign_ca: unset for the JPKI
    certificates under the home; tls: mutual TLS with the network PKI under the home;
    require_terminal_cert: unset for as `tls`; card_rate_capacity / card_rate_seconds: the per-card
    authentication limit; docs: serve `/docs`, `/redoc` and `/openapi.json`; statement_key: unset for
    the center's key under the home.
    """

    table: ClassVar[str] = "center"
    db_url: str = ""
    jpki_auth_ca: FilePath | None = None
    jpki_sign_ca: FilePath | None = None
    ocsp_url: str = CenterConfig.ocsp_url
    municipalities: Annotated[tuple[MunicipalityTable, ...], Strict(False)] = ()
    card_records_url: str | None = None
    verify_db_url: str | None = None
    tls: bool = False
    tls_server_name: str = CenterConfig.tls_server_name
    require_terminal_cert: bool | None = None
    session_minutes: Whole = CenterConfig.session_minutes
    municipal_timeout: Positive = CenterConfig.municipal_timeout
    card_rate_capacity: Whole = CARD_LIMIT.capacity
    card_rate_seconds: Positive = CARD_LIMIT.per_seconds
    migrate: bool = CenterConfig.migrate
    worker_threads: WorkerThreads = CenterConfig.worker_threads
    docs: bool = CenterConfig.docs
    statement_key: FilePath | None = None  # made on first use: need not exist yet


def build_config_from_settings(settings: Settings) -> CenterConfig:
    """The center's config from the settings' `[center]` table (a wrong key or value: SettingsError)."""
    table = CenterTable.read(settings.center)
    jpki = settings.home / "keys" / "jpki"
    layout = Layout.of(settings)
    # The home's own files: the register where `kofu verify` reads it (one database: the center's engine)
    home_register = None if table.db_url or layout.register == layout.center else layout.register
    return table.into(
        CenterConfig,
        db_url=table.db_url or layout.center,
        verify_db_url=table.verify_db_url or home_register,
        jpki_auth_ca=table.jpki_auth_ca or jpki / "auth-ca.pem",
        jpki_sign_ca=table.jpki_sign_ca or jpki / "sign-ca.pem",
        municipalities=tuple(MunicipalityEntry(**m.model_dump()) for m in table.municipalities),
        tls_home=settings.home if table.tls else None,
        require_terminal_cert=table.tls
        if table.require_terminal_cert is None
        else table.require_terminal_cert,
        card_limit=Limit(capacity=table.card_rate_capacity, per_seconds=table.card_rate_seconds),
        statement_key=table.statement_key or center_key_path(settings.home),
        home=settings.home,
    )
