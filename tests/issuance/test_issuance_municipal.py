"""The municipal server on its own: menu and render refusals from the registry as it is now, and REG-1.

INC-4 (abolished or to-be-abolished seal never printed), LAG-1 (pending change refused), CRT-4
(closed register refused), CRT-1 (another household's member refused even if the center were fooled),
REG-1 / ELG-4 (usage registration filed from the kiosk, then pending).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuance_world import LONG_AGO, OFFICE_EVENING, OFFICE_NOON, OHIRA, SIGN_PASSWORD, Card, Step, World
from kofu.card.client import JpkiClient
from kofu.card.inprocess import InProcessReader
from kofu.center.app.routing import add_card_route
from kofu.db import transaction
from kofu.registry.records import PersonSnapshot
from kofu.registry.usage import decide_usage_registration
from kofu.wire.challenge import challenge_message
from party_support import center_statement


def _any(_snap: PersonSnapshot) -> bool:
    return True


def _closed(snap: PersonSnapshot) -> bool:
    return snap.koseki is not None and snap.koseki.status == "closed"


CASES: list[tuple[str, str, Callable[[PersonSnapshot], bool], str, str | None, str]] = [
    ("INC-4 CRT-2", "seal_abolished", _any, "inkan", None, "seal_abolished"),
    ("INC-4 LAG-1", "seal_abolition_pending", _any, "inkan", None, "record_change_pending"),
    ("LAG-1 INC-5", "pending_address_change", _any, "juminhyo", None, "record_change_pending"),
    ("CRT-4", "closed_register_member", _closed, "koseki", "whole", "register_closed"),
    ("CRT-2", "no_seal", _any, "inkan", None, "no_seal_registration"),
]


@pytest.mark.parametrize(
    ("rules", "case", "test", "kind", "option", "reason"), CASES, ids=[c[0] for c in CASES]
)
def test_issuance_municipal_refuses_menu_and_render(
    sqlite_world: World,
    rules: str,
    case: str,
    test: Callable[[PersonSnapshot], bool],
    kind: str,
    option: str | None,
    reason: str,
) -> None:
    """INC-4, LAG-1, CRT-2, CRT-4: the menu refuses, and a render asked for anyway refuses too (no PDF)."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    card = world.issue(world.person_with(case, test), issued_at=LONG_AGO)
    serial = format(card.issued.auth_serial, "x")
    municipal = TestClient(world.municipal_app)
    menu = municipal.post(
        "/v1/menu",
        json=center_statement(
            world.home,
            "/v1/menu",
            {"auth_serial": serial, "credential": "card", "municipality_code": OHIRA, "role": "jushochi"},
        ),
    )
    assert menu.status_code == 200, menu.text
    item = next(i for i in menu.json()["items"] if i["kind"] == kind)
    assert item["allowed"] is False and item["reason"] == reason, rules
    render = municipal.post(
        "/v1/render",
        json=center_statement(
            world.home,
            "/v1/render",
            {
                "order_id": str(uuid.uuid4()),
                "municipality_code": OHIRA,
                "kind": kind,
                "copies": 1,
                "requester_serial": serial,
                "requester_cert_digest": "0" * 64,
                "option": option,
            },
        ),
    )
    assert render.status_code == 422 and render.json()["reason"] == reason, rules
    assert render.headers["content-type"] == "application/json"


def test_issuance_municipal_render_refuses_other_household_crt1(sqlite_world: World) -> None:
    """CRT-1: asked directly for a stranger's 住民票, the municipal server refuses (defence in depth)."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    requester = world.person("household_head_with_members")
    stranger = world.person_with(
        "adult_resident", lambda s: s.household is not None and not s.household.has_member(requester)
    )
    card = world.issue(requester, issued_at=LONG_AGO)
    render = TestClient(world.municipal_app).post(
        "/v1/render",
        json=center_statement(
            world.home,
            "/v1/render",
            {
                "order_id": str(uuid.uuid4()),
                "municipality_code": OHIRA,
                "kind": "juminhyo",
                "copies": 1,
                "requester_serial": format(card.issued.auth_serial, "x"),
                "requester_cert_digest": "0" * 64,
                "persons": [stranger],
            },
        ),
    )
    assert render.status_code == 422 and render.json()["reason"] == "not_in_household"


def test_issuance_municipal_unknown_card_and_health(sqlite_world: World) -> None:
    """A serial no card of this registry has is card_unknown; malformed queries are bad_request."""
    municipal = TestClient(sqlite_world.municipal_app)
    assert municipal.get("/v1/health").json() == {"status": "ok"}
    query = {"auth_serial": "abc123", "credential": "card", "municipality_code": OHIRA, "role": "jushochi"}
    home = sqlite_world.home
    unknown = municipal.post("/v1/menu", json=center_statement(home, "/v1/menu", query))
    assert unknown.status_code == 422 and unknown.json()["reason"] == "card_unknown"
    other = center_statement(home, "/v1/menu", {**query, "municipality_code": "993018"})
    other_reply = municipal.post("/v1/menu", json=other)
    assert other_reply.status_code == 404 and other_reply.json()["reason"] == "municipality_unknown"
    bad = municipal.post("/v1/menu", json={**query, "auth_serial": "XYZ"})
    assert bad.status_code == 400 and bad.json()["reason"] == "bad_request"


def _filing(world: World, card: Card, step: Step) -> tuple[dict[str, str], bytes]:
    """The kiosk's REG-1 filing body for `card` in the signed-in `step`: a fresh challenge, signed."""
    fresh = world.center.post(f"/v1/sessions/{step.session_id}/challenge", json=step.steps())
    assert fresh.status_code == 200, fresh.text
    nonce = base64.b64decode(fresh.json()["challenge_b64"])
    with InProcessReader(card.path) as reader:
        client = JpkiClient(reader)
        sign_cert = client.read_sign_certificate(SIGN_PASSWORD)
        signature = client.sign_message(
            challenge_message(nonce, step.session_id, step.terminal_id), SIGN_PASSWORD
        )
    body = {
        "terminal_id": step.terminal_id,
        "municipality_code": OHIRA,
        "signing_certificate_b64": base64.b64encode(sign_cert).decode(),
        "signature_b64": base64.b64encode(signature).decode(),
    }
    return body, sign_cert


def test_issuance_usage_registration_once_per_person_survives_renewal_reg1(sqlite_world: World) -> None:
    """REG-1: once per person. After the card is renewed (a new card, new serials) the non-resident
    reaches the 本籍地 with the new card and with a phone without filing again, and cannot file twice."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    person_id = world.person("nonresident_honseki_unregistered")
    old = world.issue(person_id, issued_at=LONG_AGO, route=False)
    step = world.signed_in(old)
    body, _ = _filing(world, old, step)
    filed = world.center.post(f"/v1/sessions/{step.session_id}/registration", json=body)
    assert filed.status_code == 200, filed.text
    with transaction(world.factory) as session:
        decide_usage_registration(session, person_id, approve=True, on=OFFICE_NOON.date())

    renewed = world.issue(person_id, route=False)  # the card event of the new card
    phone = world.issue(person_id, route=False, credential="phone")
    for card in (renewed, phone):
        step, challenge = world.open()
        listed = world.authenticate(card, step, challenge).json()["municipalities"]
        assert [(m["code"], m["role"]) for m in listed] == [(OHIRA, "honsekichi")], card.issued.credential
        menu = world.menu(step).json()
        koseki = next(i for i in menu["items"] if i["kind"] == "koseki")
        assert koseki["allowed"] is True, koseki
        assert menu["registration"]["needed"] is False
    step = world.signed_in(renewed)
    again, _ = _filing(world, renewed, step)
    twice = world.center.post(f"/v1/sessions/{step.session_id}/registration", json=again)
    assert twice.status_code == 422 and twice.json()["reason"] == "already_registered"


@pytest.mark.parametrize("at", [OFFICE_NOON, OFFICE_EVENING], ids=["office_noon", "office_evening"])
def test_issuance_usage_registration_filed_reg1_elg4_hrs1(sqlite_world: World, at: datetime) -> None:
    """REG-1, ELG-4: a non-resident 本籍 holder files the usage registration with the signing key;
    the card is then routed to the 本籍地, whose koseki says usage_registration_pending. Filed whenever
    the service is open (HRS-1), an office-day evening too: HRS-2 does not limit it."""
    world = sqlite_world
    world.municipal_clock.fixed = at
    card = world.issue(world.person("nonresident_honseki_unregistered"), issued_at=LONG_AGO, route=False)
    step, challenge = world.open()
    signed_in = world.authenticate(card, step, challenge)
    assert signed_in.status_code == 200 and signed_in.json()["municipalities"] == []
    body, sign_cert = _filing(world, card, step)
    filed = world.center.post(f"/v1/sessions/{step.session_id}/registration", json=body)
    assert filed.status_code == 200, filed.text
    assert filed.json() == {"status": "pending"}
    replay = world.center.post(f"/v1/sessions/{step.session_id}/registration", json=body)
    assert replay.status_code == 422 and replay.json()["reason"] == "challenge_replayed"
    assert hashlib.sha256(sign_cert).hexdigest() not in replay.text

    world.municipal_clock.fixed = OFFICE_NOON  # the family register itself is read in HRS-2 hours
    step, challenge = world.open()
    listed = world.authenticate(card, step, challenge).json()["municipalities"]
    assert [(m["code"], m["role"]) for m in listed] == [(OHIRA, "honsekichi")]
    menu = world.menu(step).json()
    koseki = next(i for i in menu["items"] if i["kind"] == "koseki")
    assert koseki["allowed"] is False and koseki["reason"] == "usage_registration_pending"
    juminhyo = next(i for i in menu["items"] if i["kind"] == "juminhyo")
    assert juminhyo["reason"] == "not_resident"
    assert menu["registration"]["needed"] is True and menu["registration"]["allowed"] is False


def test_issuance_municipal_tax_year_pending_refused_lag2(sqlite_world: World) -> None:
    """LAG-2, CRT-3: a fiscal year with a declaration not yet reflected is not offered, and not rendered."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    person_id = world.person("tax_pending")
    with world.factory() as session:
        from kofu.registry.repository import snapshot

        snap = snapshot(session, person_id)
    assert snap is not None
    pending = next(c.fiscal_year for c in snap.pending if c.kind == "tax_declaration")
    assert pending is not None
    card = world.issue(person_id, issued_at=LONG_AGO)
    serial = format(card.issued.auth_serial, "x")
    municipal = TestClient(world.municipal_app)
    query = {"auth_serial": serial, "credential": "card", "municipality_code": OHIRA, "role": "jushochi"}
    stated = center_statement(world.home, "/v1/menu", query)
    kazei = next(i for i in municipal.post("/v1/menu", json=stated).json()["items"] if i["kind"] == "kazei")
    assert pending not in kazei["fiscal_years"]
    # LAG-2 is said, not silent: a note (with its sentences) under the years still offered
    assert kazei["allowed"] and kazei["note"] == "tax_year_pending" and kazei["note_ja"] and kazei["note_en"]
    render = municipal.post(
        "/v1/render",
        json=center_statement(
            world.home,
            "/v1/render",
            {
                "order_id": str(uuid.uuid4()),
                "municipality_code": OHIRA,
                "kind": "kazei",
                "copies": 1,
                "requester_serial": serial,
                "requester_cert_digest": "0" * 64,
                "fiscal_year": pending,
            },
        ),
    )
    assert render.status_code == 422 and render.json()["reason"] == "tax_declaration_pending"


def test_issuance_usage_registration_approved_by_cli_elg4(sqlite_world: World) -> None:
    """ELG-4: once the municipality approves the filing (CLI), the 本籍地 offers the 戸籍 certificate."""
    from typer.testing import CliRunner

    from kofu.municipal.cli import app

    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    person_id = world.person("nonresident_honseki_pending")
    card = world.issue(person_id, issued_at=LONG_AGO, route=False)
    with transaction(world.factory) as session:
        add_card_route(
            session,
            auth_serial=card.issued.auth_serial,
            municipality_code=OHIRA,
            role="honsekichi",
            now=LONG_AGO,
        )
    step = world.signed_in(card)
    before = next(i for i in world.menu(step).json()["items"] if i["kind"] == "koseki")
    assert before["reason"] == "usage_registration_pending"
    runner = CliRunner()
    listed = runner.invoke(app, ["registrations", "--db", world.db_url])
    assert listed.exit_code == 0 and person_id in listed.stdout
    approved = runner.invoke(app, ["approve", person_id, "--db", world.db_url])
    assert approved.exit_code == 0, approved.output
    after = next(i for i in world.menu(step).json()["items"] if i["kind"] == "koseki")
    assert after["allowed"] is True
    again = runner.invoke(app, ["approve", person_id, "--db", world.db_url])
    assert again.exit_code == 1 and "usage_registration_unknown" in again.output


def test_hrs2_a_refused_menu_line_states_its_own_municipalitys_office_hours() -> None:
    """HRS-2: the menu line a municipal server sends states its rulebook's hours and office, so a
    Kitayama resident reads Kitayama's 09:00–17:00 and Ōhira's resident Ōhira's 08:30–17:15."""
    from kofu.municipal.service import refused_item
    from kofu.rules.kinds import Kind
    from kofu.rules.reasons import Reason
    from kofu.rules.rulebook import load_rulebook

    ohira = refused_item(Kind.KOSEKI, load_rulebook("ohira"), Reason.OFFICE_HOURS_ONLY)
    assert "大衡村役場の開庁日の午前8時30分から午後5時15分まで" in ohira.message_ja
    assert ohira.message_en is not None and "08:30 to 17:15" in ohira.message_en
    kitayama = load_rulebook("kitayama")
    closed = refused_item(Kind.KOSEKI, kitayama, Reason.YEAR_END_CLOSURE)
    assert "12月29日から1月3日まで" in (closed.message_ja or "")


def test_issuance_municipal_server_reflects_change_events_when_their_time_comes_lag1(
    sqlite_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LAG-1: an event filed through the feed for a time already past is reflected by the running
    municipal server's own loop, without anyone running `kofu village reflect`."""
    from kofu.municipal import app as municipal_app_module
    from kofu.registry.feed import apply_events
    from kofu.registry.feed_events import read_events
    from kofu.registry.models import Change

    monkeypatch.setattr(municipal_app_module, "REFLECT_EVERY_S", 0.05)
    person = sqlite_world.person("adult_resident")
    soon = datetime.now(UTC) + timedelta(seconds=1)
    feed = tmp_path / "events.jsonl"
    event = {
        "event_id": "loop-1",
        "kind": "move_within",
        "person_id": person,
        "effective_at": soon.isoformat(),
        "address": "宮城県黒川郡大衡村大衡字平林10番地",
    }
    engine = sqlite_world.municipal_app.state.service.registry
    feed.write_text(json.dumps(event, ensure_ascii=False) + "\n", encoding="utf-8")
    events, problems = read_events(feed)
    assert not problems
    assert apply_events(engine, events, now=datetime.now(UTC), by="core-system").pending == 1
    with TestClient(sqlite_world.municipal_app):  # the lifespan runs the loop
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sqlite_world.factory() as session:
                status = session.scalar(select(Change.status).where(Change.event_id == "loop-1"))
            if status == "reflected":
                break
            time.sleep(0.1)
    assert status == "reflected"
