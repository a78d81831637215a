"""T2 and T7: no genuine certificate without its fee, and a revoked terminal stops at its next step.

T2: quote → pay → document → void(print_failed) returned the cash, charged nothing, and the document
still verified GENUINE; the document could be fetched again and again. T7: a terminal revoked at the
center (`kofu center terminal revoke`), or whose network certificate was revoked, finished the session
it had open on its kept-alive connection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from issuance_world import TERMINAL, Step, World
from kofu.center.app.config import CenterConfig
from kofu.center.app.factory import create_app as create_center
from kofu.center.registers import revoke_terminal
from kofu.center.settlement import settle
from kofu.db import transaction
from kofu.netpki import authority
from kofu.netpki.gate import CrlWatch, Gate
from kofu.netpki.tls import client_context
from kofu.rules.calendar import to_jst
from netpki_helpers import serving


def _paid(world: World) -> tuple[Step, str]:
    step = world.signed_in(world.issue(world.person("adult_resident")))
    order_id = world.quote(step, "juminhyo").json()["order_id"]
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 200})
    assert paid.status_code == 200, paid.text
    return step, order_id


def _verdict(world: World, pdf: bytes) -> str:
    """What the public verification page says, trusting the set Ōhira publishes."""
    from kofu.verify.web import create_app as create_verify

    keyset = world.home / "keys" / "published" / "044245.json"
    keyset.parent.mkdir(parents=True, exist_ok=True)
    keyset.write_bytes(TestClient(world.municipal_app).get("/.well-known/kofu/keys").content)
    with TestClient(create_verify(home=world.home, keyset=keyset, register_url=world.db_url)) as verify:
        reply = verify.post("/api/verify", files={"file": ("doc.pdf", pdf, "application/pdf")})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["status"])


def test_t2_a_voided_document_is_revoked_and_delivered_once(sqlite_world: World) -> None:
    """T2: the document of a voided order verifies REVOKED, not GENUINE; it is handed over once only;
    the month's settlement counts it apart (delivered, voided, no fee)."""
    world = sqlite_world
    step, order_id = _paid(world)
    document = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert _verdict(world, document.content) == "genuine"
    again = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
    assert again.status_code == 409 and again.json()["reason"] == "order_state_conflict"
    voided = world.center.post(f"/v1/orders/{order_id}/void", json={**step.steps(), "reason": "print_failed"})
    assert voided.status_code == 200 and voided.json()["cash_returned"] == 200
    assert _verdict(world, document.content) == "revoked"
    month = to_jst(datetime.now(UTC)).strftime("%Y-%m")
    statement = settle(world.factory, month)
    assert statement.orders == 0 and statement.yen == 0
    assert [(v.kind, v.documents) for v in statement.voided_after_delivery] == [("juminhyo", 1)]


def test_t7_a_terminal_revoked_at_the_center_is_refused_at_its_next_step(sqlite_world: World) -> None:
    """T7: revoked in the center's register mid-session, the terminal gets no document and charges
    nothing; it may still void, which only hands the escrowed cash back."""
    world = sqlite_world
    step, order_id = _paid(world)
    with transaction(world.factory) as session:
        assert revoke_terminal(session, TERMINAL, now=datetime.now(UTC))
    for path in ("document", "confirm"):
        reply = world.center.post(f"/v1/orders/{order_id}/{path}", json=step.steps())
        assert reply.status_code == 403 and reply.json()["reason"] == "terminal_unknown", path
    menu = world.menu(step)
    assert menu.status_code == 403 and menu.json()["reason"] == "terminal_unknown"
    voided = world.center.post(f"/v1/orders/{order_id}/void", json={**step.steps(), "reason": "cancelled"})
    assert voided.status_code == 200 and voided.json()["cash_returned"] == 200


@pytest.fixture
def center_tls(sqlite_world: World) -> Iterator[str]:
    """The world's center served with mutual TLS, its gate reading the CRL at every request."""
    home = sqlite_world.home
    authority.create_ca(home)
    authority.issue_server(home, "center")
    authority.issue_terminal(home, TERMINAL)
    gate = Gate(crl=CrlWatch(home, check_every=0.0))
    config = CenterConfig(db_url=sqlite_world.db_url, jpki_auth_ca=Path("unused"))
    app = create_center(config, service=sqlite_world.center_app.state.service, gate=gate)
    with serving(app, home, crl_check_every=0.0) as url:
        yield url


def test_t7_a_revoked_network_certificate_is_refused_on_its_kept_alive_connection(
    sqlite_world: World, center_tls: str
) -> None:
    """T7: the terminal's certificate is put on the CRL while its connection stays open; its next request
    on that same connection is refused (a new connection would not even complete its handshake)."""
    home = sqlite_world.home
    params = {"terminal_id": TERMINAL}
    with httpx.Client(verify=client_context(home, terminal_id=TERMINAL), timeout=10) as kiosk:
        assert kiosk.get(f"{center_tls}v1/notices", params=params).status_code == 200
        authority.revoke_terminal(home, TERMINAL)
        time.sleep(0.05)  # the CRL file's new mtime (the watch looks at every request here)
        refused = kiosk.get(f"{center_tls}v1/notices", params=params)
        assert refused.status_code == 403 and refused.json()["reason"] == "caller_not_allowed"
    with (
        pytest.raises(httpx.TransportError),
        httpx.Client(verify=client_context(home, terminal_id=TERMINAL), timeout=10) as fresh,
    ):
        fresh.get(f"{center_tls}v1/notices", params=params)
