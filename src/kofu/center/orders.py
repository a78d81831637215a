"""The order use cases: quote, pay, mark_rendered, confirm_print, void, and recovery of stale orders.

One function per use case, each taking a session factory and running one transaction (retried whole on a
lost race). Every step is keyed by the order ID only (INC-1, INC-2, INC-7: nothing is shared between
orders), checked against the order's session and terminal, and idempotent: a retry with the same request
key gets the stored answer; the same step on an order already past it gets the same answer without effect.
Races are settled in the database: SELECT ... FOR UPDATE on PostgreSQL, and on every engine an
UPDATE ... WHERE state = expected whose row count must be one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import attached as audit_attached
from kofu.audit.log import record as audit_record
from kofu.center import ratelimit
from kofu.center.models import IdempotencyRecord, LedgerEntry, Order, OrderEvent
from kofu.center.registers import check_access, terminal_info
from kofu.db import reading, table_of, transaction
from kofu.logs import get_logger
from kofu.rules import ids
from kofu.rules.copies import COPIES_CEILING, check_copies_within
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.order import Effect, Event, State, Transition, advance, can_recover
from kofu.rules.reasons import Reason

log = get_logger("center.orders")

STALE_AFTER = timedelta(minutes=15)  # longer than any print; recovery never touches a confirmed print
ATTEMPTS = 8
# the hot statements are plain Core on the tables, past the ORM's bulk-statement machinery
_ORDERS_TABLE = table_of(Order)
_ANSWERS_TABLE = table_of(IdempotencyRecord)
_ANSWERS = _ANSWERS_TABLE.c
_EVENTS_TABLE = table_of(OrderEvent)
# built once, values bound at each call (bind names are not column names: an UPDATE sets those)
_STORED = select(_ANSWERS.session_id, _ANSWERS.operation, _ANSWERS.order_id, _ANSWERS.response).where(
    _ANSWERS.terminal_id == bindparam("tid"), _ANSWERS.request_key == bindparam("key")
)
_REMEMBER = insert(_ANSWERS_TABLE)
_MOVE = update(_ORDERS_TABLE).where(
    _ORDERS_TABLE.c.order_id == bindparam("oid"), _ORDERS_TABLE.c.state == bindparam("expected")
)
_ADD_EVENTS = insert(_EVENTS_TABLE)
_ADD_ORDER = insert(_ORDERS_TABLE)
_ADD_LEDGER = insert(table_of(LedgerEntry))

Factory = sessionmaker[Session]
# A caller's check run first in the step's own transaction (the kiosk session is live): no read of its own
Guard = Callable[[Session], Refused | None]


@dataclass(frozen=True)
class Receipt:
    """The answer to any order step: where the order stands and what happened to the money.

    A retry gets the same receipt with `replay=True`; every other field is identical.
    """

    order_id: uuid.UUID
    state: State
    municipality_code: str
    kind: Kind
    copies: int
    unit_fee: int
    fee: int
    cash: int | None = None  # yen inserted
    change: int | None = None  # yen handed back at payment
    cash_returned: int = 0  # yen handed back by a void (the escrowed fee)
    charged: int = 0  # yen charged (FEE-1), only in state charged
    replay: bool = False
    document_number: str | None = None  # once rendered: the document's number (a voided one is revoked)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(order_id=str(self.order_id), state=self.state.value, kind=self.kind.value, replay=False)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        return cls(
            **{
                **data,
                "order_id": uuid.UUID(data["order_id"]),
                "state": State(data["state"]),
                "kind": Kind(data["kind"]),
            }
        )


@dataclass
class OrderRow:
    """An order as a step reads it (plain Core, no ORM object), and as the step's UPDATE left it."""

    order_id: uuid.UUID
    session_id: str
    terminal_id: str
    municipality_code: str
    kind: str
    copies: int
    unit_fee: int
    fee: int
    cash: int | None
    state: str
    requester_cert_digest: str
    document_number: str | None
    document_digest: str | None
    void_reason: str | None
    created_at: datetime
    updated_at: datetime
    charged_at: datetime | None


_ORDER = select(*(_ORDERS_TABLE.c[f] for f in OrderRow.__dataclass_fields__)).where(
    _ORDERS_TABLE.c.order_id == bindparam("oid")
)
_LOCKED = _ORDER.with_for_update()


class _LostRace(Exception):
    """Another transaction moved the order first: run the use case again from a fresh read."""


def _receipt(order: OrderRow, *, replay: bool = False) -> Receipt:
    state = State(order.state)
    paid = order.cash is not None
    return Receipt(
        order_id=order.order_id,
        state=state,
        municipality_code=order.municipality_code,
        kind=Kind(order.kind),
        copies=order.copies,
        unit_fee=order.unit_fee,
        fee=order.fee,
        cash=order.cash,
        change=(order.cash - order.fee) if order.cash is not None else None,
        cash_returned=order.fee if state is State.VOIDED and paid else 0,
        charged=order.fee if state is State.CHARGED else 0,
        replay=replay,
        document_number=order.document_number,
    )


def _run(factory: Factory, work: Callable[[Session], Receipt | Refused]) -> Receipt | Refused:
    """Run `work` in one transaction; on a lost race, a duplicate key, a lock or a dropped connection, again.

    Running again is safe because every step is idempotent: it finds its stored answer or the order's state.
    """
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            with transaction(factory) as session:
                return work(session)
        except (_LostRace, DBAPIError) as exc:
            if isinstance(exc, DBAPIError) and not _transient(exc):
                raise
            last = exc
            log.debug("order_retry", attempt=attempt, error=type(exc).__name__)
            time.sleep(0.005 * attempt)
    raise RuntimeError("an order step kept losing races; giving up") from last


# --- audit hook (kofu.audit): each decision is appended in the step's own transaction; no-op unless
# --- the factory has an audit log attached (kofu.audit.log.attach_audit). Replays are not new decisions.
def _audited(
    work: Callable[[Session], Receipt | Refused],
    *,
    operation: str,
    terminal_id: str,
    order_id: uuid.UUID | None,
    now: datetime,
) -> Callable[[Session], Receipt | Refused]:
    def audited(session: Session) -> Receipt | Refused:
        result = work(session)
        if not (isinstance(result, Receipt) and result.replay):
            order = result.order_id if isinstance(result, Receipt) else order_id
            audit_record(
                session,
                actor=tagged("terminal", terminal_id),
                action=f"order.{operation}",
                subject=audit_subject(order=order),
                result=result,
                now=now,
            )
        return result

    return audited


def _refuse(
    factory: Factory, refusal: Refused, *, operation: str, terminal_id: str, now: datetime
) -> Refused:
    """A refusal decided before any database work, still appended to the audit log (if one is attached)."""
    if audit_attached(factory) is None:
        return refusal
    result = _run(
        factory,
        _audited(lambda _s: refusal, operation=operation, terminal_id=terminal_id, order_id=None, now=now),
    )
    return refusal if isinstance(result, Receipt) else result


# --- end of the audit hook


def _transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    if isinstance(exc, IntegrityError):
        return "unique" in text or "duplicate" in text  # a twin request stored its answer first
    if exc.connection_invalidated:
        return True
    return any(word in text for word in ("locked", "busy", "deadlock", "could not serialize", "connection"))


def _load(session: Session, order_id: uuid.UUID, *, lock: bool = True) -> OrderRow | None:
    """The order, its row locked on PostgreSQL (`lock`) so a twin step waits for this one's commit."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_LOCKED if lock and postgresql else _ORDER, {"oid": order_id}).first()
    return None if row is None else OrderRow(**row._mapping)


def _stored(
    session: Session,
    *,
    terminal_id: str,
    request_key: str,
    operation: str,
    session_id: str,
    order_id: uuid.UUID | None,
) -> Receipt | Refused | None:
    """The stored answer to this exact request, if it was already answered."""
    # plain columns, read fresh: every step looks for its stored answer first
    record = session.execute(_STORED, {"tid": terminal_id, "key": request_key}).first()
    if record is None:
        return None
    if record.session_id != session_id:
        return Refused(Reason.ORDER_WRONG_SESSION)
    if record.operation != operation or (order_id is not None and record.order_id != order_id):
        return Refused(Reason.BAD_REQUEST)  # a request key reused for something else
    return replace(Receipt.from_json(record.response), replay=True)


def _remember(
    session: Session,
    *,
    terminal_id: str,
    request_key: str,
    operation: str,
    session_id: str,
    receipt: Receipt,
    now: datetime,
) -> None:
    session.execute(  # a concurrent twin with the same key fails here and is retried into the stored answer
        _REMEMBER,
        {
            "terminal_id": terminal_id,
            "request_key": request_key,
            "operation": operation,
            "session_id": session_id,
            "order_id": receipt.order_id,
            "response": receipt.to_json(),
            "created_at": now,
        },
    )


def _move(
    session: Session,
    order: OrderRow,
    transition: Transition,
    events: tuple[Event, ...],
    actor: str,
    now: datetime,
    **values: Any,
) -> None:
    """Apply a transition with a conditional UPDATE: exactly one row must still be in the expected state."""
    written = {"state": transition.after.value, "updated_at": now, **values}
    result = session.execute(_MOVE, {"oid": order.order_id, "expected": transition.before.value, **written})
    if getattr(result, "rowcount", 0) != 1:
        raise _LostRace
    state: State = transition.before
    rows = []
    for event in events:
        after = _after(state, event)
        rows.append(
            {
                "order_id": order.order_id,
                "event": event.value,
                "from_state": state.value,
                "to_state": after.value,
                "at": now,
                "actor": actor,
            }
        )
        state = after
    session.execute(_ADD_EVENTS, rows)  # plain rows: no ORM objects to flush
    for key, value in written.items():  # what the UPDATE wrote: no SELECT to read the row back
        setattr(order, key, value)


def _after(state: State, event: Event) -> State:
    moved = advance(state, (event,))
    assert isinstance(moved, Transition)
    return moved.after


def _step(
    factory: Factory,
    *,
    operation: str,
    events: tuple[Event, ...],
    order_id: uuid.UUID,
    session_id: str,
    terminal_id: str,
    request_key: str,
    now: datetime,
    check: Callable[[Session, OrderRow], Refused | None] | None = None,
    values: Callable[[OrderRow], dict[str, Any]] | None = None,
    after: Callable[[Session, OrderRow, Transition], None] | None = None,
    guard: Guard | None = None,
) -> Receipt | Refused:
    """The common shape of every step after the quote (`check`: in its transaction, replays not checked)."""

    def work(session: Session) -> Receipt | Refused:
        if guard is not None and (refused := guard(session)) is not None:
            return refused
        order = _load(session, order_id)  # locks the row on PostgreSQL first, so a twin waits here
        stored = _stored(
            session,
            terminal_id=terminal_id,
            request_key=request_key,
            operation=operation,
            session_id=session_id,
            order_id=order_id,
        )
        if stored is not None:
            return stored
        if order is None:
            return Refused(Reason.ORDER_UNKNOWN)
        if order.session_id != session_id or order.terminal_id != terminal_id:
            return Refused(Reason.ORDER_WRONG_SESSION)
        transition = advance(State(order.state), events)
        if isinstance(transition, Refused):
            return transition
        if transition.replay:
            return _receipt(order, replay=True)
        if check is not None and (refused := check(session, order)) is not None:
            return refused
        _move(session, order, transition, events, terminal_id, now, **(values(order) if values else {}))
        if after is not None:
            after(session, order, transition)
        receipt = _receipt(order)
        _remember(
            session,
            terminal_id=terminal_id,
            request_key=request_key,
            operation=operation,
            session_id=session_id,
            receipt=receipt,
            now=now,
        )
        log.info("order_step", order_id=str(order_id), step=operation, state=receipt.state.value)
        return receipt

    return _run(
        factory, _audited(work, operation=operation, terminal_id=terminal_id, order_id=order_id, now=now)
    )


# --- the use cases -------------------------------------------------------------------------------------


def quote(
    factory: Factory,
    *,
    session_id: str,
    terminal_id: str,
    municipality_code: str,
    kind: Kind,
    copies: int,
    unit_fee: int,
    requester_cert_digest: str,
    request_key: str,
    now: datetime,
    max_copies: int = COPIES_CEILING,
    guard: Guard | None = None,
    keep: Callable[[Session, uuid.UUID], None] | None = None,
) -> Receipt | Refused:
    """Open an order at `unit_fee` yen per copy, once the terminal, store hours and municipality allow it.

    `keep` stores what goes with a new order (the kiosk's choice) in the order's own transaction.
    """
    malformed = unit_fee < 0 or not ids.DIGEST.fits(requester_cert_digest)
    problem = Reason.BAD_REQUEST if malformed else check_copies_within(copies, max_copies)  # FEE-1
    if problem is not None:
        return _refuse(factory, Refused(problem), operation="quote", terminal_id=terminal_id, now=now)

    def work(session: Session) -> Receipt | Refused:
        stored = _stored(
            session,
            terminal_id=terminal_id,
            request_key=request_key,
            operation="quote",
            session_id=session_id,
            order_id=None,
        )
        if stored is not None:
            return stored
        if guard is not None and (refused := guard(session)) is not None:
            return refused
        access = check_access(session, terminal_id=terminal_id, municipality_code=municipality_code, now=now)
        if isinstance(access, Refused):
            return access
        order = OrderRow(
            order_id=uuid.uuid4(),
            session_id=session_id,
            terminal_id=terminal_id,
            municipality_code=municipality_code,
            kind=kind.value,
            copies=copies,
            unit_fee=unit_fee,
            fee=unit_fee * copies,
            cash=None,
            state=State.QUOTED.value,
            requester_cert_digest=requester_cert_digest,
            document_number=None,
            document_digest=None,
            void_reason=None,
            created_at=now,
            updated_at=now,
            charged_at=None,
        )
        session.execute(_ADD_ORDER, asdict(order))
        session.execute(
            _ADD_EVENTS,
            [
                {
                    "order_id": order.order_id,
                    "event": "quote",
                    "from_state": None,
                    "to_state": State.QUOTED.value,
                    "at": now,
                    "actor": terminal_id,
                }
            ],
        )
        if keep is not None:
            keep(session, order.order_id)
        receipt = _receipt(order)
        _remember(
            session,
            terminal_id=terminal_id,
            request_key=request_key,
            operation="quote",
            session_id=session_id,
            receipt=receipt,
            now=now,
        )
        log.info("order_step", order_id=str(order.order_id), step="quote", state=State.QUOTED.value)
        return receipt

    return _run(factory, _audited(work, operation="quote", terminal_id=terminal_id, order_id=None, now=now))


def pay(
    factory: Factory,
    *,
    order_id: uuid.UUID,
    session_id: str,
    terminal_id: str,
    cash: int,
    request_key: str,
    now: datetime,
    guard: Guard | None = None,
) -> Receipt | Refused:
    """The kiosk took `cash` yen: the fee goes into escrow, the rest is change.

    A payment takes a token from the terminal's pay bucket in this transaction: a replay is free."""

    def check(session: Session, order: OrderRow) -> Refused | None:
        if cash < order.fee:
            return Refused(Reason.CASH_INSUFFICIENT)
        taken = ratelimit.take_in(session, ratelimit.terminal_key(terminal_id, "pay"), now)
        return taken if isinstance(taken, Refused) else None

    return _step(
        factory,
        operation="pay",
        events=(Event.PAY,),
        order_id=order_id,
        session_id=session_id,
        terminal_id=terminal_id,
        request_key=request_key,
        now=now,
        check=check,
        values=lambda _order: {"cash": cash},
        guard=guard,
    )


def mark_rendered(
    factory: Factory,
    *,
    order_id: uuid.UUID,
    session_id: str,
    terminal_id: str,
    request_key: str,
    now: datetime,
    bound_order_id: uuid.UUID,
    bound_requester_digest: str,
    document_number: str | None = None,
    document_digest: str | None = None,
) -> Receipt | Refused:
    """The municipal server rendered the document; only its number and digest are kept (SEC-4).

    INC-1, INC-2, INC-7: the document must name this order and this requester (`bound_*`, read from the
    document or its response headers), or it is refused (document_not_bound) and the order stays paid.
    """
    if document_digest is not None and not ids.DIGEST.fits(document_digest):
        return _refuse(
            factory, Refused(Reason.BAD_REQUEST), operation="render", terminal_id=terminal_id, now=now
        )

    def check(_session: Session, order: OrderRow) -> Refused | None:
        if bound_order_id != order.order_id or bound_requester_digest != order.requester_cert_digest:
            log.warning("document_not_bound", order_id=str(order.order_id))
            return Refused(Reason.DOCUMENT_NOT_BOUND)
        return None

    return _step(
        factory,
        operation="render",
        events=(Event.RENDER,),
        order_id=order_id,
        session_id=session_id,
        terminal_id=terminal_id,
        request_key=request_key,
        now=now,
        check=check,
        values=lambda _order: {"document_number": document_number, "document_digest": document_digest},
    )


@dataclass(frozen=True)
class Binding:
    """What a document for this order must carry (and what the kiosk checks before printing)."""

    order_id: uuid.UUID
    requester_cert_digest: str
    municipality_code: str
    kind: Kind
    copies: int
    document_number: str | None
    document_digest: str | None


def order_binding(
    factory: Factory, *, order_id: uuid.UUID, session_id: str, terminal_id: str
) -> Binding | Refused:
    """The binding of an order, for its own session and terminal only."""
    with reading(factory) as session:
        order = _load(session, order_id, lock=False)
        if order is None:
            return Refused(Reason.ORDER_UNKNOWN)
        if order.session_id != session_id or order.terminal_id != terminal_id:
            return Refused(Reason.ORDER_WRONG_SESSION)
        return Binding(
            order.order_id,
            order.requester_cert_digest,
            order.municipality_code,
            Kind(order.kind),
            order.copies,
            order.document_number,
            order.document_digest,
        )


def _write_ledger(session: Session, order: OrderRow, transition: Transition) -> None:
    """FEE-1: the one ledger entry of a charged order, in the same transaction as the charge."""
    if Effect.CHARGE_FEE not in transition.effects:
        return
    terminal = terminal_info(session, order.terminal_id)
    session.execute(
        _ADD_LEDGER,
        {
            "order_id": order.order_id,
            "municipality_code": order.municipality_code,
            "chain": terminal.chain if terminal else "unknown",
            "store_code": terminal.store_code if terminal else "unknown",
            "terminal_id": order.terminal_id,
            "kind": order.kind,
            "copies": order.copies,
            "fee": order.fee,
            "charged_at": order.updated_at,
        },
    )


def confirm_print(
    factory: Factory,
    *,
    order_id: uuid.UUID,
    session_id: str,
    terminal_id: str,
    request_key: str,
    now: datetime,
    guard: Guard | None = None,
) -> Receipt | Refused:
    """NRF-1, FEE-1: the print completed: printed, then charged exactly once, with its ledger entry."""
    return _step(
        factory,
        operation="confirm",
        events=(Event.PRINT, Event.CHARGE),
        order_id=order_id,
        session_id=session_id,
        terminal_id=terminal_id,
        request_key=request_key,
        now=now,
        values=lambda _order: {"charged_at": now},
        after=_write_ledger,
        guard=guard,
    )


def void(
    factory: Factory,
    *,
    order_id: uuid.UUID,
    session_id: str,
    terminal_id: str,
    request_key: str,
    now: datetime,
    reason: str = "cancelled",
    guard: Guard | None = None,
) -> Receipt | Refused:
    """NRF-1: abandon an order before its print completed; escrowed cash goes back. Charged orders refuse."""
    return _step(
        factory,
        operation="void",
        events=(Event.VOID,),
        order_id=order_id,
        session_id=session_id,
        terminal_id=terminal_id,
        request_key=request_key,
        now=now,
        values=lambda _order: {"void_reason": reason[:64]},
        guard=guard,
    )


def order_status(
    factory: Factory, *, order_id: uuid.UUID, session_id: str, terminal_id: str
) -> Receipt | Refused:
    """Where an order stands, for its own session and terminal only."""
    with reading(factory) as session:
        return order_status_in(session, order_id=order_id, session_id=session_id, terminal_id=terminal_id)


def order_status_in(
    session: Session, *, order_id: uuid.UUID, session_id: str, terminal_id: str
) -> Receipt | Refused:
    """`order_status` in the caller's session, so it can share one read with the caller's other checks."""
    order = _load(session, order_id, lock=False)
    if order is None:
        return Refused(Reason.ORDER_UNKNOWN)
    if order.session_id != session_id or order.terminal_id != terminal_id:
        return Refused(Reason.ORDER_WRONG_SESSION)
    return _receipt(order)


def recover_stale(factory: Factory, now: datetime, *, stale_after: timedelta = STALE_AFTER) -> list[Receipt]:
    """NRF-1: void orders stuck before their print was confirmed, returning escrowed cash; never charges."""
    cutoff = now - stale_after
    recoverable = [s.value for s in State if can_recover(s)]
    with factory() as session:
        ids = list(
            session.scalars(
                select(Order.order_id).where(Order.state.in_(recoverable), Order.updated_at < cutoff)
            )
        )
    voided: list[Receipt] = []
    for order_id in ids:

        def work(session: Session, order_id: uuid.UUID = order_id) -> Receipt | Refused:
            order = _load(session, order_id)
            if order is None or not can_recover(State(order.state)) or order.updated_at >= cutoff:
                return Refused(Reason.ORDER_STATE_CONFLICT)  # moved on meanwhile: leave it alone
            transition = advance(State(order.state), (Event.VOID,))
            assert isinstance(transition, Transition)
            _move(session, order, transition, (Event.VOID,), "recovery", now, void_reason="stale")
            audit_record(  # audit hook (kofu.audit)
                session,
                actor="system:recovery",
                action="order.recover",
                subject=audit_subject(order=order_id),
                result=None,
                now=now,
            )
            log.info("order_recovered", order_id=str(order_id), was=transition.before.value)
            return _receipt(order)

        result = _run(factory, work)
        if isinstance(result, Receipt):
            voided.append(result)
    return voided


def voided_documents(factory: Factory, since: datetime) -> list[str]:
    """The numbers of documents delivered for orders voided since `since` (each must be revoked)."""
    with reading(factory) as session:
        return list(
            session.scalars(
                select(Order.document_number).where(
                    Order.state == State.VOIDED.value,
                    Order.document_number.is_not(None),
                    Order.updated_at >= since,
                )
            )
        )


def purge_idempotency(factory: Factory, before: datetime) -> int:
    """Forget stored answers older than `before` (retries never come that late)."""
    from sqlalchemy import delete

    with transaction(factory) as session:
        result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
