"""Order service properties on real databases: random steps, retries (NRF-1, FEE-1), two workers (INC-7)."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator

import pytest
from center_helpers import KITAYAMA, NOON, OHIRA, Kiosk, key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center import registers
from kofu.center.models import LedgerEntry, Order, OrderEvent
from kofu.center.orders import Receipt
from kofu.db import make_engine, session_factory, transaction
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.order import State
from kofu.rules.reasons import Reason

Factory = sessionmaker[Session]
STEPS = ("pay", "render", "confirm", "void")


@pytest.fixture
def second_worker(center: Factory) -> Iterator[Factory]:
    """Another engine on the same database: a second worker process's view (INC-7)."""
    bind = center.kw["bind"]
    engine = make_engine(bind.url.render_as_string(hide_password=False))
    yield session_factory(engine)
    engine.dispose()


def order_facts(factory: Factory, order_id: uuid.UUID) -> tuple[State, int, list[str]]:
    with factory() as s:
        order = s.get(Order, order_id)
        assert order is not None
        entries = s.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.order_id == order_id)
        )
        events = list(
            s.scalars(select(OrderEvent.event).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
        )
    return State(order.state), int(entries or 0), events


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(st.tuples(st.sampled_from(STEPS), st.booleans(), st.booleans()), min_size=1, max_size=10)
)
def test_nrf1_fee1_random_steps_and_retries_keep_the_money_straight(
    center: Factory, second_worker: Factory, plan: list[tuple[str, bool, bool]]
) -> None:
    """NRF-1, FEE-1: any sequence of steps, retries and workers: one charge at most, only after a print,
    a ledger entry exactly for a charged order, cash returned only by a void after payment."""
    kiosks = (Kiosk(center), Kiosk(second_worker))
    order = kiosks[0].quote()
    last_key: dict[str, str] = {}
    for step, retry, other_worker in plan:
        kiosk = kiosks[other_worker]
        request_key = last_key[step] if retry and step in last_key else key()
        last_key[step] = request_key
        result = getattr(kiosk, step)(order.order_id, request_key=request_key)
        assert isinstance(result, Receipt) or result in (
            Refused(Reason.ORDER_STATE_CONFLICT),
            Refused(Reason.BAD_REQUEST),
        ), result
        state, entries, events = order_facts(center, order.order_id)
        assert entries == (1 if state is State.CHARGED else 0)
        assert events.count("charge") <= 1 and events.count("void") <= 1
        assert not ("charge" in events and "void" in events)
        if "charge" in events:
            assert events.index("print") < events.index("charge")
        if isinstance(result, Receipt):
            # A stored answer may be older than the order's present state; it must agree with itself.
            if not result.replay:
                assert result.state is state
            paid = result.cash is not None
            assert result.cash_returned == (200 if result.state is State.VOIDED and paid else 0)
            assert result.charged == (200 if result.state is State.CHARGED else 0)


def test_inc7_many_kiosks_two_workers_orders_never_cross(center: Factory, second_worker: Factory) -> None:
    """INC-1, INC-2, INC-7: six kiosks at once over two workers; every ledger entry is its own order's."""
    terminals = [f"T-K-{i:04d}" for i in range(6)]
    with transaction(center) as s:
        for i, terminal_id in enumerate(terminals):
            registers.add_terminal(
                s,
                terminal_id=terminal_id,
                chain=f"chain_{i % 2}",
                store_code=f"S{i}",
                store_name="店",
                now=NOON,
            )
    outcomes: dict[uuid.UUID, tuple[str, str, str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(terminals))
    errors: list[BaseException] = []

    def kiosk_run(i: int) -> None:
        rng = random.Random(i)
        barrier.wait()
        try:
            for n in range(4):
                factory = (center, second_worker)[rng.randrange(2)]
                kiosk = Kiosk(factory, terminal_id=terminals[i], session_id=f"sess-{i}-{n}")
                order = kiosk.quote(Kind.JUMINHYO, copies=1 + i % 3, municipality=(OHIRA, KITAYAMA)[i % 2])
                kiosk.factory = (center, second_worker)[rng.randrange(2)]
                kiosk.pay(order.order_id)
                kiosk.render(order.order_id)
                final = kiosk.void(order.order_id) if rng.random() < 0.3 else kiosk.confirm(order.order_id)
                assert isinstance(final, Receipt)
                with lock:
                    outcomes[order.order_id] = (terminals[i], kiosk.session_id, final.state.value)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=kiosk_run, args=(i,)) for i in range(len(terminals))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(outcomes) == 4 * len(terminals)
    with center() as s:
        entries = {e.order_id: e for e in s.scalars(select(LedgerEntry))}
        rows = {o.order_id: o for o in s.scalars(select(Order))}
    charged = {oid for oid, (_, _, state) in outcomes.items() if state == "charged"}
    assert set(entries) == charged
    for oid, (terminal_id, session_id, _) in outcomes.items():
        assert (rows[oid].terminal_id, rows[oid].session_id) == (terminal_id, session_id)
        if oid in entries:
            i = terminals.index(terminal_id)
            assert (entries[oid].terminal_id, entries[oid].chain) == (terminal_id, f"chain_{i % 2}")
            assert entries[oid].fee == 200 * (1 + i % 3) == rows[oid].fee
