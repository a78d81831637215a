"""Helpers for the center's tests: constants, digests, and a kiosk driving the order steps."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from kofu.center import orders
from kofu.center.orders import Receipt
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind

# A Wednesday, 12:00 JST.
NOON = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
OHIRA = "044245"
KITAYAMA = "999001"


def digest(who: str) -> str:
    return hashlib.sha256(who.encode()).hexdigest()


def key() -> str:
    return uuid.uuid4().hex


@dataclass
class Kiosk:
    """One kiosk session driving the order steps through the service layer."""

    factory: sessionmaker[Session]
    terminal_id: str = "T-SEJ-0001"
    session_id: str = "sess-a"

    def quote(self, kind: Kind = Kind.JUMINHYO, copies: int = 1, municipality: str = OHIRA) -> Receipt:
        r = orders.quote(
            self.factory,
            session_id=self.session_id,
            terminal_id=self.terminal_id,
            municipality_code=municipality,
            kind=kind,
            copies=copies,
            unit_fee=450 if kind is Kind.KOSEKI else 200,
            requester_cert_digest=digest(self.session_id),
            request_key=key(),
            now=NOON,
        )
        assert isinstance(r, Receipt), r
        return r

    def pay(self, order_id: uuid.UUID, cash: int = 1000, request_key: str | None = None) -> Receipt | Refused:
        return orders.pay(
            self.factory,
            order_id=order_id,
            session_id=self.session_id,
            terminal_id=self.terminal_id,
            cash=cash,
            request_key=request_key or key(),
            now=NOON,
        )

    def render(
        self,
        order_id: uuid.UUID,
        request_key: str | None = None,
        *,
        bound_to: uuid.UUID | None = None,
        requester: str | None = None,
    ) -> Receipt | Refused:
        """The document rendered for `order_id`; by default bound to it and to this session's requester."""
        return orders.mark_rendered(
            self.factory,
            order_id=order_id,
            session_id=self.session_id,
            terminal_id=self.terminal_id,
            request_key=request_key or key(),
            now=NOON,
            bound_order_id=bound_to or order_id,
            bound_requester_digest=digest(requester or self.session_id),
            document_number="044245-000001",
            document_digest=digest("pdf"),
        )

    def confirm(self, order_id: uuid.UUID, request_key: str | None = None) -> Receipt | Refused:
        return orders.confirm_print(
            self.factory,
            order_id=order_id,
            session_id=self.session_id,
            terminal_id=self.terminal_id,
            request_key=request_key or key(),
            now=NOON,
        )

    def void(self, order_id: uuid.UUID, request_key: str | None = None) -> Receipt | Refused:
        return orders.void(
            self.factory,
            order_id=order_id,
            session_id=self.session_id,
            terminal_id=self.terminal_id,
            request_key=request_key or key(),
            now=NOON,
        )

    def issue(self, kind: Kind = Kind.JUMINHYO, copies: int = 1, municipality: str = OHIRA) -> Receipt:
        """quote → pay → render → confirm; the final receipt."""
        order = self.quote(kind, copies, municipality)
        for step in (self.pay, self.render, self.confirm):
            result = step(order.order_id)
            assert isinstance(result, Receipt), result
        assert isinstance(result, Receipt)
        return result
