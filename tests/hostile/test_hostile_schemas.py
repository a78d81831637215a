"""Schemathesis against every app's OpenAPI schema (issue 6 §3): no 5xx, no undocumented status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from hostile_world import OHIRA, PIN, TERMINAL, AsOwnPage, HostileWorld
from schema_fuzz import fuzz_app, live_ids
from schemathesis import GenerationMode

from kofu.kiosk.app import build_service
from kofu.kiosk.app import create_app as create_kiosk
from kofu.kiosk.config import KioskConfig
from kofu.netpki import authority
from kofu.netpki.roles import Role
from party_support import PeerCertificate


def test_center_schema_fuzz(world: HostileWorld) -> None:
    """The center answers every generated request with a documented status and never a 5xx."""
    report = fuzz_app(world.center_app, examples=20)
    print(report.operations, dict(report.statuses))
    assert not report.findings, report.text()


def test_municipal_schema_fuzz(world: HostileWorld) -> None:
    """The municipal server likewise."""
    report = fuzz_app(world.municipal_app, examples=20)
    print(report.operations, dict(report.statuses))
    assert not report.findings, report.text()


def test_center_schema_fuzz_signed_in(world: HostileWorld) -> None:
    """The same with a live signed-in session and its terminal in every case (the services are reached)."""
    card = world.issue(world.person())
    session_id, challenge = world.open(TERMINAL)
    reply = world.center.post(
        f"/v1/sessions/{session_id}/authenticate",
        json=world.card_answer(card, session_id, challenge, TERMINAL),
    )
    assert reply.status_code == 200, reply.text
    ids = {"session_id": session_id, "terminal_id": TERMINAL, "municipality_code": OHIRA}
    report = fuzz_app(world.center_app, examples=20, prepare=live_ids(ids), modes=(GenerationMode.POSITIVE,))
    print(report.operations, dict(report.statuses))
    assert not report.findings, report.text()


def test_municipal_schema_fuzz_known_card(world: HostileWorld) -> None:
    """The municipal server with a known card's serial in every case."""
    card = world.issue(world.person())
    ids = {"auth_serial": f"{card.auth_serial:x}", "municipality_code": OHIRA}
    report = fuzz_app(
        world.municipal_app, examples=20, prepare=live_ids(ids), modes=(GenerationMode.POSITIVE,)
    )
    print(report.operations, dict(report.statuses))
    assert not report.findings, report.text()


def _kiosk_app(world: HostileWorld) -> Any:
    """The kiosk of terminal T-0001 against the world's center, with one demo card (PIN 1234) in its tray."""
    card = world.issue(world.person())
    entry = {"card": str(card.path), "pin": PIN, "person": card.person_id, "label": "hostile"}
    (world.home / "demo-cards.json").write_text(json.dumps([entry]), encoding="utf-8")
    config = KioskConfig(home=world.home, terminal_id=TERMINAL)
    return AsOwnPage(create_kiosk(config, service=build_service(config, center_http=world.center)))


def test_kiosk_schema_fuzz(world: HostileWorld) -> None:
    """The kiosk's page API: every generated request (a random walk over its screens) is answered well."""
    app = _kiosk_app(world)
    client = TestClient(app)
    assert client.post("/api/start").status_code == 200
    assert client.post("/api/tray/place", json={"index": 0}).status_code == 200
    report = fuzz_app(app, examples=12)
    print(report.operations, dict(report.statuses))
    assert not report.findings, report.text()


def _certificate(home: Path, role: Role) -> bytes:
    """A network certificate (DER) of `role` from a CA of its own under `home`."""
    authority.ensure_ca(home)
    issued = (
        authority.issue_terminal(home, TERMINAL)
        if role is Role.TERMINAL
        else authority.issue_server(home, role.value, role=role)
    )
    return x509.load_pem_x509_certificate(issued.cert_path.read_bytes()).public_bytes(Encoding.DER)


@pytest.mark.parametrize(
    ("app", "role"),
    [
        ("center", Role.TERMINAL),
        ("center", Role.MUNICIPAL),
        ("municipal", Role.CENTER),
        ("municipal", Role.TERMINAL),
    ],
)
def test_schema_fuzz_over_mutual_tls(world: HostileWorld, tmp_path: Path, app: str, role: Role) -> None:
    """The apps as mutual TLS serves them, each case carrying a peer certificate of `role` (the caller
    the route admits, and one it refuses): documented answers only, never a 5xx."""
    served = world.center_app if app == "center" else world.municipal_app
    report = fuzz_app(PeerCertificate(served, _certificate(tmp_path, role)), examples=12)
    print(app, role, report.operations, dict(report.statuses))
    assert not report.findings, report.text()
    if (app, role) == ("center", Role.MUNICIPAL):
        assert set(report.statuses) <= {403, 404, 405}, report.statuses  # refused at the door
    if (app, role) == ("municipal", Role.TERMINAL):  # refused at the door; its published keys are public
        assert report.statuses[200] == 1 and set(report.statuses) <= {200, 403, 404, 405}, report.statuses
