"""The center app appends every order step and authentication to the hash-chained audit log.

Issue 6's audit trail, wired into the running center: after a whole issuance the chain verifies, names
each step, and holds no certificate content (SEC-4).
"""

from __future__ import annotations

import time

from sqlalchemy import select

from issuance_world import OHIRA, World
from kofu.audit.keys import load_audit_key, load_head_public
from kofu.audit.log import pending_count, read_chain
from kofu.audit.verifier import verify_chain
from kofu.registry.models import Person


def _pending(world: World) -> int:
    with world.factory() as session:
        return pending_count(session)


def test_issuance_appends_every_decision_to_an_intact_chain_sec4(world: World) -> None:
    person_id = world.person("adult_resident")
    card = world.issue(person_id)
    step, challenge = world.open()
    assert world.authenticate(card, step, challenge).status_code == 200
    body = {**step.steps("audit-quote-01"), "municipality_code": OHIRA, "kind": "inkan", "copies": 1}
    quote = world.center.post("/v1/orders/quote", json={**body, "persons": [person_id]})
    assert quote.status_code == 200, quote.text
    order_id = quote.json()["order_id"]
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps("audit-pay-001"), "cash": 200})
    assert paid.status_code == 200, paid.text
    doc = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps("audit-doc-001"))
    assert doc.status_code == 200, doc.text
    done = world.center.post(f"/v1/orders/{order_id}/confirm", json=step.steps("audit-confirm-1"))
    assert done.json()["state"] == "charged"

    deadline = time.monotonic() + 5
    while _pending(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pending(world) == 0, "the center's chainer (app lifespan) did not chain the decisions"
    with world.factory() as session:
        entries, head = read_chain(session)
        person = session.scalars(select(Person).where(Person.person_id == person_id)).one()
    # keyed by the home's audit keys, the head signed (T6)
    report = verify_chain(entries, head, load_audit_key(world.home), head_public=load_head_public(world.home))
    assert not report.problems, report.problems
    assert head is not None and head.keyed and head.signature
    actions = [e.action for e in entries]
    assert "auth.authenticate" in actions
    assert sum(1 for a in actions if a.startswith("order.")) >= 4  # quote, pay, render, confirm
    assert {"session.menu", "municipal.menu", "municipal.render"} <= set(actions)
    written = "".join(f"{e.actor}{e.subject}{e.outcome}" for e in entries)
    for private in (person.family_name, person.given_name, person.family_kana or ""):
        assert not private or private not in written
