"""Refusals on the issuance path, each reaching the kiosk as a reason code with its sentences.

ELG-2 (under 15), DAY-1 (card issued today), HRS-2 (koseki only in office hours), HRS-5 / routing
(one municipality down closes only that one), order_wrong_session (another terminal's order),
CRT-1 (another household's member), and malformed input (bad_request, never a traceback).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuance_world import LONG_AGO, OFFICE_EVENING, OFFICE_NOON, OHIRA, OTHER_TERMINAL, TERMINAL, World
from kofu.audit.log import pending_count, read_chain
from kofu.center.app import CenterConfig
from kofu.center.app.factory import create_app as create_center
from kofu.center.app.models import OrderChoice
from kofu.center.app.routing import add_card_route
from kofu.center.models import Order
from kofu.center.registers import MunicipalityStatus, add_municipality, set_municipality_status
from kofu.db import transaction
from kofu.netpki.authority import create_ca, issue_terminal
from kofu.registry.repository import household_members
from kofu.registry.stops import set_stop
from kofu.rules.calendar import today_jst
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from party_support import PeerCertificate

KITAYAMA = "993018"


def _items(reply: object) -> dict[str, dict[str, object]]:
    body = reply.json()  # type: ignore[attr-defined]
    return {item["kind"]: item for item in body["items"]}


def test_issuance_under_15_refused_elg2(sqlite_world: World) -> None:
    """ELG-2: a card of a child under 15 authenticates, but every kind is refused under_15."""
    sqlite_world.municipal_clock.fixed = OFFICE_NOON
    child = sqlite_world.issue(sqlite_world.person("under_15"), issued_at=LONG_AGO)
    adult = sqlite_world.issue(sqlite_world.person("adult_resident"), issued_at=LONG_AGO)
    items = _items(sqlite_world.menu(sqlite_world.signed_in(child)))
    assert {kind: item["reason"] for kind, item in items.items()} == {kind: "under_15" for kind in items}
    assert items["juminhyo"]["message_ja"] == Reason.UNDER_15.ja
    assert _items(sqlite_world.menu(sqlite_world.signed_in(adult)))["juminhyo"]["allowed"] is True
    step = sqlite_world.signed_in(child)
    quote = sqlite_world.quote(step, "juminhyo")
    assert quote.status_code == 422 and quote.json()["reason"] == "under_15"


def test_issuance_card_issued_today_refused_day1(sqlite_world: World) -> None:
    """DAY-1: a card issued today (Japan date) cannot sign in; one issued yesterday can."""
    person = sqlite_world.person("adult_resident")
    today = sqlite_world.issue(person, issued_at=datetime.now(UTC))
    step, challenge = sqlite_world.open()
    reply = sqlite_world.authenticate(today, step, challenge)
    assert reply.status_code == 422 and reply.json()["reason"] == "card_issued_today"
    assert sqlite_world.menu(step).json()["reason"] == "session_unknown"
    yesterday = sqlite_world.issue(person)
    step, challenge = sqlite_world.open()
    assert sqlite_world.authenticate(yesterday, step, challenge).status_code == 200


def test_issuance_day1_keyed_on_the_hand_over_day_not_the_certificate_day(sqlite_world: World) -> None:
    """DAY-1: a card whose certificates were made three days ago (notBefore) but handed over today is
    refused today; handed over yesterday, it signs in. The day is the one the municipality recorded."""
    person = sqlite_world.person("adult_resident")
    now = datetime.now(UTC)
    made = now - timedelta(days=3)
    today = today_jst(now)
    handed_today = sqlite_world.issue(person, issued_at=made, handed_over_on=today)
    assert handed_today.issued.auth_cert.not_valid_before_utc < now - timedelta(days=2)
    step, challenge = sqlite_world.open()
    reply = sqlite_world.authenticate(handed_today, step, challenge)
    assert reply.status_code == 422 and reply.json()["reason"] == "card_issued_today"
    handed_yesterday = sqlite_world.issue(person, issued_at=made, handed_over_on=today - timedelta(days=1))
    step, challenge = sqlite_world.open()
    assert sqlite_world.authenticate(handed_yesterday, step, challenge).status_code == 200


def test_issuance_koseki_only_in_office_hours_hrs2(sqlite_world: World) -> None:
    """HRS-2: the family-register certificates (koseki, fuhyo) are offered at noon on an office day, not
    at 20:00."""
    card = sqlite_world.issue(sqlite_world.person("adult_resident"), issued_at=LONG_AGO)
    step = sqlite_world.signed_in(card)
    sqlite_world.municipal_clock.fixed = OFFICE_NOON
    assert _items(sqlite_world.menu(step))["koseki"]["allowed"] is True
    sqlite_world.municipal_clock.fixed = OFFICE_EVENING
    evening = _items(sqlite_world.menu(step))
    assert evening["koseki"]["allowed"] is False and evening["koseki"]["reason"] == "office_hours_only"
    assert evening["fuhyo"]["allowed"] is False and evening["fuhyo"]["reason"] == "office_hours_only"
    assert evening["juminhyo"]["allowed"] is True  # HRS-1 still open at 20:00
    quote = sqlite_world.quote(step, "koseki", option="whole")
    assert quote.status_code == 422 and quote.json()["reason"] == "office_hours_only"


def test_issuance_municipality_down_closes_only_it_hrs5(sqlite_world: World) -> None:
    """HRS-5 / routing: an unreachable or down municipal server closes that municipality only."""
    card = sqlite_world.issue(sqlite_world.person("adult_resident"))
    with transaction(sqlite_world.factory) as session:
        now = datetime.now(UTC)
        add_municipality(  # registered and "up", but nothing answers there
            session,
            code=KITAYAMA,
            name_ja="北山町",
            name_en="Kitayama",
            base_url="http://127.0.0.1:9",
            now=now,
        )
        add_card_route(
            session,
            auth_serial=card.issued.auth_serial,
            municipality_code=KITAYAMA,
            role="honsekichi",
            now=now,
        )
    step = sqlite_world.signed_in(card)
    unreachable = _items(sqlite_world.menu(step, KITAYAMA))
    assert {item["reason"] for item in unreachable.values()} == {"municipality_unavailable"}
    assert _items(sqlite_world.menu(step))["juminhyo"]["allowed"] is True  # Ōhira still serves
    refused = sqlite_world.center.post(
        "/v1/orders/quote",
        json={**step.steps(), "municipality_code": KITAYAMA, "kind": "juminhyo", "copies": 1},
    )
    assert refused.status_code == 503 and refused.json()["reason"] == "municipality_unavailable"

    with transaction(sqlite_world.factory) as session:
        set_municipality_status(session, OHIRA, MunicipalityStatus.DOWN, now=datetime.now(UTC))
    step, challenge = sqlite_world.open()
    listed = {m["code"]: m for m in sqlite_world.authenticate(card, step, challenge).json()["municipalities"]}
    assert listed[OHIRA]["available"] is False and listed[OHIRA]["reason"] == "municipality_unavailable"
    assert listed[KITAYAMA]["available"] is True
    assert {item["reason"] for item in _items(sqlite_world.menu(step)).values()} == {
        "municipality_unavailable"
    }


def test_issuance_other_terminals_order_refused_order_wrong_session(world: World) -> None:
    """INC-7, INC-8: another session or terminal can neither pay, fetch nor confirm an order."""
    card = world.issue(world.person("adult_resident"))
    mine = world.signed_in(card)
    quote = world.quote(mine, "juminhyo")
    assert quote.status_code == 200, quote.text
    order_id = quote.json()["order_id"]
    theirs = world.signed_in(world.issue(world.person("household_head_with_members")), OTHER_TERMINAL)
    for path, extra in (("pay", {"cash": 1000}), ("document", {}), ("confirm", {}), ("void", {})):
        reply = world.center.post(f"/v1/orders/{order_id}/{path}", json={**theirs.steps(), **extra})
        assert reply.status_code == 403 and reply.json()["reason"] == "order_wrong_session", path
    # my session id presented from the other terminal is refused too
    stolen = {**mine.steps(), "terminal_id": OTHER_TERMINAL, "cash": 1000}
    reply = world.center.post(f"/v1/orders/{order_id}/pay", json=stolen)
    assert reply.status_code == 403 and reply.json()["reason"] == "order_wrong_session"
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**mine.steps(), "cash": 200})
    assert paid.json()["state"] == "paid"


def test_issuance_closed_or_expired_session_cannot_move_its_order_inc8(world: World) -> None:
    """INC-8: once its session is closed or expired, an order cannot be paid, confirmed or voided."""
    card = world.issue(world.person("adult_resident"))
    step = world.signed_in(card)
    order_id = world.quote(step, "juminhyo").json()["order_id"]
    world.clock.fixed = datetime.now(UTC) + timedelta(hours=1)  # the session outlived its lifetime
    for path, extra in (("pay", {"cash": 1000}), ("confirm", {}), ("void", {})):
        reply = world.center.post(f"/v1/orders/{order_id}/{path}", json={**step.steps(), **extra})
        assert reply.status_code == 401 and reply.json()["reason"] == "session_unknown", path
    world.clock.fixed = None
    closing = world.signed_in(card)
    order_id = world.quote(closing, "juminhyo").json()["order_id"]
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**closing.steps(), "cash": 200})
    assert paid.json()["state"] == "paid"
    closed = world.center.delete(
        f"/v1/sessions/{closing.session_id}", params={"terminal_id": closing.terminal_id}
    )
    assert closed.status_code == 204
    for path in ("confirm", "void"):
        reply = world.center.post(f"/v1/orders/{order_id}/{path}", json=closing.steps())
        assert reply.status_code == 401 and reply.json()["reason"] == "session_unknown", path
    with world.factory() as session:
        assert session.get(Order, uuid.UUID(order_id)).state == "paid"  # type: ignore[union-attr]


def test_issuance_quote_racing_a_close_leaves_no_order_nor_choice_inc8(world: World) -> None:
    """INC-8: a quote whose session is closed after its checks and before its write stores nothing."""
    from kofu.center.app import offers
    from kofu.center.app import sessions as kiosk
    from kofu.wire.orders import QuoteRequest

    step = world.signed_in(world.issue(world.person("adult_resident")))
    assert world.menu(step).status_code == 200
    with world.factory() as session:  # what the quote read before the close came in
        who = kiosk.authenticated(session, step.session_id, step.terminal_id, datetime.now(UTC))
        offer = offers.load(session, step.session_id, OHIRA)
    assert not isinstance(who, Refused) and offer is not None
    closed = world.center.delete(f"/v1/sessions/{step.session_id}", params={"terminal_id": step.terminal_id})
    assert closed.status_code == 204
    request = QuoteRequest(**step.steps(), municipality_code=OHIRA, kind=Kind.JUMINHYO, copies=1)
    answer = world.center_app.state.service._open_order(request, offer[Kind.JUMINHYO], who)
    assert isinstance(answer, Refused) and answer.reason is Reason.SESSION_UNKNOWN
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.scalar(select(func.count()).select_from(OrderChoice)) == 0


def test_issuance_another_households_member_refused_crt1(sqlite_world: World) -> None:
    """CRT-1: the quote refuses a person outside the requester's household; the document never exists."""
    requester = sqlite_world.person("household_head_with_members")
    stranger = sqlite_world.person_with(
        "adult_resident", lambda snap: snap.household is not None and not snap.household.has_member(requester)
    )
    step = sqlite_world.signed_in(sqlite_world.issue(requester))
    reply = sqlite_world.quote(step, "juminhyo", persons=[requester, stranger])
    assert reply.status_code == 422 and reply.json()["reason"] == "not_in_household"


def test_issuance_document_before_payment_refused_nrf1(sqlite_world: World) -> None:
    """NRF-1: no document for a quoted order that is not paid."""
    step = sqlite_world.signed_in(sqlite_world.issue(sqlite_world.person("adult_resident")))
    order_id = sqlite_world.quote(step, "juminhyo").json()["order_id"]
    reply = sqlite_world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
    assert reply.status_code == 409 and reply.json()["reason"] == "order_state_conflict"
    unknown = sqlite_world.center.post(f"/v1/orders/{uuid.uuid4()}/document", json=step.steps())
    assert unknown.status_code == 404 and unknown.json()["reason"] == "order_unknown"


def test_issuance_malformed_input_bad_request(sqlite_world: World) -> None:
    """Malformed bodies, ids and parameters are 400 bad_request with sentences, never a traceback."""
    bad = [
        sqlite_world.center.post("/v1/sessions", json={"terminal_id": "T-0001"}),
        sqlite_world.center.post(
            "/v1/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        sqlite_world.center.post(
            "/v1/sessions", json={"terminal_id": "T-0001", "request_key": "abcdefgh", "x": 1}
        ),
        sqlite_world.center.post("/v1/orders/not-a-uuid/pay", json={}),
        sqlite_world.center.get(
            "/v1/sessions/abc/menu", params={"terminal_id": "T-0001", "municipality_code": "12"}
        ),
        sqlite_world.center.post(
            "/v1/sessions/abc/authenticate",
            json={"terminal_id": "T-0001", "certificate_b64": "!!!!", "signature_b64": "AAAA"},
        ),
    ]
    for reply in bad:
        assert reply.status_code == 400, reply.text
        assert reply.json()["reason"] == "bad_request" and reply.json()["message_en"]
    unknown = sqlite_world.center.post(
        "/v1/sessions", json={"terminal_id": "T-9999", "request_key": "abcdefgh"}
    )
    assert unknown.status_code == 403 and unknown.json()["reason"] == "terminal_unknown"


def test_issuance_openapi_documents_each_4xx(sqlite_world: World) -> None:
    """Every center and municipal route documents its 4xx answers as ErrorBody."""
    for app in (sqlite_world.center_app, sqlite_world.municipal_app):
        schema = app.openapi()
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                if path.endswith("/health") or path.startswith("/.well-known/"):  # no input, no 4xx
                    continue
                codes = {int(c) for c in operation["responses"] if c.isdigit()}
                assert 400 in codes, (method, path)
                assert any(400 <= c < 500 and c != 422 for c in codes) or 422 in codes, (method, path)


def test_issuance_session_expires(sqlite_world: World) -> None:
    """A session past its lifetime is unknown: nothing lives on in the center for a walked-away person."""
    step = sqlite_world.signed_in(sqlite_world.issue(sqlite_world.person("adult_resident")))
    sqlite_world.clock.fixed = datetime.now(UTC) + timedelta(hours=1)
    assert sqlite_world.menu(step).json()["reason"] == "session_unknown"


def test_issuance_phone_serves_but_cannot_register_elg5_elg6(sqlite_world: World) -> None:
    """ELG-5: a phone credential signs in (biometric) and gets the menu; ELG-6: it cannot file REG-1."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    phone = world.issue(world.person("adult_resident"), issued_at=LONG_AGO, credential="phone")
    step, challenge = world.open()
    signed_in = world.authenticate(phone, step, challenge)
    assert signed_in.status_code == 200 and signed_in.json()["credential"] == "phone"
    menu = world.menu(step).json()
    assert next(i for i in menu["items"] if i["kind"] == "juminhyo")["allowed"] is True
    assert (
        world.center.post(f"/v1/sessions/{step.session_id}/challenge", json=step.steps()).status_code == 200
    )
    filed = world.center.post(
        f"/v1/sessions/{step.session_id}/registration",
        json={
            "terminal_id": step.terminal_id,
            "municipality_code": OHIRA,
            "signing_certificate_b64": "AAAA",
            "signature_b64": "AAAA",
        },
    )
    assert filed.status_code == 422 and filed.json()["reason"] == "phone_not_allowed_for_registration"


def test_issuance_notices_for_registered_terminals_hrs5(sqlite_world: World) -> None:
    """HRS-5: the idle screen's maintenance notices, for registered terminals only."""
    world = sqlite_world
    with transaction(world.factory) as session:
        from kofu.center.registers import add_maintenance

        start = datetime.now(UTC) + timedelta(days=1)
        add_maintenance(
            session,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            notice_ja="点検",
            notice_en="Maintenance",
        )
    notices = world.center.get("/v1/notices", params={"terminal_id": "T-0001"})
    assert notices.status_code == 200 and [n["notice_en"] for n in notices.json()["notices"]] == [
        "Maintenance"
    ]
    unknown = world.center.get("/v1/notices", params={"terminal_id": "T-9999"})
    assert unknown.status_code == 403 and unknown.json()["reason"] == "terminal_unknown"


def test_issuance_terminal_must_be_its_certificate_str1(sqlite_world: World, tmp_path: Path) -> None:
    """STR-1, SEC-5: with mutual TLS, the terminal id in a request must be the client certificate's."""
    create_ca(tmp_path)
    der = issue_terminal(tmp_path, TERMINAL).cert_path.read_bytes()
    cert = x509.load_pem_x509_certificate(der).public_bytes(serialization.Encoding.DER)
    config = CenterConfig(db_url=sqlite_world.db_url, jpki_auth_ca=Path("unused"), require_terminal_cert=True)
    app = create_center(config, service=sqlite_world.center_app.state.service)
    body = {"terminal_id": TERMINAL, "request_key": "abcdefgh-1"}
    with TestClient(PeerCertificate(app, cert)) as client:
        assert client.post("/v1/sessions", json=body).status_code == 200
        other = client.post("/v1/sessions", json={**body, "terminal_id": OTHER_TERMINAL})
        assert other.status_code == 403 and other.json()["reason"] == "terminal_unknown"
    with TestClient(app) as client:
        anonymous = client.post("/v1/sessions", json=body)
        assert anonymous.status_code == 403 and anonymous.json()["reason"] == "terminal_unknown"


def test_issuance_expired_sessions_purged_at_next_open_inc8(sqlite_world: World) -> None:
    """INC-8: when a terminal opens a new session, its expired sessions are gone from the center."""
    world = sqlite_world
    old = world.signed_in(world.issue(world.person("adult_resident")))
    world.clock.fixed = datetime.now(UTC) + timedelta(hours=1)
    world.open()
    with world.factory() as session:
        from kofu.center.app.models import KioskSession

        assert session.get(KioskSession, old.session_id) is None


def test_issuance_a_stopped_person_is_refused_with_one_neutral_sentence_and_audited(world: World) -> None:
    """Per-person stop (支援措置): the menu and the quote refuse with a sentence naming no measure, the
    requester's household member is left out of the menu, and the refusals are in the audit chain."""
    head = world.person("household_head_with_members")
    with world.factory() as session:
        member = next(m.person_id for m in household_members(session, head) if m.person_id != head)
    with transaction(world.factory) as session:
        set_stop(
            session,
            member,
            cause="support_measure",
            kind=None,
            since=today_jst(datetime.now(UTC)),
            by="staff-7",
        )
    step = world.signed_in(world.issue(head))
    juminhyo = _items(world.menu(step))["juminhyo"]
    assert juminhyo["allowed"] is True and juminhyo["whole_allowed"] is False
    assert member not in {m["person_id"] for m in juminhyo["members"]}  # type: ignore[union-attr]
    with transaction(world.factory) as session:
        set_stop(
            session,
            head,
            cause="support_measure",
            kind=None,
            since=today_jst(datetime.now(UTC)),
            by="staff-7",
        )
    step = world.signed_in(world.cards[-1])
    juminhyo = _items(world.menu(step))["juminhyo"]
    assert juminhyo["reason"] == "not_available_at_kiosk"
    assert juminhyo["message_ja"] == "この証明書はコンビニ交付では取得できません。窓口でご相談ください。"
    quote = world.quote(step, "juminhyo", persons=[head])
    assert quote.status_code == 422 and quote.json()["reason"] == "not_available_at_kiosk"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with world.factory() as session:
            if not pending_count(session):
                break
        time.sleep(0.05)
    with world.factory() as session:
        entries, _ = read_chain(session)
    refusals = [e for e in entries if "not_available_at_kiosk" in e.outcome]
    assert {e.action for e in refusals} >= {"order.quote"}, [(e.action, e.outcome) for e in entries[-6:]]
