"""What the center app needs: its database, the JPKI trust anchors and OCSP, its municipalities, TLS."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kofu.center.ratelimit import CARD_LIMIT, Limit
from kofu.db import WORKER_THREADS, worker_threads
from kofu.settings import Settings


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
    home: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_KNOWN = {
    "db_url",
    "jpki_auth_ca",
    "jpki_sign_ca",
    "ocsp_url",
    "municipalities",
    "card_records_url",
    "verify_db_url",
    "tls",
    "tls_server_name",
    "require_terminal_cert",
    "session_minutes",
    "municipal_timeout",
    "card_rate_capacity",
    "card_rate_seconds",
    "migrate",
    "worker_threads",
}


def build_config_from_settings(settings: Settings, section: str = "center") -> CenterConfig:
    """A config from the `[center]` table of the settings file.

    Keys: db_url (default: the settings' database), jpki_auth_ca / jpki_sign_ca (default: the JPKI
    keys under the home), ocsp_url, municipalities (a list of {code, name_ja, name_en, base_url}),
    card_records_url, verify_db_url, tls (bool: mutual TLS with the network PKI under the home),
    tls_server_name, require_terminal_cert, session_minutes, municipal_timeout, card_rate_capacity /
    card_rate_seconds (the per-card authentication limit, default 5 per 60 s), migrate, worker_threads.
    """
    raw: dict[str, Any] = dict(settings.extra.get(section) or {})
    unknown = set(raw) - _KNOWN
    if unknown:
        raise ValueError(f"unknown keys in [{section}]: {', '.join(sorted(unknown))}")
    jpki = settings.home / "keys" / "jpki"
    municipalities = tuple(
        MunicipalityEntry(str(m["code"]), str(m["name_ja"]), str(m["name_en"]), str(m["base_url"]))
        for m in raw.get("municipalities", ())
    )
    tls = bool(raw.get("tls", False))
    return CenterConfig(
        db_url=str(raw.get("db_url") or settings.db_url),
        jpki_auth_ca=Path(raw.get("jpki_auth_ca") or jpki / "auth-ca.pem"),
        jpki_sign_ca=Path(raw.get("jpki_sign_ca") or jpki / "sign-ca.pem"),
        ocsp_url=str(raw.get("ocsp_url") or CenterConfig.ocsp_url),
        municipalities=municipalities,
        card_records_url=raw.get("card_records_url"),
        verify_db_url=raw.get("verify_db_url"),
        tls_home=settings.home if tls else None,
        tls_server_name=str(raw.get("tls_server_name", "center")),
        require_terminal_cert=bool(raw.get("require_terminal_cert", tls)),
        session_minutes=int(raw.get("session_minutes", 15)),
        municipal_timeout=float(raw.get("municipal_timeout", 10.0)),
        card_limit=_card_limit(raw),
        migrate=bool(raw.get("migrate", True)),
        worker_threads=worker_threads(raw.get("worker_threads", WORKER_THREADS), section),
        home=settings.home,
    )


def _card_limit(raw: dict[str, Any]) -> Limit:
    """The per-card authentication limit of the settings (at least one attempt, over a positive time)."""
    capacity = int(raw.get("card_rate_capacity", CARD_LIMIT.capacity))
    seconds = float(raw.get("card_rate_seconds", CARD_LIMIT.per_seconds))
    if capacity < 1 or not seconds > 0:
        raise ValueError("card_rate_capacity must be at least 1 and card_rate_seconds above 0")
    return Limit(capacity=capacity, per_seconds=seconds)
