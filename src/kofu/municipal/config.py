"""What a municipal server needs: its registry, its rulebook, its document keys, its own small tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kofu.db import WORKER_THREADS, WorkerThreads
from kofu.documents.published import verifier_public_path
from kofu.layout import Layout, municipal_rulebook
from kofu.settings import FilePath, Settings, Table, Whole
from kofu.wire.statements import PUBLIC_FILE, center_key_path


@dataclass(frozen=True)
class MunicipalConfig:
    """One municipality's server.

    `registry_url`: its registry copy (kofu.registry); `db_url`: its own tables (document numbers),
    the registry's database by default; `home`: where its sealing keys live (keys/documents/CODE);
    `verifier_public_key`: the verification service's public key (PEM) the content copy is encrypted
    to, by default `home`/keys/verify/verifier.pub.pem; `worker_threads`: each worker's handler threads,
    and its pooled PostgreSQL connections; `center_key`: the center's public statement key (default:
    the center's, under `home`); `docs`: serve the API docs (`/docs`, `/redoc`, `/openapi.json`).
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
    docs: bool = False

    @property
    def own_db_url(self) -> str:
        return self.db_url or self.registry_url

    @property
    def verifier_public_path(self) -> Path:
        return self.verifier_public_key or verifier_public_path(self.home)

    @property
    def center_key_path(self) -> Path:
        return self.center_key or center_key_path(self.home).with_name(PUBLIC_FILE)


class MunicipalTable(Table):
    """The `[municipal]` table (`KOFU_MUNICIPAL__<KEY>`); each key as in `MunicipalConfig`, and:

    registry_url: empty for the home's registry of the rulebook (`kofu.layout`); rulebook: empty for
    the settings' first rulebook.
    """

    table: ClassVar[str] = "municipal"
    registry_url: str = ""
    rulebook: str = ""
    db_url: str = MunicipalConfig.db_url
    migrate: bool = MunicipalConfig.migrate
    render_slots: Whole = MunicipalConfig.render_slots
    worker_threads: WorkerThreads = MunicipalConfig.worker_threads
    docs: bool = MunicipalConfig.docs
    verifier_public_key: FilePath | None = None
    center_key: FilePath | None = None


def build_config_from_settings(settings: Settings) -> MunicipalConfig:
    """The server's config from the settings' `[municipal]` table (a wrong key or value: SettingsError)."""
    table = MunicipalTable.read(settings.municipal)
    return table.into(
        MunicipalConfig,
        registry_url=Layout.of(settings).municipal_registry(settings),  # where `kofu village` works too
        rulebook=municipal_rulebook(settings),
        home=settings.home,
    )
