"""Fixtures of the incident suite: one deployed stack per backend and test module, torn down always."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from incident_stack import Stack, open_all_day_rulebook

from kofu.chaos.stack import make_document_keys, scratch_databases
from kofu.jpki.authority import init_authorities

PG_SKIP = (
    "PostgreSQL tests skipped: set KOFU_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test "
    "(scripts/test and .ci/run set it when PostgreSQL is reachable)"
)


@pytest.fixture(scope="session")
def incident_ca_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JPKI authorities, made once per test worker."""
    folder = tmp_path_factory.mktemp("incident-jpki") / "jpki"
    init_authorities(folder)
    return folder


@pytest.fixture(scope="session")
def incident_document_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ōhira's sealing keys and a verifier's key pair, made once per test worker (each stack's home gets
    the sealing keys and the verifier's public key)."""
    return make_document_keys(tmp_path_factory.mktemp("incident-docs"))


@contextmanager
def _postgres_databases(names: list[str]) -> Iterator[dict[str, str]]:
    admin_url = os.environ.get("KOFU_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip(PG_SKIP)
    with scratch_databases(admin_url, names, "kofu_inc") as urls:
        yield urls


def _stack(backend: str, home: Path, urls: dict[str, str], ca: Path, docs: Path) -> Iterator[Stack]:
    stack = Stack(backend, home, urls["registry"], urls["center"], urls["jpki"])
    try:
        stack.prepare(ca, docs)
        stack.start_parties(open_all_day_rulebook(home))
        yield stack
    finally:
        stack.stop_all()
        stack.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    incident_ca_keys: Path,
    incident_document_keys: Path,
) -> Iterator[Stack]:
    """Every party deployed as `kofu serve` processes (2 workers for center and municipal server)."""
    home = tmp_path_factory.mktemp(f"incident-{request.param}")
    names = ["registry", "center", "jpki"]
    if request.param == "sqlite":
        urls = {name: f"sqlite:///{home / 'db' / f'{name}.db'}" for name in names}
        (home / "db").mkdir()
        yield from _stack("sqlite", home, urls, incident_ca_keys, incident_document_keys)
    else:
        with _postgres_databases(names) as urls:
            yield from _stack("postgresql", home, urls, incident_ca_keys, incident_document_keys)
