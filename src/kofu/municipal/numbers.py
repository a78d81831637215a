"""Unique document numbers (PAG-1): one per order, the next serial of the municipality's day.

A retry of the same order gets its number back. Two orders racing for the same serial: one insert
fails on the unique index and takes the next serial, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kofu.db import transaction
from kofu.municipal.models import DocumentNumber
from kofu.rules.paging import make_document_number

ATTEMPTS = 20


def number_for(
    factory: sessionmaker[Session], *, order_id: uuid.UUID, code: str, issued_on: date, now: datetime
) -> str:
    """The unique number of `order_id`'s document, allocated on first call."""
    for _ in range(ATTEMPTS):
        try:
            with transaction(factory) as session:
                found = session.get(DocumentNumber, order_id)
                if found is not None:
                    return found.unique_number
                last = session.scalar(
                    select(func.max(DocumentNumber.serial)).where(
                        DocumentNumber.municipality_code == code, DocumentNumber.issued_on == issued_on
                    )
                )
                serial = (last or 0) + 1
                number = make_document_number(code, issued_on, serial)
                session.add(
                    DocumentNumber(
                        order_id=order_id,
                        municipality_code=code,
                        issued_on=issued_on,
                        serial=serial,
                        unique_number=number,
                        created_at=now,
                    )
                )
            return number
        except IntegrityError:
            continue  # another order took this serial (or this order raced itself): read again
    raise RuntimeError("could not allocate a document number")
