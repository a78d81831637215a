"""The center's kiosk-facing HTTP API (`/v1`, mutual TLS in production): thin handlers over `CenterService`.

Every route admits terminals only (`kofu.netpki.gate`: their network certificate under mutual TLS, or
the demo's plain-HTTP loopback); every handler checks that the caller is the terminal it claims to be
(when mutual TLS says who it is, STR-1), calls one service method, and turns a refusal into its
`ErrorBody`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request, Response

from kofu.center.app.service import CenterService
from kofu.center.ratelimit import OPEN_LIMIT, PAY_LIMIT, Limit, retry_after_header
from kofu.netpki.gate import allow, scope_peer
from kofu.netpki.roles import Role
from kofu.rules import ids
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason as R
from kofu.wire.api_errors import documented, refusal_response
from kofu.wire.orders import ConfirmRequest, OrderResponse, PayRequest, QuoteRequest, Steps, VoidRequest
from kofu.wire.registers import NoticesResponse
from kofu.wire.sessions import (
    AuthenticatedResponse,
    AuthenticateRequest,
    ChallengeIssued,
    MenuResponse,
    RegistrationRequest,
    RegistrationResponse,
    SessionOpen,
    SessionOpened,
)

PDF = "application/pdf"
SessionPath = Annotated[str, Path(pattern=ids.SESSION_ID.pattern)]
TerminalQuery = Annotated[str, Query(pattern=ids.TERMINAL_ID.pattern)]
CodeQuery = Annotated[str, Query(pattern=ids.MUNICIPALITY_CODE.pattern)]

_TERMINAL = (R.TERMINAL_UNKNOWN, R.CALLER_NOT_ALLOWED)
_SESSION = (R.SESSION_UNKNOWN, R.ORDER_WRONG_SESSION, R.TERMINAL_UNKNOWN, R.CALLER_NOT_ALLOWED)
_ORDER = (*_SESSION, R.ORDER_UNKNOWN, R.ORDER_STATE_CONFLICT)
_AUTH = (
    R.SIGNATURE_INVALID,
    R.CHALLENGE_EXPIRED,
    R.CERTIFICATE_REVOKED,
    R.OCSP_UNAVAILABLE,
    R.CARD_ISSUED_TODAY,
    R.RATE_LIMITED,
)


def add_routes(app: FastAPI, svc: CenterService, *, require_terminal_cert: bool) -> None:
    """Mount the kiosk → center routes of api.md on `app`."""

    def peer(request: Request, terminal_id: str) -> Refused | None:
        """STR-1: the body's terminal id must be the one its client certificate proves (if any)."""
        caller = scope_peer(request.scope)
        if caller is None or caller.role is not Role.TERMINAL:
            return Refused(R.CALLER_NOT_ALLOWED)  # the gate let no one else in; said again where it counts
        if caller.proven:
            return None if caller.name == terminal_id else Refused(R.TERMINAL_UNKNOWN)
        return Refused(R.TERMINAL_UNKNOWN) if require_terminal_cert else None

    def answer(result: object, limit: Limit | None = None) -> object:
        """The result, or its refusal's response (with a Retry-After when `limit`'s bucket was empty)."""
        if not isinstance(result, Refused):
            return result
        refused = refusal_response(result)
        if result.reason is R.RATE_LIMITED and limit is not None:
            refused.headers.update(retry_after_header(limit))
        return refused

    @app.get("/v1/notices", response_model=NoticesResponse, responses=documented(*_TERMINAL))
    @allow(Role.TERMINAL)
    def notices(request: Request, terminal_id: TerminalQuery) -> object:
        """HRS-5: maintenance notices for the idle screen."""
        return answer(peer(request, terminal_id) or svc.notices(terminal_id))

    @app.post("/v1/sessions", response_model=SessionOpened, responses=documented(*_TERMINAL, R.RATE_LIMITED))
    @allow(Role.TERMINAL)
    def open_session(request: Request, body: SessionOpen) -> object:
        """Open a kiosk session; its single-use challenge is for the card to sign (SEC-1)."""
        return answer(peer(request, body.terminal_id) or svc.open_session(body), OPEN_LIMIT)

    @app.post(
        "/v1/sessions/{session_id}/authenticate",
        response_model=AuthenticatedResponse,
        responses=documented(*_SESSION, *_AUTH),
    )
    @allow(Role.TERMINAL)
    async def authenticate(request: Request, session_id: SessionPath, body: AuthenticateRequest) -> object:
        """SEC-1, DAY-1: check the card's signature of the challenge; answer where the card may go."""
        result = peer(request, body.terminal_id) or await svc.authenticate(session_id, body)
        return answer(result, svc.authenticator.card_limit)  # this card's bucket empty: when to come back

    @app.get(
        "/v1/sessions/{session_id}/menu",
        response_model=MenuResponse,
        responses=documented(*_SESSION, R.MUNICIPALITY_UNKNOWN, R.CARD_UNKNOWN),
    )
    @allow(Role.TERMINAL)
    async def menu(
        request: Request, session_id: SessionPath, terminal_id: TerminalQuery, municipality_code: CodeQuery
    ) -> object:
        """What this card may get from one municipality now (all refused while it is down)."""
        return answer(
            peer(request, terminal_id) or await svc.menu(session_id, terminal_id, municipality_code)
        )

    @app.post(
        "/v1/orders/quote",
        response_model=OrderResponse,
        responses=documented(
            *_SESSION,
            R.MUNICIPALITY_UNKNOWN,
            R.STORE_CLOSED,
            R.MAINTENANCE,
            R.TOO_MANY_COPIES,
            R.NOT_IN_HOUSEHOLD,
        ),
    )
    @allow(Role.TERMINAL)
    async def quote(request: Request, body: QuoteRequest) -> object:
        """Price the choice (from the menu served to this session) and open the order (quoted)."""
        return answer(peer(request, body.terminal_id) or await svc.quote(body))

    @app.post(
        "/v1/orders/{order_id}/pay",
        response_model=OrderResponse,
        responses=documented(*_ORDER, R.CASH_INSUFFICIENT, R.RATE_LIMITED),
    )
    @allow(Role.TERMINAL)
    def pay(request: Request, order_id: uuid.UUID, body: PayRequest) -> object:
        """The cash went into escrow (paid); the change is in the answer."""
        return answer(peer(request, body.terminal_id) or svc.pay(order_id, body), PAY_LIMIT)

    @app.post(
        "/v1/orders/{order_id}/document",
        response_class=Response,
        responses={
            200: {
                "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
                "description": "the sealed PDF, streamed through and kept nowhere; X-Kofu-* headers bind it",
            },
            **documented(*_ORDER, R.DOCUMENT_NOT_BOUND, R.MUNICIPALITY_UNAVAILABLE, R.NOT_IN_HOUSEHOLD),
        },
    )
    @allow(Role.TERMINAL)
    async def document(request: Request, order_id: uuid.UUID, body: Steps) -> Response:
        """Fetch the order's document from the municipal server, check its binding, pass it on (rendered)."""
        result = peer(request, body.terminal_id) or await svc.document(order_id, body)
        if isinstance(result, Refused):
            return refusal_response(result)
        return Response(result.fetched.pdf, media_type=PDF, headers=result.fetched.headers.http())

    @app.post("/v1/orders/{order_id}/confirm", response_model=OrderResponse, responses=documented(*_ORDER))
    @allow(Role.TERMINAL)
    def confirm(request: Request, order_id: uuid.UUID, body: ConfirmRequest) -> object:
        """NRF-1, FEE-1: the print completed; the fee is charged exactly once."""
        return answer(peer(request, body.terminal_id) or svc.confirm(order_id, body))

    @app.post("/v1/orders/{order_id}/void", response_model=OrderResponse, responses=documented(*_ORDER))
    @allow(Role.TERMINAL)
    def void(request: Request, order_id: uuid.UUID, body: VoidRequest) -> object:
        """NRF-1: abandon the order before its print completed; escrowed cash is returned."""
        return answer(peer(request, body.terminal_id) or svc.void(order_id, body))

    @app.post(
        "/v1/sessions/{session_id}/challenge",
        response_model=ChallengeIssued,
        responses=documented(*_SESSION),
    )
    @allow(Role.TERMINAL)
    def challenge(request: Request, session_id: SessionPath, body: Steps) -> object:
        """A fresh challenge for a signing step (the usage registration)."""
        return answer(peer(request, body.terminal_id) or svc.signing_challenge(session_id, body))

    @app.post(
        "/v1/sessions/{session_id}/registration",
        response_model=RegistrationResponse,
        responses=documented(
            *_SESSION,
            R.PHONE_NOT_ALLOWED_FOR_REGISTRATION,
            R.ALREADY_REGISTERED,
            R.SIGNATURE_INVALID,
            R.MUNICIPALITY_UNKNOWN,
            R.MUNICIPALITY_UNAVAILABLE,
        ),
    )
    @allow(Role.TERMINAL)
    async def registration(request: Request, session_id: SessionPath, body: RegistrationRequest) -> object:
        """REG-1 (ELG-6: refused for phones): file the usage registration at a 本籍地."""
        return answer(peer(request, body.terminal_id) or await svc.register(session_id, body))

    @app.delete(
        "/v1/sessions/{session_id}",
        status_code=204,
        response_class=Response,
        responses=documented(*_TERMINAL),
    )
    @allow(Role.TERMINAL)
    def close_session(request: Request, session_id: SessionPath, terminal_id: TerminalQuery) -> Response:
        """Forget the session's data (SEC-4, INC-8)."""
        refused = peer(request, terminal_id)
        if refused is not None:
            return refusal_response(refused)
        svc.close_session(session_id, terminal_id)
        return Response(status_code=204)
