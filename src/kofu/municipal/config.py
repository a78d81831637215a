"""What a municipal server needs: its registry, its rulebook, its document keys, its own small tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kofu.db import WORKER_THREADS, worker_threads
from kofu.documents.published import verifier_public_path
from kofu.settings import Settings
from kofu.wire.statements import PUBLIC_FILE, center_key_path


@dataclass(frozen=True)
class MunicipalConfig:
    """One municipality's server.

    `registry_url`: its registry copy (kofu.registry); `db_url`: its own tables (document numbers),
    the registry's database by default; `home`: where its sealing keys live (keys/documents/CODE);
    `verifier_public_key`: the verification service's public key (PEM) the content copy is encrypted
    to, by default `home`/keys/verify/verifier.pub.pem; `worker_threads`: each worker's handler threads,
    and its pooled PostgreSQL connections; `center_key`: the center's public statement key (default:
    the center's, under `home`).
    """

    registry_url: str
    rulebook: str = "ohira"
    home: Path = Path("var")
    db_url: str = ""
    migrate: bool = True  # bring its own tables (and the registry's) to head at start
    render_slots: int = 4  # documents rendered at once per worker process
    worker_threads: int = WORKER_THREADS
    verifier_public_key: Path | None = None
    center_key: Path | None = None

    @property
    def own_db_url(self) -> str:
        return self.db_url or self.registry_url

    @property
    def verifier_public_path(self) -> Path:
        return self.verifier_public_key or verifier_public_path(self.home)

    @property
    def center_key_path(self) -> Path:
        return self.center_key or center_key_path(self.home).with_name(PUBLIC_FILE)


def build_config_from_settings(settings: Settings, section: str = "municipal") -> MunicipalConfig:
    """A config from the `[municipal]` table of the settings file (unknown keys are refused).

    Keys: registry_url (default: the settings' database), rulebook, db_url, migrate, render_slots,
    worker_threads, verifier_public_key (a PEM file; default: $KOFU_HOME/keys/verify/verifier.pub.pem),
    center_key.
    """
    raw: dict[str, Any] = dict(settings.extra.get(section) or {})
    known = {
        "registry_url",
        "rulebook",
        "db_url",
        "migrate",
        "render_slots",
        "worker_threads",
        "verifier_public_key",
        "center_key",
    }
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown keys in [{section}]: {', '.join(sorted(unknown))}")
    return MunicipalConfig(
        registry_url=str(raw.get("registry_url") or settings.db_url),
        rulebook=str(raw.get("rulebook") or (settings.rulebooks[0] if settings.rulebooks else "ohira")),
        home=settings.home,
        db_url=str(raw.get("db_url") or ""),
        migrate=bool(raw.get("migrate", True)),
        render_slots=_positive(raw.get("render_slots", 4), "render_slots"),
        worker_threads=worker_threads(raw.get("worker_threads", WORKER_THREADS), section),
        verifier_public_key=Path(str(raw["verifier_public_key"])) if raw.get("verifier_public_key") else None,
        center_key=Path(raw["center_key"]) if raw.get("center_key") else None,
    )


def _positive(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"[municipal] {key} must be a whole number of at least 1")
    return value
