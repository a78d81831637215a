"""T8 and "every body bounded, every error ours": deep, large and loosely typed bodies at every route.

T8: `[` × 1200 as the body of POST /v1/sessions/x/authenticate was a 500 with a RecursionError (the rate
limiter's body reading caught only ValueError); a municipal server's certificate sending authentications
that named a kiosk's terminal ID in the body emptied that kiosk's bucket (the limiter fell back to the
body's terminal ID).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from issuance_world import OTHER_TERMINAL, TERMINAL, World, at_jst
from kofu.center import orders
from kofu.center.ratelimit import OPEN_LIMIT, PAY_LIMIT
from kofu.netpki import authority
from kofu.netpki.gate import route_table
from kofu.rules.calendar import JST
from kofu.rules.decision import Refused
from kofu.rules.order import State
from kofu.wire.bodylimit import MAX_BODY, MAX_DEPTH, BodySizeLimit
from party_support import PeerCertificate

DEEP = b"[" * 1200


def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", "x", path).replace("/x/", "/s1/")


def _posts(app: Any) -> list[str]:
    return [_filled(path) for methods, path, _roles in route_table(app) if "POST" in methods.split()]


def test_t8_deep_json_is_400_at_the_rate_limited_route(sqlite_world: World) -> None:
    """T8: the body the rate limiter reads first, nested 1,200 deep, is bad_request, not a 500."""
    client = TestClient(sqlite_world.center_app, raise_server_exceptions=False)
    reply = client.post(
        "/v1/sessions/x/authenticate", content=DEEP, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400 and reply.json()["reason"] == "bad_request"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1200, 50_000])
def test_deep_json_is_400_at_every_post_route(sqlite_world: World, depth: int) -> None:
    """Item 6: nesting past MAX_DEPTH is refused before any middleware or route parses it."""
    body = b'{"a":' * depth + b"1" + b"}" * depth
    for app in (sqlite_world.center_app, sqlite_world.municipal_app):
        client = TestClient(app, raise_server_exceptions=False)
        for path in _posts(app):
            reply = client.post(path, content=body[:MAX_BODY], headers={"content-type": "application/json"})
            assert reply.status_code in (400, 413), (path, reply.status_code, reply.text)
            assert reply.json()["reason"] == "bad_request"


def _cap(app: Any, path: str) -> int:
    """The body cap of `path` in the app's BodySizeLimit: 64 KiB, unless the app names it larger (a file)."""
    [limit] = [m for m in app.user_middleware if m.cls is BodySizeLimit]
    return int(limit.kwargs.get("larger", {}).get(path, limit.kwargs.get("max_bytes", MAX_BODY)))


def test_every_post_route_caps_its_body(sqlite_world: World) -> None:
    """Item 6: a body past the cap is 413 bad_request at every route, unread; only the change feed's
    file route has a larger cap (issue 25), and at most 8 MiB."""
    larger = []
    for app in (sqlite_world.center_app, sqlite_world.municipal_app):
        client = TestClient(app, raise_server_exceptions=False)
        for path in _posts(app):
            cap = _cap(app, path)
            if cap != MAX_BODY:
                larger.append((path, cap))
            big = b'{"x":"' + b"a" * (cap + 1) + b'"}'
            reply = client.post(path, content=big, headers={"content-type": "application/json"})
            assert reply.status_code == 413 and reply.json()["reason"] == "bad_request", path
    assert larger == [("/v1/changes", 8 * 1024 * 1024)]


@pytest.mark.parametrize(("field", "value"), [("copies", "1"), ("copies", True), ("copies", 1.0)])
def test_numbers_are_numbers_in_a_quote(sqlite_world: World, field: str, value: Any) -> None:
    """Item 6: strict types: "1", true and 1.0 are not the number of copies."""
    world = sqlite_world
    step = world.signed_in(world.issue(world.person("adult_resident")))
    body = {**step.steps(), "municipality_code": "044245", "kind": "juminhyo", "copies": 1, field: value}
    reply = world.center.post("/v1/orders/quote", json=body)
    assert reply.status_code == 400 and reply.json()["reason"] == "bad_request"


def test_cash_as_text_is_not_cash(sqlite_world: World) -> None:
    """Item 6: "400" is not 400 yen."""
    world = sqlite_world
    step = world.signed_in(world.issue(world.person("adult_resident")))
    order_id = world.quote(step, "juminhyo").json()["order_id"]
    reply = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": "400"})
    assert reply.status_code == 400 and reply.json()["reason"] == "bad_request"


def test_t8_another_partys_certificate_cannot_spend_a_terminals_bucket(
    sqlite_world: World, tmp_path: Path
) -> None:
    """T8: a municipal server's certificate naming a kiosk's terminal ID in forty authentications is
    refused each time, and the kiosk's own sign-in still goes through (its bucket was not touched)."""
    world = sqlite_world
    authority.create_ca(tmp_path)
    pem = authority.issue_server(tmp_path, "ohira").cert_path.read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    intruder = TestClient(PeerCertificate(world.center_app, der), raise_server_exceptions=False)
    body = {"terminal_id": TERMINAL, "certificate_b64": "AAAA", "signature_b64": "AAAA"}
    for _ in range(40):
        reply = intruder.post("/v1/sessions/s1/authenticate", json=body)
        assert reply.status_code == 403 and reply.json()["reason"] == "caller_not_allowed"
    world.signed_in(world.issue(world.person("adult_resident")))  # not rate_limited


def test_session_opens_and_orders_paid_are_limited_per_terminal(sqlite_world: World) -> None:
    """Item 6: a terminal opening sessions (or paying orders, each of which renders a document) faster
    than its limit is refused 429 rate_limited with a Retry-After, and nothing is made; another terminal
    is not. Once a card is signed in, the clocks stand still at the last noon in Japan (inside every
    hour rule), so no bucket refills during the test."""
    world = sqlite_world
    step = world.signed_in(
        world.issue(world.person("adult_resident"), issued_at=datetime.now(UTC) - timedelta(days=3)),
        OTHER_TERMINAL,
    )
    now = datetime.now(JST)
    noon = at_jst(now.date() if now.hour >= 12 else now.date() - timedelta(days=1), 12)
    world.clock.fixed = world.municipal_clock.fixed = noon  # before now: the session has not expired
    opened = [
        world.center.post("/v1/sessions", json={"terminal_id": TERMINAL, "request_key": f"flood-{i:04d}"})
        for i in range(OPEN_LIMIT.capacity + 3)
    ]
    assert [r.status_code for r in opened].count(200) == OPEN_LIMIT.capacity
    refused = opened[-1]
    assert refused.status_code == 429 and refused.json()["reason"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    world.open(OTHER_TERMINAL)  # another terminal's bucket is its own
    paid = []
    for _ in range(PAY_LIMIT.capacity + 2):
        quoted = world.quote(step, "juminhyo")
        assert quoted.status_code == 200, quoted.text
        order_id = quoted.json()["order_id"]
        paid.append(world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 300}))
    assert [r.status_code for r in paid].count(200) == PAY_LIMIT.capacity
    assert paid[-1].status_code == 429 and paid[-1].json()["reason"] == "rate_limited"
    assert int(paid[-1].headers["retry-after"]) >= 1
    last = orders.order_status(
        world.factory,
        order_id=uuid.UUID(quoted.json()["order_id"]),
        session_id=step.session_id,
        terminal_id=step.terminal_id,
    )
    assert not isinstance(last, Refused) and last.state is State.QUOTED  # the refused payment took nothing


def test_every_app_answers_in_the_error_body_never_the_frameworks_detail(
    sqlite_world: World, tmp_path: Path
) -> None:
    """Item 6: an unknown path and a wrong method get the parties' error body at every app (a reason code
    and its sentences), never FastAPI's or Starlette's own `detail`."""
    from kofu.jpki.server import create_app as create_jpki
    from kofu.kiosk.app import create_app as create_kiosk
    from kofu.kiosk.config import KioskConfig
    from kofu.verify.trust import Trust
    from kofu.verify.web import create_app as create_verify

    kiosk = create_kiosk(KioskConfig(home=tmp_path / "kiosk"))
    clients = {
        "center": TestClient(sqlite_world.center_app),
        "municipal": TestClient(sqlite_world.municipal_app),
        "jpki": TestClient(create_jpki(sqlite_world.db_url, sqlite_world.authorities)),
        "verify": TestClient(create_verify(trust=Trust(()))),
        "kiosk": TestClient(
            kiosk,
            base_url="http://127.0.0.1:8000",
            client=("127.0.0.1", 50000),
            headers={"X-Kofu-Page-Token": kiosk.state.page_token},
        ),
    }
    wrong_method = {"center": "/v1/sessions", "municipal": "/v1/menu", "jpki": "/health"}
    wrong_method |= {"verify": "/api/verify", "kiosk": "/api/state"}
    for name, client in clients.items():
        for method, path in (("GET", "/no/such/path"), ("PUT", wrong_method[name])):
            reply = client.request(method, path)
            assert reply.status_code in (404, 405, 415), (name, method, path)
            assert reply.json()["reason"] == "bad_request" and "detail" not in reply.json(), (name, path)
