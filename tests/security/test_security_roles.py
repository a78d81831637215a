"""T1 and the route × role table: every route of every app says who may call it, and only they get in.

T1: a kiosk's network certificate called the municipal server directly and got a household's names
(`/v1/menu`) and a sealed 住民票 (`/v1/render`) of any card serial: no PIN, no order, no fee. Now the
municipal server admits the center's role only, and a menu or a render also needs the center's signed
statement, served once: a stolen terminal certificate, or a replayed statement, renders nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuance_world import LONG_AGO, OFFICE_NOON, OHIRA, World
from kofu.municipal.models import DocumentNumber
from kofu.netpki import authority
from kofu.netpki.gate import ANYONE, KIOSK_PAGE, route_table
from kofu.netpki.roles import Role
from kofu.netpki.tls import client_context
from kofu.wire.statements import StatementSigner, center_key_path, signing_key
from netpki_helpers import serving
from party_support import PeerCertificate, center_statement

CALLERS: tuple[Role | None, ...] = (*Role, None)  # None: a TLS connection without a client certificate
SAMPLE = {"session_id": "s1", "order_id": str(uuid.uuid4()), "ca": "auth", "encoded": "AAAA"}


def _der(path: Path) -> bytes:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(serialization.Encoding.DER)


@pytest.fixture
def network(sqlite_world: World) -> dict[Role, bytes]:
    """A network CA under the world's home and one certificate (DER) per role."""
    home = sqlite_world.home
    authority.create_ca(home)
    issued = {
        Role.TERMINAL: authority.issue_terminal(home, "T-0001"),
        Role.CENTER: authority.issue_server(home, "center"),
        Role.MUNICIPAL: authority.issue_server(home, "ohira"),
        Role.OFFICE: authority.issue_server(home, "office-ohira", role=Role.OFFICE),
        Role.VERIFY: authority.issue_server(home, "verify", role=Role.VERIFY),
    }
    return {role: _der(i.cert_path) for role, i in issued.items()}


@pytest.fixture
def apps(sqlite_world: World, tmp_path: Path) -> dict[str, Any]:
    """Every app of kofu: the network parties', and the kiosk terminal's own page."""
    from kofu.jpki.server import create_app as create_jpki
    from kofu.kiosk.app import create_app as create_kiosk
    from kofu.kiosk.config import KioskConfig
    from kofu.verify.trust import Trust
    from kofu.verify.web import create_app as create_verify

    return {
        "center": sqlite_world.center_app,
        "municipal": sqlite_world.municipal_app,
        "jpki": create_jpki(sqlite_world.db_url, sqlite_world.authorities),
        "verify": create_verify(trust=Trust(())),
        "kiosk": create_kiosk(KioskConfig(home=tmp_path / "kiosk")),
    }


def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


def test_every_route_of_every_app_declares_who_may_call_it(apps: dict[str, Any]) -> None:
    """Default deny is a declaration away: a new route without one fails here (and is refused to all)."""
    undeclared = [
        f"{name} {methods} {path}"
        for name, app in apps.items()
        for methods, path, roles in route_table(app)
        if roles is None
    ]
    assert undeclared == []


def test_route_role_table_every_route_every_role(apps: dict[str, Any], network: dict[Role, bytes]) -> None:
    """Each route with a certificate of each role (and with none): the declared roles get past the gate,
    every other caller is refused 403 caller_not_allowed before the route runs."""
    checked = 0
    for name, app in apps.items():
        for methods, path, roles in route_table(app):
            assert roles is not None
            for caller in CALLERS:
                der = None if caller is None else network[caller]
                allowed = ANYONE in roles or (caller is not None and caller.value in roles)
                if KIOSK_PAGE in roles:  # no network peer is the kiosk's page: its guard refuses them all
                    _refused_as_not_the_page(app, methods, path, der)
                    checked += 1
                    continue
                with TestClient(PeerCertificate(app, der), raise_server_exceptions=False) as client:
                    for method in methods.split():
                        reply = client.request(method, _filled(path), json={})
                        refused = reply.status_code == 403 and "caller_not_allowed" in reply.text
                        assert refused is not allowed, (name, method, path, caller, reply.status_code)
                        checked += 1
    assert checked > 100


def _refused_as_not_the_page(app: Any, methods: str, path: str, der: bytes | None) -> None:
    with TestClient(PeerCertificate(app, der), raise_server_exceptions=False) as client:
        for method in methods.split() or ["GET"]:
            reply = client.request(method, _filled(path), json={})
            assert reply.status_code == 403 and "kiosk_page_only" in reply.text, (method, path)


def test_readme_lists_every_route_and_who_may_call_it(apps: dict[str, Any]) -> None:
    """The README's route table is the apps' own declarations (on a difference the table as it should be
    is written to artifacts/readme-routes.md, to paste)."""
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- routes:start -->\n")[1].split("<!-- routes:end -->")[0]
    expected = routes_markdown(apps)
    if block != expected:
        (root / "artifacts").mkdir(exist_ok=True)
        (root / "artifacts" / "readme-routes.md").write_text(expected, encoding="utf-8")
    assert block == expected, "the README's route table differs: see artifacts/readme-routes.md"


def routes_markdown(apps: dict[str, Any]) -> str:
    lines = ["| app | route | who may call it |", "|---|---|---|"]
    for name, app in apps.items():
        for methods, path, roles in route_table(app):
            who = ", ".join(sorted(roles or ())) or "no one (undeclared)"
            lines.append(f"| {name} | `{(methods + ' ' + path).strip()}` | {who} |")
    return "\n".join(lines) + "\n"


def test_t1_terminal_certificate_refused_at_the_municipal_server(
    sqlite_world: World, network: dict[Role, bytes]
) -> None:
    """T1: with a terminal's network certificate, the municipal server answers no menu and no render."""
    card = sqlite_world.issue(sqlite_world.person("household_head_with_members"), issued_at=LONG_AGO)
    serial = format(card.issued.auth_serial, "x")
    query = {"auth_serial": serial, "credential": "card", "municipality_code": OHIRA, "role": "jushochi"}
    render = _render_body(serial)
    terminal = TestClient(PeerCertificate(sqlite_world.municipal_app, network[Role.TERMINAL]))
    for path, body in (("/v1/menu", query), ("/v1/render", render)):
        for sent in (body, center_statement(sqlite_world.home, path, body)):  # raw, or even with a statement
            reply = terminal.post(path, json=sent)
            assert reply.status_code == 403 and reply.json()["reason"] == "caller_not_allowed"
            assert "application/pdf" not in reply.headers.get("content-type", "")


def _render_body(serial: str, **choice: Any) -> dict[str, Any]:
    return {
        "order_id": str(uuid.uuid4()),
        "municipality_code": OHIRA,
        "kind": "juminhyo",
        "copies": 1,
        "requester_serial": serial,
        "requester_cert_digest": "0" * 64,
        **choice,
    }


@pytest.fixture
def municipal_tls(sqlite_world: World, network: dict[Role, bytes]) -> Iterator[str]:
    """Ōhira's municipal server served with real mutual TLS on loopback."""
    del network  # its CA and certificates are under the world's home
    with serving(sqlite_world.municipal_app, sqlite_world.home) as url:
        yield url


def test_t1_over_mutual_tls_only_the_center_gets_a_menu(sqlite_world: World, municipal_tls: str) -> None:
    """T1 over real TLS: the terminal's certificate gets 403; the center's gets the menu, and only with
    its signed statement."""
    home = sqlite_world.home
    sqlite_world.municipal_clock.fixed = OFFICE_NOON
    card = sqlite_world.issue(sqlite_world.person("adult_resident"), issued_at=LONG_AGO)
    query = {
        "auth_serial": format(card.issued.auth_serial, "x"),
        "credential": "card",
        "municipality_code": OHIRA,
        "role": "jushochi",
    }
    stated = center_statement(home, "/v1/menu", query)
    as_terminal = httpx.Client(verify=client_context(home, terminal_id="T-0001"), timeout=10)
    as_center = httpx.Client(verify=client_context(home, server_name="center"), timeout=10)
    with as_terminal, as_center:
        refused = as_terminal.post(f"{municipal_tls}v1/menu", json=stated)
        assert refused.status_code == 403 and refused.json()["reason"] == "caller_not_allowed"
        unsigned = as_center.post(f"{municipal_tls}v1/menu", json=query)
        assert unsigned.status_code == 400 and unsigned.json()["reason"] == "bad_request"
        menu = as_center.post(f"{municipal_tls}v1/menu", json=stated)
        assert menu.status_code == 200, menu.text
        assert {item["kind"] for item in menu.json()["items"]} >= {"juminhyo"}


def _numbers(world: World) -> int:
    with world.factory() as session:
        return int(session.scalar(select(func.count()).select_from(DocumentNumber)) or 0)


def test_t1_a_render_needs_a_statement_of_the_center_and_gets_one_document_per_statement(
    sqlite_world: World,
) -> None:
    """T1: on the demo's plain HTTP (where every caller has the center's role), a render without the
    center's statement, with a forged, expired or misused one, or with one already served, renders
    nothing: no document number is even allocated."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    card = world.issue(world.person("adult_resident"), issued_at=LONG_AGO)
    body = _render_body(format(card.issued.auth_serial, "x"))
    municipal = TestClient(world.municipal_app)
    forger = StatementSigner(Ed25519PrivateKey.generate())
    center = signing_key(center_key_path(world.home))
    request = center_statement(world.home, "/v1/render", body)
    from kofu.wire.orders import RenderRequest
    from kofu.wire.sessions import MenuQuery

    rendered = RenderRequest.model_validate(body)
    stale = center.sign(
        rendered, session_id="s", challenge=b"c", now=datetime.now(UTC) - timedelta(minutes=5)
    )
    menu_statement = center.sign(
        MenuQuery(
            auth_serial=rendered.requester_serial, credential="card", municipality_code=OHIRA, role="jushochi"
        ),
        session_id="s",
        challenge=b"c",
    )
    attempts = {
        "unsigned": (body, 400, "bad_request"),
        "forged": (
            forger.sign(rendered, session_id="s", challenge=b"c").model_dump(),
            422,
            "statement_invalid",
        ),
        "expired": (stale.model_dump(), 422, "statement_invalid"),
        "a menu's statement": (menu_statement.model_dump(), 422, "statement_invalid"),
    }
    for name, (sent, status, reason) in attempts.items():
        reply = municipal.post("/v1/render", json=sent)
        assert (reply.status_code, reply.json()["reason"]) == (status, reason), name
    assert _numbers(world) == 0
    first = municipal.post("/v1/render", json=request)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    replayed = municipal.post("/v1/render", json=request)
    assert replayed.status_code == 422 and replayed.json()["reason"] == "statement_invalid"
    assert _numbers(world) == 1
