"""INC-2, INC-7: documents requested at the same moment from different terminals never cross.

Several sessions on two terminals fetch their documents concurrently through the center; each PDF
must carry its own order and requester, and print its own requester's name and nobody else's.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from issuance_world import OHIRA, OTHER_TERMINAL, TERMINAL, World
from kofu.center.app.routing import card_routes
from kofu.db import transaction
from kofu.demo.routes import sync_routes_from_registry
from kofu.documents.binding import bound_to
from kofu.municipal.models import DocumentNumber
from kofu.registry.models import Person
from kofu.wire.orders import RenderRequest
from kofu.wire.statements import Signed, Statement, StatementSigner


def _text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    try:
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    finally:
        path.unlink()
    return "".join(out.split()).replace("\u3000", "")


def test_issuance_concurrent_documents_never_cross_inc2_inc7(world: World, tmp_path: Path) -> None:
    """INC-2, INC-7: three documents fetched at once, each bound to and naming only its own requester."""
    persons: list[str] = []
    with world.factory() as session:
        from kofu.registry.cases import find_persons

        persons = find_persons(session, "adult_resident", limit=3)
        names = {
            pid: f + g
            for pid, f, g in session.execute(
                select(Person.person_id, Person.family_name, Person.given_name).where(
                    Person.person_id.in_(persons)
                )
            )
        }
    jobs = []
    for n, person_id in enumerate(persons):
        step = world.signed_in(world.issue(person_id), TERMINAL if n % 2 == 0 else OTHER_TERMINAL)
        quote = world.quote(step, "juminhyo", persons=[person_id])
        assert quote.status_code == 200, quote.text
        order_id = quote.json()["order_id"]
        paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 200})
        assert paid.status_code == 200, paid.text
        jobs.append((person_id, order_id, step.steps()))

    async def fetch_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=world.center_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://center.test", timeout=60
        ) as client:
            return await asyncio.gather(
                *(client.post(f"/v1/orders/{order_id}/document", json=body) for _, order_id, body in jobs)
            )

    replies = asyncio.run(fetch_all())
    for (person_id, order_id, _), reply in zip(jobs, replies, strict=True):
        assert reply.status_code == 200, reply.text
        assert reply.headers["x-kofu-order-id"] == order_id
        bound = bound_to(reply.content)
        assert bound is not None and bound[0] == order_id
        printed = _text(reply.content, tmp_path / f"{order_id}.pdf")
        assert names[person_id] in printed
        assert [pid for pid, name in names.items() if pid != person_id and name in printed] == []


def test_issuance_routes_synced_from_registry(sqlite_world: World) -> None:
    """Routing: residents' cards go to their 住所地; non-residents with 本籍 here to the 本籍地 (ELG-4).

    An unregistered non-resident is routed too, so that the usage registration (REG-1) can be filed at a
    kiosk; the municipal menu says whether the registration is still needed.
    """
    from kofu.registry.cards import card_record
    from kofu.registry.cases import find_person
    from kofu.registry.models import CardLink

    world = sqlite_world
    with world.factory() as registry, transaction(world.factory) as center:
        count = sync_routes_from_registry(center, registry, municipality_code="044245", now=world.clock())
        assert count == len(registry.scalars(select(CardLink.id)).all()) > 0
        resident = find_person(registry, "adult_resident")
        registered = find_person(registry, "nonresident_honseki_registered")
        unregistered = find_person(registry, "nonresident_honseki_unregistered")
        routes = {}
        for pid in (resident, registered, unregistered):
            link = registry.scalar(
                select(CardLink.auth_serial)
                .join(Person, Person.id == CardLink.person_fk)
                .where(Person.person_id == pid)
            )
            assert link is not None and card_record(registry, link) is not None
            routes[pid] = card_routes(center, link)
    assert routes[resident] == [("044245", "jushochi")]
    assert routes[registered] == [("044245", "honsekichi")]
    assert routes[unregistered] == [("044245", "honsekichi")]


class CrossedTransport(httpx.AsyncBaseTransport):
    """A center that asks the municipal server for another order than the one the kiosk asked (INC-2):
    its statement names the other order, signed with the center's own key."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, swap: dict[str, str], signer: StatementSigner
    ) -> None:
        self.inner = inner
        self.swap = swap
        self.signer = signer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/render":
            signed = Signed.model_validate_json(request.content)
            stated = Statement[RenderRequest].model_validate_json(base64.urlsafe_b64decode(signed.statement))
            order = str(stated.request.order_id)
            crossed = stated.request.model_copy(update={"order_id": uuid.UUID(self.swap.get(order, order))})
            again = self.signer.sign(crossed, session_id=stated.session_id, challenge=b"crossed")
            request = httpx.Request(
                request.method, request.url, headers=request.headers, content=again.model_dump_json()
            )
        return await self.inner.handle_async_request(request)


def test_issuance_crossed_document_refused_inc2(sqlite_world: World) -> None:
    """INC-2, INC-7: a document bound to another order is refused (document_not_bound); order stays paid."""
    world = sqlite_world
    orders = []
    for person_id in (world.person("adult_resident"), world.person("household_head_with_members")):
        step = world.signed_in(world.issue(person_id))
        order_id = world.quote(step, "juminhyo", persons=[person_id]).json()["order_id"]
        assert (
            world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 200}).status_code
            == 200
        )
        orders.append((order_id, step))
    (mine, my_step), (theirs, _) = orders
    municipal = world.center_app.state.service.municipal
    municipal.transports["044245"] = CrossedTransport(
        municipal.transports["044245"], {mine: theirs}, municipal.signer
    )
    reply = world.center.post(f"/v1/orders/{mine}/document", json=my_step.steps())
    assert reply.status_code == 422 and reply.json()["reason"] == "document_not_bound"
    assert reply.headers["content-type"] == "application/json"
    with world.factory() as session:
        from kofu.center.models import Order

        order = session.get(Order, uuid.UUID(mine))
        assert order is not None and order.state == "paid" and order.document_number is None


class DeadTransport(httpx.AsyncBaseTransport):
    """A municipal server that went away (connection refused)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


def test_issuance_municipal_failure_mid_order_voids_whole_order_inc1(sqlite_world: World) -> None:
    """INC-1, NRF-1: the server fails at the document step: no document, nothing charged, cash returned."""
    world = sqlite_world
    step = world.signed_in(world.issue(world.person("adult_resident")))
    order_id = world.quote(step, "juminhyo").json()["order_id"]
    assert (
        world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 500}).status_code == 200
    )
    municipal = world.center_app.state.service.municipal
    municipal.transports["044245"] = DeadTransport()
    failed = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
    assert failed.status_code == 503 and failed.json()["reason"] == "municipality_unavailable"
    confirm = world.center.post(f"/v1/orders/{order_id}/confirm", json=step.steps())
    assert confirm.status_code == 409 and confirm.json()["reason"] == "order_state_conflict"
    voided = world.center.post(f"/v1/orders/{order_id}/void", json={**step.steps(), "reason": "print_failed"})
    assert voided.status_code == 200, voided.text
    assert voided.json()["state"] == "voided" and voided.json()["cash_returned"] == 200
    assert voided.json()["charged"] == 0


class FailsFirstRender(httpx.AsyncBaseTransport):
    """The municipal server makes the first render, then its answer is lost as `fault` says."""

    def __init__(self, inner: httpx.AsyncBaseTransport, fault: str) -> None:
        self.inner = inner
        self.fault = fault
        self.renders = 0
        self.first_number = ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner.handle_async_request(request)
        if request.url.path != "/v1/render":
            return answer
        self.renders += 1
        if self.renders > 1:
            return answer
        await answer.aread()
        self.first_number = answer.headers["x-kofu-document-number"]
        if self.fault == "disconnected":  # the worker was killed as it answered
            raise httpx.RemoteProtocolError("server disconnected without sending a response", request=request)
        if self.fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(int(self.fault), content=b"bad gateway", request=request)


@pytest.mark.parametrize("fault", ["disconnected", "502", "500", "timeout"])
def test_issuance_render_lost_at_once_asked_again_same_number_inc1(sqlite_world: World, fault: str) -> None:
    """A render answer lost at once (a worker killed, a gateway's 502) is asked for once more and gets the
    order's number; after a timeout the center does not ask again, and the whole order is refused."""
    world = sqlite_world
    step = world.signed_in(world.issue(world.person("adult_resident")))
    order_id = world.quote(step, "juminhyo").json()["order_id"]
    paid = world.center.post(f"/v1/orders/{order_id}/pay", json={**step.steps(), "cash": 200})
    assert paid.status_code == 200
    municipal = world.center_app.state.service.municipal
    link = FailsFirstRender(municipal.transports[OHIRA], fault)
    municipal.transports[OHIRA] = link
    reply = world.center.post(f"/v1/orders/{order_id}/document", json=step.steps())
    with world.factory() as session:
        numbers = session.scalars(
            select(DocumentNumber.unique_number).where(DocumentNumber.order_id == uuid.UUID(order_id))
        ).all()
    assert numbers == [link.first_number]  # one number for the order, however often it was rendered
    if fault == "timeout":
        assert link.renders == 1
        assert reply.status_code == 503 and reply.json()["reason"] == "municipality_unavailable"
        return
    assert link.renders == 2
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-kofu-document-number"] == link.first_number
    confirmed = world.center.post(f"/v1/orders/{order_id}/confirm", json=step.steps())
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "charged"


def test_issuance_twin_quotes_open_one_order(world: World) -> None:
    """Retries arriving together (same request key) open exactly one order and get the same answer."""
    step = world.signed_in(world.issue(world.person("adult_resident")))
    body = {**step.steps("twin-quote-key"), "municipality_code": "044245", "kind": "juminhyo", "copies": 1}

    async def quote_four() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=world.center_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://center.test", timeout=60
        ) as client:
            return await asyncio.gather(*(client.post("/v1/orders/quote", json=body) for _ in range(4)))

    replies = asyncio.run(quote_four())
    assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
    assert len({r.json()["order_id"] for r in replies}) == 1
    with world.factory() as session:
        from kofu.center.models import Order

        assert (
            len(session.scalars(select(Order.order_id).where(Order.session_id == step.session_id)).all()) == 1
        )
