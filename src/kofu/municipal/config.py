"""What a municipal server needs: its registry, its rulebook, its document keys, its own small tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kofu.db import WORKER_THREADS, WorkerThreads
from kofu.settings import Settings, Table, Whole


@dataclass(frozen=True)
class MunicipalConfig:
    """One municipality's server.

    `registry_url`: its registry copy (kofu.registry); `db_url`: its own tables (document numbers),
    the registry's database by default; `home`: where its document keys live (keys/documents/CODE);
    `worker_threads`: each worker's handler threads, and its pooled PostgreSQL connections;
    `docs`: serve the API docs (`/docs`, `/redoc`, `/openapi.json`).
    """

    registry_url: str
    rulebook: str = "ohira"
    home: Path = Path("var")
    db_url: str = ""
    migrate: bool = True  # bring its own tables (and the registry's) to head at start
    render_slots: int = 4  # documents rendered at once per worker process
    worker_threads: int = WORKER_THREADS
    docs: bool = False

    @property
    def own_db_url(self) -> str:
        return self.db_url or self.registry_url


class MunicipalTable(Table):
    """The `[municipal]` table (`KOFU_MUNICIPAL__<KEY>`); each key as in `MunicipalConfig`, and:

    registry_url: empty for the settings' database; rulebook: empty for the settings' first rulebook.
    """

    table: ClassVar[str] = "municipal"
    registry_url: str = ""
    rulebook: str = ""
    db_url: str = MunicipalConfig.db_url
    migrate: bool = MunicipalConfig.migrate
    render_slots: Whole = MunicipalConfig.render_slots
    worker_threads: WorkerThreads = MunicipalConfig.worker_threads
    docs: bool = MunicipalConfig.docs


def build_config_from_settings(settings: Settings) -> MunicipalConfig:
    """The server's config from the settings' `[municipal]` table (a wrong key or value: SettingsError)."""
    table = MunicipalTable.read(settings.municipal)
    return table.into(
        MunicipalConfig,
        registry_url=table.registry_url or settings.db_url,
        rulebook=table.rulebook or (settings.rulebooks[0] if settings.rulebooks else "ohira"),
        home=settings.home,
    )
