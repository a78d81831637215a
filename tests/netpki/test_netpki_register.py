"""STR-1 end to end: an app behind mutual TLS admits only terminals the register knows by certificate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import registers
from kofu.center.schema import migrate_center
from kofu.db import make_engine, session_factory, transaction
from kofu.netpki import authority
from kofu.netpki.tls import client_context, scope_peer_certificate, scope_terminal_id
from kofu.rules.decision import Refused
from kofu.wire.common import ErrorBody, error_responses, http_status
from netpki_helpers import get, serving

NOW = datetime(2026, 4, 1, 3, tzinfo=UTC)


def make_app(factory: sessionmaker[Session]) -> FastAPI:
    """What the center's app does first on every request: who is this terminal, and is it registered?"""
    app = FastAPI()

    @app.get("/terminal", responses=error_responses(403))
    def terminal(request: Request) -> object:
        cert = scope_peer_certificate(request.scope)
        terminal_id = scope_terminal_id(request.scope) or ""
        with factory() as s:
            found = registers.authorise_terminal(s, terminal_id, cert.serial_number if cert else None)
        if isinstance(found, Refused):
            return JSONResponse(ErrorBody.of(found).model_dump(mode="json"), status_code=http_status(found))
        return {"terminal_id": found.terminal_id, "chain": found.chain}

    return app


@pytest.fixture
def setup(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Path, str]]:
    home = tmp_path / "home"
    authority.create_ca(home)
    authority.issue_server(home, "center")
    known = authority.issue_terminal(home, "T-REG-0001")
    authority.issue_terminal(home, "T-UNREG-0002")
    migrate_center(sqlite_url)
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    with transaction(factory) as s:
        registers.add_terminal(
            s,
            terminal_id="T-REG-0001",
            chain="lawson",
            store_code="L1",
            store_name="店",
            cert_serial=known.serial,
            now=NOW,
        )
    with serving(make_app(factory), home) as url:
        yield home, url + "terminal"
    engine.dispose()


def test_str1_registered_terminal_with_its_certificate_is_admitted(setup: tuple[Path, str]) -> None:
    """STR-1: registered terminal + the certificate the register names → admitted, identified by TLS."""
    home, url = setup
    response = get(url, client_context(home, terminal_id="T-REG-0001"))
    assert response.status_code == 200 and response.json() == {"terminal_id": "T-REG-0001", "chain": "lawson"}


def test_str1_valid_certificate_but_unregistered_terminal_is_refused(setup: tuple[Path, str]) -> None:
    """STR-1: a network certificate alone is not enough; the terminal must be in the register."""
    home, url = setup
    response = get(url, client_context(home, terminal_id="T-UNREG-0002"))
    assert response.status_code == 403 and response.json()["reason"] == "terminal_unknown"


def test_str1_registered_terminal_with_another_certificate_is_refused(setup: tuple[Path, str]) -> None:
    """STR-1: a re-issued certificate the register does not know (e.g. a copied ID) is refused."""
    home, url = setup
    authority.issue_terminal(home, "T-REG-0001")  # a new key and serial, not registered
    response = get(url, client_context(home, terminal_id="T-REG-0001"))
    assert response.status_code == 403 and response.json()["reason"] == "terminal_unknown"
