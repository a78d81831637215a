"""Unique document numbers (PAG-1): one per order, the next serial of the municipality's day.

A retry of the same order gets its number back. On PostgreSQL the allocations of one municipality's day
take turns on an advisory lock held to commit, so concurrent renders never collide on a serial; on
SQLite the process's writer lock does the same. Should two allocations still race (two processes on one
SQLite file), one insert fails on the unique index and takes the next serial.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kofu.db import table_of, transaction
from kofu.logs import get_logger
from kofu.municipal.models import DocumentNumber, UsedStatement
from kofu.rules.paging import make_document_number

ATTEMPTS = 20

log = get_logger("municipal.numbers")
_NUMBERS = table_of(DocumentNumber)
# plain Core, built once: every render allocates or finds its number
_TURN = text("SELECT pg_advisory_xact_lock(:key)")
_FOUND = select(_NUMBERS.c.unique_number).where(_NUMBERS.c.order_id == bindparam("oid"))
_LAST = select(func.max(_NUMBERS.c.serial)).where(
    _NUMBERS.c.municipality_code == bindparam("code"), _NUMBERS.c.issued_on == bindparam("day")
)
_ADD = insert(_NUMBERS)
_USED = table_of(UsedStatement)
_SPEND = {  # a statement already spent inserts nothing: its row count tells, no exception aborts the work
    "postgresql": pg_insert(_USED).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(_USED).on_conflict_do_nothing(),
}
_PURGE = delete(_USED).where(_USED.c.expires_at < bindparam("before"))


@dataclass(frozen=True)
class Spent:
    """A center statement to be served once: its ID, and when it expires (its row may go then)."""

    statement_id: uuid.UUID
    expires_at: datetime


def spend(session: Session, spent: Spent) -> bool:
    """Mark a statement served, in the caller's transaction; False if it was served before."""
    dialect = session.get_bind().dialect.name
    if dialect not in _SPEND:
        raise NotImplementedError(f"used statements need PostgreSQL or SQLite, not {dialect}")
    result = session.execute(
        _SPEND[dialect], {"statement_id": spent.statement_id, "expires_at": spent.expires_at}
    )
    return bool(getattr(result, "rowcount", 0))


def purge_spent(factory: sessionmaker[Session], now: datetime) -> int:
    """Forget statements that have expired (they are refused as expired now); how many."""
    with transaction(factory) as session:
        return int(getattr(session.execute(_PURGE, {"before": now}), "rowcount", 0) or 0)


def day_lock_key(code: str, issued_on: date) -> int:
    """The advisory lock of one municipality's day of numbers (a signed 64-bit key)."""
    digest = hashlib.blake2b(f"kofu.document_numbers:{code}:{issued_on.isoformat()}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _take_turns(session: Session, code: str, issued_on: date) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_TURN, {"key": day_lock_key(code, issued_on)})


def number_for(
    factory: sessionmaker[Session],
    *,
    order_id: uuid.UUID,
    code: str,
    issued_on: date,
    now: datetime,
    spent: Spent | None = None,
    also: Callable[[Session, str], None] | None = None,
) -> str | None:
    """The unique number of `order_id`'s document, allocated on first call.

    With `spent`, the statement asking for it is marked served in the same transaction; None when it
    was served before (a replay gets no number, so nothing is rendered). `also` runs in that transaction
    with the number (the render's audit entry: one commit, not two).
    """
    for _ in range(ATTEMPTS):
        try:
            with transaction(factory) as session:
                if spent is not None and not spend(session, spent):
                    return None
                _take_turns(session, code, issued_on)
                found = session.scalar(_FOUND, {"oid": order_id})
                if found is not None:
                    number = str(found)
                else:
                    last = session.scalar(_LAST, {"code": code, "day": issued_on})
                    serial = (last or 0) + 1
                    number = make_document_number(code, issued_on, serial)
                    session.execute(
                        _ADD,
                        {
                            "order_id": order_id,
                            "municipality_code": code,
                            "issued_on": issued_on,
                            "serial": serial,
                            "unique_number": number,
                            "created_at": now,
                        },
                    )
                if also is not None:
                    also(session, number)
            return number
        except IntegrityError:
            log.debug("document_number_retry", order_id=str(order_id))
            continue  # another order took this serial (or this order raced itself): read again
    raise RuntimeError("could not allocate a document number")
