"""End to end in one process: card → center → municipal server → PDF → confirm → one charge.

SEC-1 (challenge signed by the card), DAY-1, ELG-1 (the PIN never leaves the kiosk side), CRT-1
(only the requester's own record printed), INC-1/2/7/8 (the document is bound to its order and
requester), NRF-1/FEE-1 (charged exactly once, after the print), SEC-4 (nothing of the PDF kept).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from issuance_world import LONG_AGO, OFFICE_NOON, OHIRA, PIN, World
from kofu.card.client import JpkiClient, PinRefused
from kofu.card.inprocess import InProcessReader
from kofu.center.models import LedgerEntry, Order
from kofu.documents.binding import bound_to
from kofu.documents.published import parse_keyset
from kofu.registry.models import Person
from kofu.verify import verify_bytes
from kofu.verify.key import verifier_key
from kofu.verify.register import Register
from kofu.verify.trust import Trust


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    try:
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    finally:
        path.unlink()


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sig.pdf"
    path.write_bytes(pdf)
    try:
        return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    finally:
        path.unlink()


def _squeeze(s: str) -> str:
    return "".join(s.split()).replace("\u3000", "")


def test_issuance_juminhyo_end_to_end_sec1_crt1_inc1_nrf1_fee1(world: World, tmp_path: Path) -> None:
    """SEC-1, CRT-1, INC-1, NRF-1, FEE-1: the whole flow; every step retried; exactly one charge."""
    person_id = world.person("household_head_with_members")
    card = world.issue(person_id)
    step, challenge = world.open()
    auth = world.authenticate(card, step, challenge)
    assert auth.status_code == 200, auth.text
    assert auth.json()["credential"] == "card"
    assert [m["code"] for m in auth.json()["municipalities"]] == [OHIRA]
    assert auth.json()["municipalities"][0] == {
        "code": OHIRA,
        "name_ja": "大衡村",
        "name_en": "Ōhira",
        "role": "jushochi",
        "available": True,
        "reason": None,
        "message_ja": None,
        "message_en": None,
    }
    # a retry of the authentication with the same card is answered the same, no new challenge needed
    assert world.authenticate(card, step, challenge).json() == auth.json()

    menu = world.menu(step)
    assert menu.status_code == 200, menu.text
    items = {i["kind"]: i for i in menu.json()["items"]}
    juminhyo = items["juminhyo"]
    assert juminhyo["allowed"] is True and juminhyo["unit_fee"] == 200
    members = [m["person_id"] for m in juminhyo["members"]]
    assert members[0] == person_id and len(members) >= 2  # own first, then the household

    quote_body = {**step.steps("quote-key-0001"), "municipality_code": OHIRA, "kind": "juminhyo", "copies": 1}
    quote_body["persons"] = [person_id]
    quote = world.center.post("/v1/orders/quote", json=quote_body)
    assert quote.status_code == 200, quote.text
    again = world.center.post("/v1/orders/quote", json=quote_body)
    assert again.json()["order_id"] == quote.json()["order_id"] and again.json()["replay"] is True
    order_id = quote.json()["order_id"]
    assert quote.json()["state"] == "quoted" and quote.json()["fee"] == 200

    pay_body = {**step.steps("pay-key-00001"), "cash": 500}
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json=pay_body)
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid" and paid.json()["change"] == 300
    assert world.center.post(f"/v1/orders/{order_id}/pay", json=pay_body).json()["replay"] is True

    doc_body = step.steps("document-key-1")
    document = world.center.post(f"/v1/orders/{order_id}/document", json=doc_body)
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["x-kofu-order-id"] == order_id
    pdf = document.content
    retried = world.center.post(f"/v1/orders/{order_id}/document", json=doc_body)  # T2: delivered once
    assert retried.status_code == 409 and retried.json()["reason"] == "order_state_conflict"

    printed = _squeeze(_pdf_text(pdf, tmp_path))
    with world.factory() as session:
        people = session.execute(select(Person.person_id, Person.family_name, Person.given_name)).all()
    own = next(f + g for pid, f, g in people if pid == person_id)
    assert own in printed
    others = [f + g for pid, f, g in people if pid != person_id and f + g != own]
    assert [name for name in others if name in printed] == []  # CRT-1, INC-1: nobody else's record
    assert "Signature Validation: Signature is Valid." in _pdfsig(pdf, tmp_path)
    # the center recorded the document (number and digest only): kofu.verify finds it genuine, trusting
    # the key set the municipal server publishes and its own key (in the world's home) only
    published = TestClient(world.municipal_app).get("/.well-known/kofu/keys")
    assert published.status_code == 200
    trust = Trust.of(*parse_keyset(published.content), verifier=verifier_key(world.home))
    register = Register(world.db_url)
    try:
        verdict = verify_bytes(pdf, trust=trust, register=register)
    finally:
        register.close()
    assert verdict.genuine, verdict.reasons
    assert verdict.content is not None

    confirm_body = step.steps("confirm-key-01")
    confirmed = world.center.post(f"/v1/orders/{order_id}/confirm", json=confirm_body)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "charged" and confirmed.json()["charged"] == 200
    assert world.center.post(f"/v1/orders/{order_id}/confirm", json=confirm_body).json()["charged"] == 200
    other_key = world.center.post(f"/v1/orders/{order_id}/confirm", json=step.steps("confirm-key-02"))
    assert other_key.json()["state"] == "charged"
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1  # FEE-1: exactly once
        order = session.get(Order, __import__("uuid").UUID(order_id))
        assert order is not None and order.document_number == document.headers["x-kofu-document-number"]

    # NRF-1: a charged order cannot be voided
    void = world.center.post(f"/v1/orders/{order_id}/void", json=step.steps("void-key-0001"))
    assert void.status_code == 409 and void.json()["reason"] == "order_state_conflict"

    # SEC-4: the session is forgotten, and no table holds the requester's name
    closed = world.center.delete(f"/v1/sessions/{step.session_id}", params={"terminal_id": step.terminal_id})
    assert closed.status_code == 204
    assert world.menu(step).json()["reason"] == "session_unknown"
    with world.factory() as session:
        for table in ("center_kiosk_sessions", "center_orders", "center_order_choices", "center_fee_ledger"):
            rows = session.execute(text(f"SELECT * FROM {table}")).all()
            assert own not in _squeeze(" ".join(str(r) for r in rows))


def test_issuance_wrong_pin_never_reaches_center_elg1(world: World) -> None:
    """ELG-1, PIN-1: a wrong PIN is refused by the card; the center sees no attempt at all."""
    card = world.issue(world.person("adult_resident"))
    step, challenge = world.open()
    with InProcessReader(card.path) as reader, pytest.raises(PinRefused):
        JpkiClient(reader).authenticate(challenge + step.session_id.encode() + b"T-0001", "9999")
    with world.factory() as session:
        attempts = session.execute(text("SELECT count(*) FROM auth_events")).scalar_one()
    assert attempts == 0
    assert world.menu(step).json()["reason"] == "session_unknown"  # still not signed in
    assert world.authenticate(card, step, challenge, pin=PIN).status_code == 200


def test_issuance_replayed_challenge_in_another_session_refused_sec1(world: World) -> None:
    """SEC-1: an answer for one session's challenge does not sign in another session."""
    card = world.issue(world.person("adult_resident"))
    first, challenge = world.open()
    second, _ = world.open()
    reply = world.authenticate(card, second, challenge)
    assert reply.status_code == 422 and reply.json()["reason"] == "signature_invalid"
    assert world.authenticate(card, first, challenge).status_code == 200


def test_issuance_every_kind_through_the_center_crt1_to_crt5(sqlite_world: World) -> None:
    """CRT-1..CRT-5: each kind and option the menu offers an adult resident is issued, bound to its order."""
    world = sqlite_world
    world.municipal_clock.fixed = OFFICE_NOON
    person_id = world.person("adult_resident")
    step = world.signed_in(world.issue(person_id, issued_at=LONG_AGO))
    items = {i["kind"]: i for i in world.menu(step).json()["items"]}
    assert all(item["allowed"] for item in items.values()), {k: i["reason"] for k, i in items.items()}
    choices: list[tuple[str, dict[str, object]]] = [
        ("juminhyo", {"persons": [person_id], "option": "setai_nushi"}),
        ("inkan", {}),
        ("kazei", {"fiscal_year": items["kazei"]["fiscal_years"][0]}),
        ("koseki", {"option": "whole"}),
        ("koseki", {"option": "individual", "persons": [person_id]}),
        ("fuhyo", {"option": "honseki"}),
    ]
    numbers = set()
    for kind, choice in choices:
        quote = world.quote(step, kind, **choice)
        assert quote.status_code == 200, (kind, quote.text)
        order_id = quote.json()["order_id"]
        paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 1000})
        assert paid.status_code == 200, (kind, paid.text)
        document = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
        assert document.status_code == 200, (kind, document.text)
        assert bound_to(document.content) == (order_id, document.headers["x-kofu-requester-digest"])
        numbers.add(document.headers["x-kofu-document-number"])
        confirmed = world.center.post(f"/v1/orders/{order_id}/confirm", json=step.steps())
        assert confirmed.json()["state"] == "charged", kind
    assert len(numbers) == len(choices)  # PAG-1: a unique number per document
