"""The order steps through the center (NRF-1, FEE-1, INC-1/2/7/8): quote, pay, document, confirm, void.

The quote is priced from the offer of the menu the center served this session (`offers`; without one,
from the municipality's menu asked now); the municipal server decides everything again at render. The
document is fetched from the municipal server, checked for its binding to this order and requester,
and passed on in memory only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from kofu.audit.entry import subject as audit_subject
from kofu.center import orders, registers
from kofu.center.app import offers
from kofu.center.app import sessions as kiosk
from kofu.center.app.models import OrderChoice
from kofu.center.app.municipal_client import Fetched, Vouch
from kofu.center.app.offers import Offer, Offered
from kofu.center.app.steps_sessions import SessionSteps, who_and_route
from kofu.db import reading, table_of
from kofu.documents.binding import check_binding
from kofu.logs import get_logger
from kofu.rules import menu as rules_menu
from kofu.rules.decision import Refused
from kofu.rules.order import State
from kofu.rules.reasons import Reason
from kofu.wire.orders import (
    ConfirmRequest,
    OrderResponse,
    PayRequest,
    QuoteRequest,
    RenderRequest,
    Steps,
    VoidRequest,
    chosen,
)

log = get_logger("center.app")
_CHOICES = table_of(OrderChoice)
# plain Core, built once: every order keeps its choice and reads it back at render
_KEEP_CHOICE = insert(_CHOICES)
_CHOICE = select(_CHOICES.c.persons, _CHOICES.c.fiscal_year, _CHOICES.c.option).where(
    _CHOICES.c.order_id == bindparam("oid")
)


def priced(offer: Offer, request: QuoteRequest) -> Offered | Refused:
    """The offered kind the quote is priced from, or why the choice is refused (the rules' check)."""
    item = offer.get(request.kind)
    if item is None:
        return Refused(Reason.KIND_NOT_OFFERED)
    if not item.allowed:
        return Refused(item.reason or Reason.KIND_NOT_OFFERED)
    problem = rules_menu.check_choice(item.choices, chosen(request))
    return item if problem is None else Refused(problem)


@dataclass(frozen=True)
class Document:
    """A document on its way through the center to the kiosk (in memory only)."""

    fetched: Fetched


class OrderSteps(SessionSteps):
    """The order's life as the kiosk drives it."""

    # --- orders -------------------------------------------------------------------------------------

    async def quote(self, request: QuoteRequest) -> OrderResponse | Refused:
        """Price the choice from the session's offer from this municipality, then open the order.

        Without an offer (a kiosk that quotes without asking the menu) the municipality's menu is asked
        now, as the menu step does; the refusals are the same either way.
        """
        quoted = await self._db(self._quote_offered, request)
        if quoted is not None:
            return quoted
        menu = await self.menu(request.session_id, request.terminal_id, request.municipality_code)
        if isinstance(menu, Refused):
            return await self._db(self._refused_quote, request, menu)
        item = priced(offers.offer_of(menu), request)
        if isinstance(item, Refused):
            return await self._db(self._refused_quote, request, item)
        return await self._db(self._open_order, request, item)

    def _refused_quote(self, request: QuoteRequest, refused: Refused) -> Refused:
        """A quote refused before its order opened (audit hook: the order step records its own)."""
        subject = audit_subject(session=request.session_id, municipality=request.municipality_code)
        return self._audit_refusal(
            refused, action="order.quote", terminal_id=request.terminal_id, subject=subject
        )

    def _quote_offered(self, request: QuoteRequest) -> OrderResponse | Refused | None:
        """The quote from the stored offer, in one hop and one read; None when there is no offer."""
        with reading(self.factory) as session:
            found = who_and_route(
                session, request.session_id, request.terminal_id, request.municipality_code, self.clock()
            )
            if isinstance(found, Refused):
                return self._refused_quote(request, found)
            who, _role, municipality = found
            if isinstance(municipality, Refused):  # as its closed menu refuses every kind
                return self._refused_quote(request, Refused(municipality.reason))
            offer = offers.load(session, request.session_id, request.municipality_code)
        if offer is None:
            return None
        item = priced(offer, request)
        if isinstance(item, Refused):
            return self._refused_quote(request, item)
        return self._open_order(request, item, who)

    def _open_order(
        self, request: QuoteRequest, item: Offered, who: kiosk.Who | None = None
    ) -> OrderResponse | Refused:
        now = self.clock()
        if who is None:
            with reading(self.factory) as session:
                found = kiosk.authenticated(session, request.session_id, request.terminal_id, now)
            if isinstance(found, Refused):
                return self._refused_quote(request, found)
            who = found

        def live(session: Session) -> Refused | None:
            # held (shared) until commit, so a close waits and then deletes the choice with the session
            return None if kiosk.hold_live(session, request.session_id) else Refused(Reason.SESSION_UNKNOWN)

        def keep_choice(session: Session, order_id: uuid.UUID) -> None:
            session.execute(
                _KEEP_CHOICE,
                {
                    "order_id": order_id,
                    "session_id": request.session_id,
                    "persons": list(request.persons),
                    "fiscal_year": request.fiscal_year,
                    "option": request.option,
                },
            )

        receipt = orders.quote(
            self.factory,
            session_id=request.session_id,
            terminal_id=request.terminal_id,
            municipality_code=request.municipality_code,
            kind=request.kind,
            copies=request.copies,
            unit_fee=item.unit_fee,
            requester_cert_digest=who.requester_cert_digest,
            request_key=request.request_key,
            now=now,
            max_copies=item.max_copies,
            guard=live,
            keep=keep_choice,
        )
        return receipt if isinstance(receipt, Refused) else OrderResponse.of(receipt)

    def _session_check(self, steps: Steps, *, signed_in: bool = True) -> orders.Guard:
        """The step's session check, run in the step's own transaction: live, its terminal active, and
        signed in; unless told otherwise (a void: live, even for a terminal revoked meanwhile)."""
        now = self.clock()

        def guard(session: Session) -> Refused | None:
            found = (
                kiosk.authenticated(session, steps.session_id, steps.terminal_id, now)
                if signed_in
                else kiosk.live_session(session, steps.session_id, steps.terminal_id, now, revoked_ok=True)
            )
            return found if isinstance(found, Refused) else None

        return guard

    def pay(self, order_id: uuid.UUID, request: PayRequest) -> OrderResponse | Refused:
        """The cash went into escrow; the change is handed back."""
        receipt = orders.pay(
            self.factory,
            order_id=order_id,
            session_id=request.session_id,
            terminal_id=request.terminal_id,
            cash=request.cash,
            request_key=request.request_key,
            now=self.clock(),
            guard=self._session_check(request),
        )
        return receipt if isinstance(receipt, Refused) else OrderResponse.of(receipt)

    def confirm(self, order_id: uuid.UUID, request: ConfirmRequest) -> OrderResponse | Refused:
        """NRF-1, FEE-1: the print completed; charge exactly once."""
        receipt = orders.confirm_print(
            self.factory,
            order_id=order_id,
            session_id=request.session_id,
            terminal_id=request.terminal_id,
            request_key=request.request_key,
            now=self.clock(),
            guard=self._session_check(request),
        )
        return receipt if isinstance(receipt, Refused) else OrderResponse.of(receipt)

    def void(self, order_id: uuid.UUID, request: VoidRequest) -> OrderResponse | Refused:
        """NRF-1: abandon before the print completed; the escrow goes back. Needs only a live session.

        A document already delivered for the order is revoked in the verification register at once
        (T2: no genuine certificate without its fee)."""
        now = self.clock()
        receipt = orders.void(
            self.factory,
            order_id=order_id,
            session_id=request.session_id,
            terminal_id=request.terminal_id,
            request_key=request.request_key,
            now=now,
            reason=request.reason.value,
            guard=self._session_check(request, signed_in=False),  # a void needs no sign-in
        )
        if isinstance(receipt, Refused):
            return receipt
        if receipt.document_number is not None and self.revoke_document is not None:
            self.revoke_document(receipt.document_number, now)  # idempotent: a replay heals a lost revoke
        return OrderResponse.of(receipt)

    def _render_request(
        self, order_id: uuid.UUID, steps: Steps
    ) -> tuple[RenderRequest, str, Vouch] | Refused:
        """The render request of a paid order of this session, its server, and what its statement names.

        An order already rendered is refused: its document is delivered once (a lost one is voided, and
        a voided document is revoked)."""
        now = self.clock()
        with reading(self.factory) as session:  # one read: the session, the order, its choice and its server
            who = kiosk.authenticated(session, steps.session_id, steps.terminal_id, now)
            if isinstance(who, Refused):
                return who
            status = orders.order_status_in(
                session, order_id=order_id, session_id=steps.session_id, terminal_id=steps.terminal_id
            )
            if isinstance(status, Refused):
                return status
            if status.state is not State.PAID:
                return Refused(Reason.ORDER_STATE_CONFLICT)
            choice = session.execute(_CHOICE, {"oid": order_id}).first()
            if choice is None:
                return Refused(Reason.ORDER_UNKNOWN)
            municipality = registers.route(session, status.municipality_code, now=now)
        if isinstance(municipality, Refused):
            return municipality
        request = RenderRequest(
            order_id=order_id,
            municipality_code=status.municipality_code,
            kind=status.kind,
            copies=status.copies,
            requester_serial=who.auth_serial,
            requester_cert_digest=who.requester_cert_digest,
            persons=tuple(choice.persons),
            fiscal_year=choice.fiscal_year,
            option=choice.option,
        )
        return request, municipality.base_url, Vouch(steps.session_id, who.challenge)

    async def document(self, order_id: uuid.UUID, steps: Steps) -> Document | Refused:
        """Fetch the sealed PDF from the municipal server, check its binding, mark the order rendered.

        The bytes pass through memory only; the order keeps the document's number and digest.
        """
        prepared = await self._db(self._render_request, order_id, steps)
        if isinstance(prepared, Refused):
            return await self._db(self._refused_document, order_id, steps, prepared)
        request, base_url, vouch = prepared
        fetched = await self.municipal.render(request.municipality_code, base_url, request, vouch)
        if isinstance(fetched, Refused):
            return await self._db(self._refused_document, order_id, steps, fetched)
        refused = await self._db(self._accept_document, order_id, steps, request, fetched)
        return refused if refused is not None else Document(fetched)

    def _refused_document(self, order_id: uuid.UUID, steps: Steps, refused: Refused) -> Refused:
        """A document step refused before the order step (audit hook: `mark_rendered` records its own)."""
        subject = audit_subject(order=order_id)
        return self._audit_refusal(
            refused, action="order.render", terminal_id=steps.terminal_id, subject=subject
        )

    def _accept_document(
        self, order_id: uuid.UUID, steps: Steps, request: RenderRequest, fetched: Fetched
    ) -> Refused | None:
        """In one hop: check the document's binding, mark the order rendered, record the document."""
        bound = _check_bound(fetched, request)
        if bound is not None:
            log.error("document_not_bound", order_id=str(order_id))
            return self._refused_document(order_id, steps, Refused(bound))
        receipt = orders.mark_rendered(
            self.factory,
            order_id=order_id,
            session_id=steps.session_id,
            terminal_id=steps.terminal_id,
            request_key=steps.request_key,
            now=self.clock(),
            bound_order_id=fetched.headers.order_id,
            bound_requester_digest=fetched.headers.requester_cert_digest,
            document_number=fetched.headers.document_number,
            document_digest=fetched.headers.document_digest,
        )
        if isinstance(receipt, Refused):
            return receipt
        if receipt.replay:  # a twin request (or a retry) was handed this order's document already
            log.warning("document_delivered_before", order_id=str(order_id))
            return self._refused_document(order_id, steps, Refused(Reason.ORDER_STATE_CONFLICT))
        if self.record_document is not None:
            self.record_document(request, fetched)
        return None


def _check_bound(fetched: Fetched, request: RenderRequest) -> Reason | None:
    """INC-1, 2, 3, 7, 8: the document must name this order and this requester, in headers and inside."""
    headers = fetched.headers
    if headers.order_id != request.order_id or headers.requester_cert_digest != request.requester_cert_digest:
        return Reason.DOCUMENT_NOT_BOUND
    verdict = check_binding(fetched.pdf, str(request.order_id), request.requester_cert_digest)
    return Reason.DOCUMENT_NOT_BOUND if isinstance(verdict, Refused) else None
