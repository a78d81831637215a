"""The order service on SQLite and PostgreSQL: NRF-1, FEE-1, idempotent retries, races, INC-1/INC-2/INC-7."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from center_helpers import KITAYAMA, NOON, OHIRA, Kiosk, digest, key
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import orders
from kofu.center.models import IdempotencyRecord, LedgerEntry, Order, OrderEvent
from kofu.center.orders import Receipt
from kofu.db import transaction
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.order import State
from kofu.rules.reasons import Reason

Factory = sessionmaker[Session]


def ledger(factory: Factory) -> list[LedgerEntry]:
    with factory() as s:
        return list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def test_nrf1_fee1_full_order_charges_once_with_one_ledger_entry(center: Factory) -> None:
    """NRF-1, FEE-1: a confirmed print is charged once, and the ledger names municipality, chain, terminal."""
    kiosk = Kiosk(center)
    done = kiosk.issue(Kind.KOSEKI, copies=2)
    assert (done.state, done.fee, done.charged, done.cash_returned) == (State.CHARGED, 900, 900, 0)
    [entry] = ledger(center)
    assert (entry.order_id, entry.municipality_code, entry.chain, entry.store_code, entry.terminal_id) == (
        done.order_id,
        OHIRA,
        "seven_eleven",
        "S001",
        "T-SEJ-0001",
    )
    assert (entry.kind, entry.copies, entry.fee) == ("koseki", 2, 900)


@pytest.mark.parametrize("stage", ["quoted", "paid", "rendered"])
def test_nrf1_print_that_does_not_complete_is_voided_and_never_charged(center: Factory, stage: str) -> None:
    """NRF-1: voiding before the print completes returns the escrowed cash and charges nothing."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    if stage in ("paid", "rendered"):
        assert isinstance(kiosk.pay(order.order_id, cash=500), Receipt)
    if stage == "rendered":
        assert isinstance(kiosk.render(order.order_id), Receipt)
    voided = kiosk.void(order.order_id)
    assert isinstance(voided, Receipt)
    assert voided.state is State.VOIDED and voided.charged == 0
    assert voided.cash_returned == (0 if stage == "quoted" else 200)
    assert kiosk.confirm(order.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)
    assert ledger(center) == []


def test_nrf1_charged_order_is_never_voided(center: Factory) -> None:
    """NRF-1: a charged order cannot be voided or refunded afterwards."""
    kiosk = Kiosk(center)
    done = kiosk.issue()
    assert kiosk.void(done.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)
    status = orders.order_status(
        center, order_id=done.order_id, session_id="sess-a", terminal_id="T-SEJ-0001"
    )
    assert isinstance(status, Receipt) and status.state is State.CHARGED and status.cash_returned == 0


def test_nrf1_confirm_before_render_is_refused(center: Factory) -> None:
    """NRF-1: no charge without a rendered (and printed) document."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    assert kiosk.confirm(order.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)
    assert isinstance(kiosk.pay(order.order_id), Receipt)
    assert kiosk.confirm(order.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)
    assert ledger(center) == []


def test_order_pay_short_is_refused(sqlite_center: Factory) -> None:
    kiosk = Kiosk(sqlite_center)
    order = kiosk.quote(copies=3)
    assert kiosk.pay(order.order_id, cash=500) == Refused(Reason.CASH_INSUFFICIENT)
    paid = kiosk.pay(order.order_id, cash=1000)
    assert isinstance(paid, Receipt) and (paid.fee, paid.change) == (600, 400)


def test_order_retries_of_every_step_are_harmless(center: Factory) -> None:
    """Every step repeated with its request key returns the same answer and has no second effect."""
    kiosk = Kiosk(center)
    quote_key = key()
    first = orders.quote(
        center,
        session_id="sess-a",
        terminal_id="T-SEJ-0001",
        municipality_code=OHIRA,
        kind=Kind.INKAN,
        copies=1,
        unit_fee=200,
        requester_cert_digest=digest("sess-a"),
        request_key=quote_key,
        now=NOON,
    )
    again = orders.quote(
        center,
        session_id="sess-a",
        terminal_id="T-SEJ-0001",
        municipality_code=OHIRA,
        kind=Kind.INKAN,
        copies=1,
        unit_fee=200,
        requester_cert_digest=digest("sess-a"),
        request_key=quote_key,
        now=NOON,
    )
    assert isinstance(first, Receipt) and isinstance(again, Receipt)
    assert again.replay and replace(again, replay=False) == first
    oid = first.order_id
    steps: list[Callable[[uuid.UUID, str], Receipt | Refused]] = [
        lambda o, k: kiosk.pay(o, request_key=k),
        lambda o, k: kiosk.render(o, request_key=k),
        lambda o, k: kiosk.confirm(o, request_key=k),
    ]
    answers: list[tuple[Callable[[uuid.UUID, str], Receipt | Refused], str, Receipt]] = []
    for step in steps:
        k = key()
        answer = step(oid, k)
        assert isinstance(answer, Receipt)
        answers.append((step, k, answer))
        for _ in range(2):
            retry = step(oid, k)
            assert isinstance(retry, Receipt) and retry.replay
            assert replace(retry, replay=False) == answer
    # A late retry of an earlier step with its key is still answered, not refused, and changes nothing.
    for step, k, answer in answers:
        late = step(oid, k)
        assert isinstance(late, Receipt) and late.replay and replace(late, replay=False) == answer
    with center() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        events = [
            e.event
            for e in s.scalars(select(OrderEvent).where(OrderEvent.order_id == oid).order_by(OrderEvent.id))
        ]
    assert events == ["quote", "pay", "render", "print", "charge"]
    assert len(ledger(center)) == 1
    # Confirm with a fresh key on a charged order: same answer, no second charge.
    fresh = kiosk.confirm(oid)
    assert isinstance(fresh, Receipt) and fresh.replay and fresh.charged == 200
    assert len(ledger(center)) == 1


def test_order_void_retry_returns_cash_once(center: Factory) -> None:
    """NRF-1: voiding twice returns the cash in both answers but records one void."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    kiosk.pay(order.order_id)
    k = key()
    first, second, fresh = (
        kiosk.void(order.order_id, k),
        kiosk.void(order.order_id, k),
        kiosk.void(order.order_id),
    )
    assert isinstance(first, Receipt) and isinstance(second, Receipt) and isinstance(fresh, Receipt)
    assert first.cash_returned == second.cash_returned == fresh.cash_returned == 200
    assert second.replay and fresh.replay
    with center() as s:
        voids = s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.event == "void"))
    assert voids == 1


@pytest.mark.parametrize(
    ("terminal_id", "session_id"),
    [("T-LAW-0002", "sess-a"), ("T-SEJ-0001", "sess-b"), ("T-LAW-0002", "sess-b")],
)
def test_inc7_steps_from_another_terminal_or_session_are_refused(
    center: Factory, terminal_id: str, session_id: str
) -> None:
    """INC-7, INC-8: an order answers only its own session at its own terminal."""
    owner = Kiosk(center)
    order = owner.quote()
    intruder = Kiosk(center, terminal_id=terminal_id, session_id=session_id)
    assert intruder.pay(order.order_id) == Refused(Reason.ORDER_WRONG_SESSION)
    assert isinstance(owner.pay(order.order_id), Receipt)
    for step in (intruder.render, intruder.confirm, intruder.void):
        assert step(order.order_id) == Refused(Reason.ORDER_WRONG_SESSION)
    assert orders.order_status(
        center, order_id=order.order_id, session_id=session_id, terminal_id=terminal_id
    ) == Refused(Reason.ORDER_WRONG_SESSION)


def test_order_unknown_and_reused_request_key(center: Factory) -> None:
    kiosk = Kiosk(center)
    assert kiosk.pay(uuid.uuid4()) == Refused(Reason.ORDER_UNKNOWN)
    order = kiosk.quote()
    k = key()
    assert isinstance(kiosk.pay(order.order_id, request_key=k), Receipt)
    # The same request key for a different step is a malformed request, not a replay.
    assert kiosk.render(order.order_id, request_key=k) == Refused(Reason.BAD_REQUEST)
    # Another terminal's key space is its own: the same key there is just a new request.
    other = Kiosk(center, terminal_id="T-LAW-0002", session_id="sess-z")
    assert other.pay(order.order_id, request_key=k) == Refused(Reason.ORDER_WRONG_SESSION)


@pytest.mark.parametrize(("copies", "reason"), [(0, Reason.BAD_REQUEST), (11, Reason.TOO_MANY_COPIES)])
def test_quote_refuses_bad_copies(sqlite_center: Factory, copies: int, reason: Reason) -> None:
    result = orders.quote(
        sqlite_center,
        session_id="s",
        terminal_id="T-SEJ-0001",
        municipality_code=OHIRA,
        kind=Kind.JUMINHYO,
        copies=copies,
        unit_fee=200,
        requester_cert_digest=digest("x"),
        request_key=key(),
        now=NOON,
    )
    assert result == Refused(reason)


def run_together(n: int, target: Callable[[int], object]) -> list[object]:
    """Run `target(i)` in n threads released at once; their results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except Exception as exc:  # the test judges it
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("same_key", [True, False])
def test_nrf1_fee1_two_threads_confirming_at_once_charge_once(center: Factory, same_key: bool) -> None:
    """NRF-1, FEE-1: concurrent confirmations of one order produce exactly one charge and one ledger entry."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    kiosk.pay(order.order_id)
    kiosk.render(order.order_id)
    shared = key()
    results = run_together(
        4, lambda _i: kiosk.confirm(order.order_id, request_key=shared if same_key else None)
    )
    assert all(isinstance(r, Receipt) and r.state is State.CHARGED and r.charged == 200 for r in results), (
        results
    )
    assert sum(1 for r in results if isinstance(r, Receipt) and not r.replay) == 1
    assert len(ledger(center)) == 1


def test_nrf1_confirm_racing_void_never_both(center: Factory) -> None:
    """NRF-1: a confirm racing a void ends either charged (no cash back) or voided (no ledger), never both."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    kiosk.pay(order.order_id)
    kiosk.render(order.order_id)
    results = run_together(2, lambda i: (kiosk.confirm if i == 0 else kiosk.void)(order.order_id))
    winners = [r for r in results if isinstance(r, Receipt)]
    assert len(winners) == 1 and all(
        r == Refused(Reason.ORDER_STATE_CONFLICT) for r in results if r not in winners
    )
    charged = winners[0].state is State.CHARGED
    assert len(ledger(center)) == (1 if charged else 0)
    assert winners[0].cash_returned == (0 if charged else 200)


def test_inc2_inc7_orders_from_two_terminals_in_the_same_second_never_cross(center: Factory) -> None:
    """INC-2, INC-7: simultaneous orders at two stores stay keyed by their own order id, session and fee."""
    kiosks = [
        Kiosk(center, terminal_id="T-SEJ-0001", session_id="sess-a"),
        Kiosk(center, terminal_id="T-LAW-0002", session_id="sess-b"),
    ]
    plan = [(Kind.KOSEKI, 1, OHIRA), (Kind.JUMINHYO, 3, KITAYAMA)]
    results = run_together(2, lambda i: kiosks[i].issue(*plan[i]))
    assert all(isinstance(r, Receipt) for r in results), results
    a, b = results
    assert isinstance(a, Receipt) and isinstance(b, Receipt)
    assert a.order_id != b.order_id
    entries = {e.order_id: e for e in ledger(center)}
    assert (
        entries[a.order_id].terminal_id,
        entries[a.order_id].municipality_code,
        entries[a.order_id].fee,
    ) == (
        "T-SEJ-0001",
        OHIRA,
        450,
    )
    assert (
        entries[b.order_id].terminal_id,
        entries[b.order_id].municipality_code,
        entries[b.order_id].fee,
    ) == (
        "T-LAW-0002",
        KITAYAMA,
        600,
    )
    with center() as s:
        rows = {o.order_id: o for o in s.scalars(select(Order))}
    assert rows[a.order_id].requester_cert_digest == digest("sess-a")
    assert rows[b.order_id].requester_cert_digest == digest("sess-b")


def test_inc1_nrf1_recover_stale_voids_before_print_and_never_charges(center: Factory) -> None:
    """INC-1, NRF-1: orders stuck before the print are voided whole, cash returned; charged ones untouched."""
    kiosk = Kiosk(center)
    quoted = kiosk.quote()
    paid = kiosk.quote()
    kiosk.pay(paid.order_id)
    rendered = kiosk.quote()
    kiosk.pay(rendered.order_id)
    kiosk.render(rendered.order_id)
    charged = kiosk.issue()
    assert orders.recover_stale(center, NOON + timedelta(minutes=1)) == []  # not stale yet
    recovered = orders.recover_stale(center, NOON + timedelta(hours=1))
    by_id = {r.order_id: r for r in recovered}
    assert set(by_id) == {quoted.order_id, paid.order_id, rendered.order_id}
    assert all(r.state is State.VOIDED and r.charged == 0 for r in recovered)
    assert [by_id[o.order_id].cash_returned for o in (quoted, paid, rendered)] == [0, 200, 200]
    assert kiosk.confirm(rendered.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)
    assert [e.order_id for e in ledger(center)] == [charged.order_id]
    assert orders.recover_stale(center, NOON + timedelta(hours=2)) == []


def test_sec4_order_rows_hold_no_certificate_content(center: Factory) -> None:
    """SEC-4: an order keeps metadata and digests only; its columns are fixed and have no content field."""
    Kiosk(center).issue()
    columns = set(Order.__table__.columns.keys())
    assert columns == {
        "order_id",
        "session_id",
        "terminal_id",
        "municipality_code",
        "kind",
        "copies",
        "unit_fee",
        "fee",
        "cash",
        "state",
        "requester_cert_digest",
        "document_number",
        "document_digest",
        "void_reason",
        "created_at",
        "updated_at",
        "charged_at",
    }
    with center() as s:
        stored = s.scalars(select(IdempotencyRecord)).all()
    assert stored and all(set(r.response) == set(Receipt.__dataclass_fields__) for r in stored)


def test_purge_idempotency(sqlite_center: Factory) -> None:
    Kiosk(sqlite_center).issue()
    assert orders.purge_idempotency(sqlite_center, NOON) == 0
    assert orders.purge_idempotency(sqlite_center, NOON + timedelta(days=2)) == 4


def test_inc1_nrf1_recovery_racing_a_confirmation_settles_one_way(center: Factory) -> None:
    """INC-1, NRF-1: a late confirmation racing the stale-order recovery ends charged or voided, whole."""
    kiosk = Kiosk(center)
    order = kiosk.quote()
    kiosk.pay(order.order_id)
    kiosk.render(order.order_id)
    later = NOON + timedelta(hours=1)
    results = run_together(
        2, lambda i: kiosk.confirm(order.order_id) if i == 0 else orders.recover_stale(center, later)
    )
    confirmed, recovered = results
    with center() as s:
        row = s.get(Order, order.order_id)
        assert row is not None
        state = State(row.state)
    if state is State.CHARGED:
        assert isinstance(confirmed, Receipt) and recovered == []
        assert len(ledger(center)) == 1
    else:
        assert state is State.VOIDED and confirmed == Refused(Reason.ORDER_STATE_CONFLICT)
        assert isinstance(recovered, list) and [r.cash_returned for r in recovered] == [200]
        assert ledger(center) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE center_fee_ledger SET fee = 0",
        "DELETE FROM center_fee_ledger",
        "UPDATE center_order_events SET event = 'void'",
        "DELETE FROM center_order_events",
    ],
)
def test_nrf1_fee1_ledger_and_events_are_append_only(center: Factory, statement: str) -> None:
    """NRF-1, FEE-1: the database refuses to alter or remove a ledger entry or an order event."""
    Kiosk(center).issue()
    with pytest.raises(DBAPIError), transaction(center) as s:
        s.execute(text(statement))
    assert len(ledger(center)) == 1 and ledger(center)[0].fee == 200


def test_inc2_inc7_a_document_naming_another_order_or_requester_is_refused(center: Factory) -> None:
    """INC-1, INC-2, INC-7: a rendered document is attached only to the order and requester it names."""
    a, b = Kiosk(center), Kiosk(center, terminal_id="T-LAW-0002", session_id="sess-b")
    order_a, order_b = a.quote(), b.quote()
    a.pay(order_a.order_id)
    b.pay(order_b.order_id)
    assert a.render(order_a.order_id, bound_to=order_b.order_id) == Refused(Reason.DOCUMENT_NOT_BOUND)
    assert a.render(order_a.order_id, requester="sess-b") == Refused(Reason.DOCUMENT_NOT_BOUND)
    assert a.confirm(order_a.order_id) == Refused(Reason.ORDER_STATE_CONFLICT)  # never printed, never charged
    rendered = a.render(order_a.order_id)
    assert isinstance(rendered, Receipt) and rendered.state is State.RENDERED
    bound = orders.order_binding(
        center, order_id=order_a.order_id, session_id="sess-a", terminal_id="T-SEJ-0001"
    )
    assert isinstance(bound, orders.Binding)
    assert (bound.order_id, bound.requester_cert_digest, bound.document_number) == (
        order_a.order_id,
        digest("sess-a"),
        "044245-000001",
    )
    assert orders.order_binding(
        center, order_id=order_a.order_id, session_id="sess-b", terminal_id="T-LAW-0002"
    ) == Refused(Reason.ORDER_WRONG_SESSION)
    assert orders.order_binding(
        center, order_id=uuid.uuid4(), session_id="sess-a", terminal_id="T-SEJ-0001"
    ) == Refused(Reason.ORDER_UNKNOWN)
