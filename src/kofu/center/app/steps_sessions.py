"""Sessions, authentication, routing and menus (SEC-1, DAY-1, HRS-5): the kiosk's first steps.

A session lives in the center's database; a refused or unreachable municipality answers a menu with
every kind refused for its reason, and closes only that municipality.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.center import ratelimit, registers
from kofu.center.app import offers, routing
from kofu.center.app import sessions as kiosk
from kofu.center.app.municipal_client import Vouch
from kofu.center.app.steps_base import CenterBase, decode_b64
from kofu.center.auth.authenticator import Authenticated, AuthResponse
from kofu.db import reading, transaction
from kofu.logs import get_logger
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.wire.registers import NoticeResponse, NoticesResponse
from kofu.wire.sessions import (
    AuthenticatedResponse,
    AuthenticateRequest,
    MenuItem,
    MenuQuery,
    MenuResponse,
    MunicipalityChoice,
    RegistrationStatus,
    SessionOpen,
    SessionOpened,
)

log = get_logger("center.app")


def closed_menu(code: str, reason: Reason) -> MenuResponse:
    """The menu of a municipality that cannot be served now: every kind refused for `reason`."""
    return MenuResponse(
        municipality_code=code,
        items=tuple(
            MenuItem(
                kind=kind,
                title_ja=kind.title_ja,
                title_en=kind.title_en,
                unit_fee=0,
                allowed=False,
                reason=reason,
                message_ja=reason.ja,
                message_en=reason.en,
            )
            for kind in Kind
        ),
        registration=RegistrationStatus(
            needed=False, allowed=False, reason=reason, message_ja=reason.ja, message_en=reason.en
        ),
    )


def who_and_route(
    session: Session, session_id: str, terminal_id: str, code: str, now: datetime
) -> tuple[kiosk.Who, routing.Role, registers.MunicipalityInfo | Refused] | Refused:
    """Who is signed in, their card's role at `code`, and its server (or why it is closed now)."""
    who = kiosk.authenticated(session, session_id, terminal_id, now)
    if isinstance(who, Refused):
        return who
    role = routing.route_role(session, who.auth_serial, code)
    if role is None:
        return Refused(Reason.MUNICIPALITY_UNKNOWN)  # not this card's 住所地 nor a 本籍地 of it
    return who, role, registers.route(session, code, now=now)


def _authenticated_in(
    session: Session, auth_serial: int, credential: str, now: datetime
) -> AuthenticatedResponse:
    """Where a signed-in card may go: each municipality it is routed to, and whether it serves now."""
    choices = []
    known = {m.code: m for m in registers.list_municipalities(session)}
    for code, role in routing.card_routes(session, auth_serial):
        found = registers.route(session, code, now=now)
        info = known.get(code)
        if info is None:
            continue  # a route to a municipality the register does not know: not offered
        refusal = found if isinstance(found, Refused) else None
        choices.append(
            MunicipalityChoice(
                code=code,
                name_ja=info.name_ja,
                name_en=info.name_en,
                role=role,
                available=refusal is None,
                reason=refusal.reason if refusal else None,
                message_ja=refusal.ja if refusal else None,
                message_en=refusal.en if refusal else None,
            )
        )
    return AuthenticatedResponse(
        credential="phone" if credential == "phone" else "card", municipalities=tuple(choices)
    )


class SessionSteps(CenterBase):
    """Idle screen, sessions, authentication and menus."""

    # --- idle screen ------------------------------------------------------------------------------

    def notices(self, terminal_id: str) -> NoticesResponse | Refused:
        """HRS-5: maintenance notices for a registered terminal's idle screen."""
        now = self.clock()
        with reading(self.factory) as session:
            terminal = registers.authorise_terminal(session, terminal_id)
            if isinstance(terminal, Refused):
                return terminal
            found = registers.notices(session, now)
        return NoticesResponse(notices=tuple(NoticeResponse.of(n, now=now) for n in found))

    # --- sessions and authentication -----------------------------------------------------------------

    def open_session(self, request: SessionOpen) -> SessionOpened | Refused:
        """A new session for a registered terminal, with its single-use challenge (retry: the same).

        One transaction: the terminal's check, then a retry's earlier session, or a token of the terminal's
        open bucket (else rate_limited) and a new session with its challenge.
        """
        now = self.clock()
        try:
            with transaction(self.factory) as session:
                terminal = registers.authorise_terminal(session, request.terminal_id)
                if isinstance(terminal, Refused):
                    return terminal
                earlier = kiosk.session_by_request(session, request.terminal_id, request.request_key)
                if earlier is not None:
                    return self._opened(earlier)
                key = ratelimit.terminal_key(request.terminal_id, "open")  # a retry above is free
                taken = ratelimit.take_in(session, key, now)
                if isinstance(taken, Refused):
                    return taken
                session_id = kiosk.new_session_id()
                challenge = self.authenticator.challenge_in(session, session_id, request.terminal_id)
                kiosk.purge_expired(session, now, terminal_id=request.terminal_id)  # INC-8: nothing lingers
                state = kiosk.store_session(
                    session,
                    session_id=session_id,
                    terminal_id=request.terminal_id,
                    request_key=request.request_key,
                    challenge=challenge.challenge,
                    challenge_expires_at=challenge.expires_at,
                    now=now,
                    lifetime=self.session_lifetime,
                )
        except IntegrityError:  # a twin of this request stored its session first
            with reading(self.factory) as session:
                twin = kiosk.session_by_request(session, request.terminal_id, request.request_key)
            if twin is None:
                raise
            return self._opened(twin)
        return self._opened(state)

    @staticmethod
    def _opened(state: kiosk.SessionState) -> SessionOpened:
        return SessionOpened(
            session_id=state.session_id,
            challenge_b64=base64.b64encode(state.challenge).decode(),
            expires_at=state.challenge_expires_at,
        )

    async def authenticate(
        self, session_id: str, request: AuthenticateRequest
    ) -> AuthenticatedResponse | Refused:
        """SEC-1, DAY-1: check the card's answer to the session's challenge; then where it may go."""
        # database and OCSP work: in the thread pool, so a busy database never stalls the event loop
        return await self._db(self._authenticate, session_id, request)

    def _authenticate(self, session_id: str, request: AuthenticateRequest) -> AuthenticatedResponse | Refused:
        now = self.clock()
        with reading(self.factory) as session:
            state = kiosk.live_session(session, session_id, request.terminal_id, now)
        if isinstance(state, Refused):
            return state
        der, signature = decode_b64(request.certificate_b64), decode_b64(request.signature_b64)
        if der is None or signature is None:
            return Refused(Reason.BAD_REQUEST)
        answer = AuthResponse(state.challenge, session_id, request.terminal_id, der, signature)
        if state.authenticated:
            return self._replayed_authentication(state, der, now)

        answered: list[AuthenticatedResponse] = []

        def mark(session: Session, outcome: Authenticated) -> None:  # in the transaction of the success
            kiosk.mark_authenticated(
                session,
                session_id,
                auth_serial=registers.serial_hex(outcome.auth_serial),
                credential=outcome.credential,
                digest=outcome.certificate_digest.hex(),
            )
            answered.append(_authenticated_in(session, outcome.auth_serial, outcome.credential, now))

        outcome = self.authenticator.authenticate(answer, on_success=mark)
        if isinstance(outcome, Refused):
            return outcome
        log.info("session_authenticated", terminal=request.terminal_id, credential=outcome.credential)
        return answered[0]

    def _replayed_authentication(
        self, state: kiosk.SessionState, der: bytes, now: datetime
    ) -> AuthenticatedResponse | Refused:
        """A retry of a successful authentication with the same certificate gets the same answer."""
        if state.requester_cert_digest != hashlib.sha256(der).hexdigest() or state.auth_serial is None:
            return Refused(Reason.CHALLENGE_REPLAYED)
        credential = state.credential or "card"
        return self._authenticated_response(int(state.auth_serial, 16), credential, now)

    def _authenticated_response(
        self, auth_serial: int, credential: str, now: datetime
    ) -> AuthenticatedResponse:
        with reading(self.factory) as session:
            return _authenticated_in(session, auth_serial, credential, now)

    def close_session(self, session_id: str, terminal_id: str) -> None:
        """Forget the session (its orders keep only their metadata); unknown sessions are fine."""
        with transaction(self.factory) as session:
            kiosk.forget_session(session, session_id, terminal_id)

    # --- menu ---------------------------------------------------------------------------------------

    def _who_and_route(
        self, session_id: str, terminal_id: str, code: str
    ) -> tuple[kiosk.Who, routing.Role, registers.MunicipalityInfo | Refused] | Refused:
        with reading(self.factory) as session:
            return who_and_route(session, session_id, terminal_id, code, self.clock())

    async def menu(self, session_id: str, terminal_id: str, code: str) -> MenuResponse | Refused:
        """The municipality's menu for this session's card; a closed municipality answers all refused.

        The municipality's answer is kept as the session's offer from it (ids and numbers only), which
        the quote is priced from; any other answer from its server drops the offer, so the quote asks afresh.
        """
        found = await self._db(self._who_and_route, session_id, terminal_id, code)
        subject = audit_subject(session=session_id, municipality=code)
        if isinstance(found, Refused):
            return await self._db(
                self._audit_refusal, found, action="session.menu", terminal_id=terminal_id, subject=subject
            )
        who, role, municipality = found
        if isinstance(municipality, Refused):
            await self._db(
                self._audit_refusal,
                municipality,
                action="session.menu",
                terminal_id=terminal_id,
                subject=subject,
            )
            return closed_menu(code, municipality.reason)
        query = MenuQuery(
            auth_serial=who.auth_serial,
            credential="phone" if who.credential == "phone" else "card",
            municipality_code=code,
            role=role,
        )
        answer = await self.municipal.menu(
            code, municipality.base_url, query, Vouch(session_id, who.challenge)
        )
        offer = offers.offer_of(answer) if isinstance(answer, MenuResponse) else None

        def audited(session: Session) -> None:  # audit hook: the menu served (or refused), with the offer
            subject = audit_subject(session=session_id, serial=int(who.auth_serial, 16), municipality=code)
            actor = tagged("terminal", terminal_id)
            audit_record(
                session, actor=actor, action="session.menu", subject=subject, result=answer, now=self.clock()
            )

        await self._db(offers.store, self.factory, session_id, code, offer, audited)
        if isinstance(answer, Refused) and answer.reason is Reason.MUNICIPALITY_UNAVAILABLE:
            return closed_menu(code, answer.reason)
        return answer
