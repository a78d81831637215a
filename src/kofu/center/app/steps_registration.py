"""The usage registration through the center (REG-1, ELG-4, ELG-6): a fresh challenge, a signed filing.

The signing certificate and signature are checked here; the municipal server records the filing; the
card is then routed to that 本籍地, whose menu tells whether the registration is approved yet.
"""

from __future__ import annotations

import base64

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.center import registers
from kofu.center.app import routing
from kofu.center.app import sessions as kiosk
from kofu.center.app.municipal_client import Vouch
from kofu.center.app.signing import check_signed_filing
from kofu.center.app.steps_base import CenterBase, decode_b64
from kofu.center.auth.challenges import consume_challenge
from kofu.db import reading, transaction
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason
from kofu.wire.challenge import challenge_message
from kofu.wire.orders import (
    Steps,
)
from kofu.wire.sessions import (
    ChallengeIssued,
    RegistrationFiling,
    RegistrationRequest,
    RegistrationResponse,
)


class RegistrationSteps(CenterBase):
    """REG-1 from the kiosk."""

    # --- usage registration (REG-1) ----------------------------------------------------------------

    def signing_challenge(self, session_id: str, steps: Steps) -> ChallengeIssued | Refused:
        """A fresh challenge for the signing step of this authenticated session."""
        with reading(self.factory) as session:
            who = kiosk.authenticated(session, session_id, steps.terminal_id, self.clock())
        if isinstance(who, Refused):
            return who
        if steps.session_id != session_id:
            return Refused(Reason.BAD_REQUEST)
        challenge = self.authenticator.challenge(session_id, steps.terminal_id)
        with transaction(self.factory) as session:
            kiosk.set_sign_challenge(session, session_id, challenge.challenge)
        return ChallengeIssued(
            challenge_b64=base64.b64encode(challenge.challenge).decode(), expires_at=challenge.expires_at
        )

    def _check_filing(
        self, session_id: str, request: RegistrationRequest
    ) -> tuple[RegistrationFiling, Vouch] | Refused:
        now = self.clock()
        with reading(self.factory) as session:
            state = kiosk.live_session(session, session_id, request.terminal_id, now)
            who = kiosk.authenticated(session, session_id, request.terminal_id, now)
        if isinstance(state, Refused):
            return state
        if isinstance(who, Refused):
            return who
        if who.credential == "phone":
            return Refused(Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION)  # ELG-6
        if state.sign_challenge is None or self.sign_ca is None:
            return Refused(Reason.CHALLENGE_UNKNOWN)
        der, signature = decode_b64(request.signing_certificate_b64), decode_b64(request.signature_b64)
        if der is None or signature is None:
            return Refused(Reason.BAD_REQUEST)
        with transaction(self.factory) as session:
            problem = consume_challenge(
                session, state.sign_challenge, session_id=session_id, terminal_id=request.terminal_id, now=now
            )
        if problem is not None:
            return Refused(problem)
        message = challenge_message(state.sign_challenge, session_id, request.terminal_id)
        checked = check_signed_filing(
            der, signature, message, sign_ca=self.sign_ca, status=self.status, now=now
        )
        if isinstance(checked, Refused):
            return checked
        filing = RegistrationFiling(
            auth_serial=who.auth_serial,
            sign_serial=registers.serial_hex(checked.sign_serial),
            credential="card",
            municipality_code=request.municipality_code,
            signing_certificate_digest=checked.digest,
        )
        return filing, Vouch(session_id, who.challenge)

    def _registration_target(self, code: str) -> registers.MunicipalityInfo | Refused:
        with reading(self.factory) as session:
            return registers.route(session, code, now=self.clock())

    async def register(self, session_id: str, request: RegistrationRequest) -> RegistrationResponse | Refused:
        """REG-1: file the usage registration at the 本籍地; the card is routed there from now on."""
        checked = await self._db(self._check_filing, session_id, request)
        subject = audit_subject(session=session_id, municipality=request.municipality_code)

        def audited(refused: Refused) -> Refused:  # audit hook (kofu.audit): every refused filing
            return self._audit_refusal(
                refused, action="registration.file", terminal_id=request.terminal_id, subject=subject
            )

        if isinstance(checked, Refused):
            return await self._db(audited, checked)
        filing, vouch = checked
        municipality = await self._db(self._registration_target, request.municipality_code)
        if isinstance(municipality, Refused):
            return await self._db(audited, municipality)
        answer = await self.municipal.file_registration(
            request.municipality_code, municipality.base_url, filing, vouch
        )
        if isinstance(answer, Refused):
            return await self._db(audited, answer)
        await self._db(self._route_after_filing, filing, request.terminal_id, session_id)
        return answer

    def _route_after_filing(self, filing: RegistrationFiling, terminal_id: str, session_id: str) -> None:
        with transaction(self.factory) as session:
            routing.add_holder_route(  # REG-1: once per person, so every credential of the holder
                session,
                auth_serial=filing.auth_serial,
                municipality_code=filing.municipality_code,
                role="honsekichi",
                now=self.clock(),
            )
            audit_record(  # audit hook (kofu.audit): the filing, in the transaction that routes the card
                session,
                actor=tagged("terminal", terminal_id),
                action="registration.file",
                subject=audit_subject(
                    session=session_id,
                    serial=int(filing.auth_serial, 16),
                    municipality=filing.municipality_code,
                ),
                result=None,
                now=self.clock(),
            )
