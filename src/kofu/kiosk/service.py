"""The kiosk's use cases, one method per tap, each one locked read-modify-write of the terminal's store.

The flow: idle → card → PIN → municipality → kind → details → fee → cash → (pay, print, confirm) → take.
Every method answers the `ScreenView` to draw; refusals are its message. Rules:
- the PIN goes to the card only (ELG-1, PIN-1); the center sees the certificate and a signature;
- a document is printed only if bound to this session's order and card (INC-1, 2, 3, 7, 8);
- the fee is kept only after the print is confirmed; anything else voids the order and returns the cash
  (NRF-1);
- when the session ends (done, cancel, refusal, card removed, walk-away timeout) its record is wiped,
  its key dropped and the center's session deleted, so the next person sees nothing of it (INC-8, SEC-4);
- a session this process cannot read (the kiosk restarted: the key died with the old process) is ended
  from its plain `Recovery` record: a confirmation that went out is replayed (the fee kept only if the
  center charged it), any other open order voided, the cash returned, the center's session closed;
- the screen cannot return to idle while the card or the printed documents are left (SEC-3).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

from kofu.card.client import CardError, JpkiClient, PinRefused, sha256_digest_info
from kofu.card.reader import Reader, ReaderError
from kofu.kiosk.api_models import (
    Choice,
    DetailsRequest,
    Lang,
    Message,
    NoticeView,
    OrderView,
    PinView,
    Screen,
    ScreenView,
    TrayCard,
)
from kofu.kiosk.center_client import CenterClient, Failure, Unreachable, request_key
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cardslot import CardSlot, DemoTray, Removable
from kofu.kiosk.devices.cash import DENOMINATIONS, CashDevice, CashError
from kofu.kiosk.devices.printer import Binding, Printed, Printer, PrintFailed
from kofu.kiosk.messages import Code, KioskEvent, code_of
from kofu.kiosk.records import Display, KioskSession, Leftover, NoticesCache, Output, Recovery
from kofu.kiosk.store import KioskStore
from kofu.logs import get_logger
from kofu.rules.copies import check_copies_within
from kofu.rules.decision import Refused
from kofu.rules.order import State
from kofu.rules.pin import PIN_MAX_TRIES, Unlock, is_valid_pin, unlock_methods
from kofu.rules.reasons import Reason
from kofu.wire.challenge import challenge_message
from kofu.wire.common import ErrorBody
from kofu.wire.credentials import credential_kind
from kofu.wire.orders import OrderResponse, QuoteRequest, VoidReason
from kofu.wire.sessions import RegistrationRequest

log = get_logger("kiosk")

Clock = Callable[[], datetime]
NOTICES_TTL = timedelta(minutes=1)
_OPEN_ORDER = (State.QUOTED, State.PAID, State.RENDERED)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _failure_code(failure: Failure) -> Code:
    if isinstance(failure, Unreachable):  # the person sees one sentence; the operator needs the cause
        log.warning("center unreachable", detail=failure.detail)
        return KioskEvent.CENTER_UNREACHABLE
    return failure.reason


class KioskService:
    """The terminal's flow over its store, devices and the center; holds no session state itself."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        store: KioskStore,
        center: CenterClient,
        slot: CardSlot,
        cash: CashDevice,
        printer: Printer,
        clock: Clock = _utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self.center = center
        self.slot = slot
        self.cash = cash
        self.printer = printer
        self.clock = clock

    # --- reading the screen -----------------------------------------------------------------------
    def state(self) -> ScreenView:
        with self.store.locked():
            return self._view(self._live())

    def set_lang(self, lang: Lang) -> ScreenView:
        with self.store.locked():
            display = self._display()
            self.store.write("display", display.model_copy(update={"lang": lang}), durable=False)
            return self._view(self._live())

    # --- starting ----------------------------------------------------------------------------------
    def start(self) -> ScreenView:
        """証明書交付: a new session, if the kiosk is idle."""
        with self.store.locked():
            sess = self._live()
            if sess is not None or self._leftovers():
                return self._view(sess)
            now = self.clock()
            display = self._display()
            self.store.write("display", Display(lang=display.lang), durable=False)  # nothing of anyone before
            self.store.begin_session()
            sess = KioskSession(screen=Screen.CARD, started_at=now, last_seen=now)
            self._save(sess, durable=False)
            return self._view(sess)

    def place_card(self, index: int) -> ScreenView:
        """Demo tray: put a demo card on the reader (only when the kiosk asks for one)."""
        with self.store.locked():
            sess = self._live()
            if not isinstance(self.slot, DemoTray) or sess is None or sess.screen is not Screen.CARD:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            try:
                self.slot.place(index)
            except ReaderError:
                return self._view(sess, KioskEvent.CARD_UNREADABLE)
            return self._read_card(sess)

    def read_card(self) -> ScreenView:
        """A card in a real reader: read it (the page calls this when the person taps 読み取り)."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.CARD:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            return self._read_card(sess)

    def _read_card(self, sess: KioskSession) -> ScreenView:
        try:
            with _connected(self.slot.open_reader()) as reader:
                client = JpkiClient(reader)
                cert = client.read_auth_certificate()
                tries = client.pin_tries_left()
        except (ReaderError, CardError):
            return self._touch(sess, message=KioskEvent.CARD_UNREADABLE)
        try:
            credential = credential_kind(x509.load_der_x509_certificate(cert))
        except ValueError:
            return self._touch(sess, message=KioskEvent.CARD_UNREADABLE)
        if tries == 0:  # one counter for the PIN and a phone's biometrics (PIN-1, ELG-5)
            return self._end(sess, Reason.PIN_BLOCKED, help=KioskEvent.PIN_RESET_HELP)
        sess.requester_cert_digest = hashlib.sha256(cert).hexdigest()
        sess.credential = credential
        sess.pin_tries_left = tries
        return self._touch(sess, screen=Screen.PIN)

    # --- authentication (PIN-1, SEC-1) -----------------------------------------------------------
    def submit_pin(self, pin: str | None) -> ScreenView:
        """The PIN (None: the phone's biometric check) goes to the card; the card signs the challenge.

        A phone user chooses either (ELG-5); a card has only its PIN."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.PIN:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            method: Unlock = "biometric" if pin is None else "pin"
            if sess.credential is None or method not in unlock_methods(sess.credential):  # ELG-5
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            if pin is not None and not is_valid_pin(pin):  # never spend a try of the card on a typo
                return self._touch(sess, message=Reason.BAD_REQUEST)
            try:
                with _connected(self.slot.open_reader()) as reader:
                    client = JpkiClient(reader)
                    cert = client.read_auth_certificate()
                    if hashlib.sha256(cert).hexdigest() != sess.requester_cert_digest:
                        return self._end(sess, KioskEvent.CARD_REMOVED)  # another card was put in
                    result = client.verify_biometric() if pin is None else client.verify_pin(pin)
                    if not result.ok:
                        if result.blocked:
                            return self._end(sess, Reason.PIN_BLOCKED, help=KioskEvent.PIN_RESET_HELP)
                        sess.pin_tries_left = result.tries_left
                        return self._touch(sess, message=Reason.PIN_WRONG, tries=result.tries_left)
                    opened = self.center.open_session()
                    if isinstance(opened, ErrorBody | Unreachable):
                        return self._end(sess, _failure_code(opened))
                    sess.center_session_id = opened.session_id
                    message = challenge_message(
                        base64.b64decode(opened.challenge_b64), opened.session_id, self.config.terminal_id
                    )
                    signature = client.sign_auth(sha256_digest_info(message))
            except (ReaderError, CardError):
                if sess.center_session_id is not None:  # half-way: start over cleanly
                    return self._end(sess, KioskEvent.CARD_UNREADABLE)
                return self._touch(sess, message=KioskEvent.CARD_UNREADABLE)
            answer = self.center.authenticate(opened.session_id, _b64(cert), _b64(signature))
            if isinstance(answer, ErrorBody | Unreachable):
                return self._end(sess, _failure_code(answer))
            if not answer.municipalities:  # an empty choice would leave the person with no sentence
                return self._end(sess, KioskEvent.NO_MUNICIPALITY)
            sess.credential = answer.credential
            sess.municipalities = answer.municipalities
            sess.pin_tries_left = PIN_MAX_TRIES
            return self._touch(sess, screen=Screen.MUNICIPALITY)

    # --- choosing ---------------------------------------------------------------------------------
    def choose_municipality(self, code: str) -> ScreenView:
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.MUNICIPALITY or sess.center_session_id is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            found = next((m for m in sess.municipalities if m.code == code), None)
            if found is None:
                return self._touch(sess, message=Reason.BAD_REQUEST)
            if not found.available:
                return self._touch(sess, message=found.reason or Reason.MUNICIPALITY_UNAVAILABLE)
            menu = self.center.menu(sess.center_session_id, code)
            if isinstance(menu, ErrorBody | Unreachable):
                return self._touch(sess, message=_failure_code(menu))
            sess.menu = menu
            sess.choice = Choice(municipality_code=code)
            return self._touch(sess, screen=Screen.KIND)

    def choose_kind(self, kind: str) -> ScreenView:
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.KIND or sess.menu is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            item = next((i for i in sess.menu.items if i.kind == kind), None)
            if item is None:
                return self._touch(sess, message=Reason.KIND_NOT_OFFERED)
            if not item.allowed:
                return self._touch(sess, message=item.reason or Reason.KIND_NOT_OFFERED)
            own = item.members[:1]
            sess.choice = Choice(
                municipality_code=sess.choice.municipality_code,
                kind=item.kind,
                persons=tuple(m.person_id for m in own),
                fiscal_year=item.fiscal_years[0] if item.fiscal_years else None,
                option=item.options[0] if item.option_required and item.options else None,
            )
            return self._touch(sess, screen=Screen.DETAILS)

    def submit_details(self, details: DetailsRequest) -> ScreenView:
        """Whose, which option and year, how many copies: the center prices it and opens the order."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.DETAILS or sess.menu is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            assert sess.center_session_id is not None and sess.choice.kind is not None
            item = next(i for i in sess.menu.items if i.kind == sess.choice.kind)
            too_many = check_copies_within(details.copies, max(1, item.max_copies))  # FEE-1
            if too_many is not None:
                return self._touch(sess, message=too_many)
            members = {m.person_id for m in item.members}
            if any(p not in members for p in details.persons):
                return self._touch(sess, message=Reason.BAD_REQUEST)
            assert sess.choice.municipality_code is not None
            quote = self.center.quote(
                QuoteRequest(
                    session_id=sess.center_session_id,
                    terminal_id=self.config.terminal_id,
                    request_key=request_key(),
                    municipality_code=sess.choice.municipality_code,
                    kind=sess.choice.kind,
                    copies=details.copies,
                    persons=details.persons,
                    fiscal_year=details.fiscal_year,
                    option=details.option,
                )
            )
            if isinstance(quote, ErrorBody | Unreachable):
                return self._touch(sess, message=_failure_code(quote))
            sess.choice = sess.choice.model_copy(
                update={
                    "persons": details.persons,
                    "fiscal_year": details.fiscal_year,
                    "option": details.option,
                    "copies": details.copies,
                }
            )
            sess.order = quote
            return self._touch(sess, screen=Screen.FEE, durable=True)

    def accept_fee(self) -> ScreenView:
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.FEE:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            return self._touch(sess, screen=Screen.CASH)

    def back(self) -> ScreenView:
        """One step back; leaving the fee or cash screen voids the quote and returns any cash."""
        with self.store.locked():
            sess = self._live()
            if sess is None:
                return self._view(None)
            previous = {
                Screen.KIND: Screen.MUNICIPALITY,
                Screen.DETAILS: Screen.KIND,
                Screen.FEE: Screen.DETAILS,
                Screen.CASH: Screen.DETAILS,
                Screen.REGISTER: Screen.KIND,
            }.get(sess.screen)
            if previous is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            voids = sess.screen in (Screen.FEE, Screen.CASH)
            if voids:
                self._void(sess, VoidReason.CANCELLED)
                self.cash.return_all()
            return self._touch(sess, screen=previous, durable=voids)

    # --- money and print (NRF-1) -----------------------------------------------------------------
    def insert_cash(self, yen: int) -> ScreenView:
        """A coin or bill (simulated by the page's buttons)."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.CASH:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            try:
                self.cash.insert(yen)
            except CashError:
                return self._touch(sess, message=KioskEvent.CASH_REJECTED)
            return self._touch(sess)

    def pay_and_print(self) -> ScreenView:
        """Pay (fee into escrow, change out), fetch the bound document, print every copy paid, confirm,
        keep the fee; a print that stops short of the last copy voids the order (NRF-1)."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.CASH or sess.order is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            assert sess.center_session_id is not None and sess.requester_cert_digest is not None
            sid, order_id = sess.center_session_id, str(sess.order.order_id)
            inserted = self.cash.inserted()
            if inserted < sess.order.fee:
                return self._touch(sess, message=Reason.CASH_INSUFFICIENT)
            paid = self.center.pay(sid, order_id, inserted)
            if isinstance(paid, ErrorBody | Unreachable):
                return self._end(sess, _failure_code(paid))
            sess.order = paid
            change = self.cash.escrow(paid.fee)
            self._save(sess)
            document = self.center.document(sid, order_id)
            if isinstance(document, ErrorBody | Unreachable):
                return self._end(sess, _failure_code(document), paid_out=change)
            binding = Binding(order_id, sess.requester_cert_digest)
            copies = paid.copies  # the copies the center charges for (FEE-1), each one printed
            printed = self.printer.print_document(document.pdf, document.headers, binding, copies=copies)
            del document  # the PDF goes nowhere else
            self._out_tray(printed.copies if isinstance(printed, Printed | PrintFailed) else 0)
            if not isinstance(printed, Printed) or printed.copies != copies:
                self.printer.discard(order_id)  # a partial print is no print: voided, nothing charged
                code = printed.reason if isinstance(printed, Refused) else KioskEvent.PRINT_FAILED
                log.warning("print refused", order_id=order_id, reason=str(code))
                return self._end(sess, code, void_reason=VoidReason.PRINT_FAILED, paid_out=change)
            key = request_key()
            self._note(sess, confirm_key=key)  # from here a restart asks the center, not the session
            confirmed = self.center.confirm(sid, order_id, key)
            if isinstance(confirmed, Unreachable):  # one retry, same key: harmless if it got through
                confirmed = self.center.confirm(sid, order_id, key)
            self.printer.confirm(order_id)
            if isinstance(confirmed, ErrorBody | Unreachable):
                log.error("print not confirmed", order_id=order_id, reason=str(_failure_code(confirmed)))
                return self._end(sess, _failure_code(confirmed), paid_out=change)
            self.cash.keep()
            sess.order = None  # charged: nothing left to void
            return self._end(sess, KioskEvent.ISSUED, paid_out=change)

    def _out_tray(self, sheets: int) -> None:
        """Copies that came out wait in the output tray until taken (SEC-3), charged or not."""
        if sheets > 0:
            output = self.store.read("output", Output) or Output()
            self.store.write("output", Output(documents=output.documents + sheets), durable=False)

    # --- usage registration (REG-1, ELG-4, ELG-6) ------------------------------------------------
    def open_registration(self) -> ScreenView:
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.KIND or sess.menu is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            status = sess.menu.registration
            if sess.credential == "phone":  # ELG-6, whatever the menu says
                return self._touch(sess, message=Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION)
            if not status.needed:
                return self._touch(sess, message=Reason.ALREADY_REGISTERED)
            if not status.allowed:
                return self._touch(sess, message=status.reason or Reason.BAD_REQUEST)
            return self._touch(sess, screen=Screen.REGISTER)

    def register(self, password: str) -> ScreenView:
        """Sign a fresh challenge with the signing key (password to the card only) and file it."""
        with self.store.locked():
            sess = self._live()
            if sess is None or sess.screen is not Screen.REGISTER or sess.center_session_id is None:
                return self._view(sess, KioskEvent.STEP_UNAVAILABLE)
            if sess.credential == "phone":
                return self._touch(sess, message=Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION)
            sid = sess.center_session_id
            fresh = self.center.challenge(sid)
            if isinstance(fresh, ErrorBody | Unreachable):
                return self._touch(sess, message=_failure_code(fresh))
            message = challenge_message(base64.b64decode(fresh.challenge_b64), sid, self.config.terminal_id)
            try:
                with _connected(self.slot.open_reader()) as reader:
                    client = JpkiClient(reader)
                    auth_cert = client.read_auth_certificate()
                    if hashlib.sha256(auth_cert).hexdigest() != sess.requester_cert_digest:
                        return self._end(sess, KioskEvent.CARD_REMOVED)
                    sign_cert = client.read_sign_certificate(password)
                    signature = client.sign_message(message, password)
            except PinRefused as refused:
                result = refused.result
                if result.blocked:
                    return self._end(sess, Reason.PASSWORD_BLOCKED, help=KioskEvent.PIN_RESET_HELP)
                return self._touch(sess, message=Reason.PASSWORD_WRONG, tries=result.tries_left)
            except (ReaderError, CardError):
                return self._touch(sess, message=KioskEvent.CARD_UNREADABLE)
            assert sess.choice.municipality_code is not None
            filed = self.center.register(
                sid,
                RegistrationRequest(
                    terminal_id=self.config.terminal_id,
                    municipality_code=sess.choice.municipality_code,
                    signing_certificate_b64=_b64(sign_cert),
                    signature_b64=_b64(signature),
                ),
            )
            if isinstance(filed, ErrorBody | Unreachable):
                return self._touch(sess, message=_failure_code(filed))
            return self._touch(sess, screen=Screen.REGISTERED, message=KioskEvent.REGISTERED)

    # --- ending ----------------------------------------------------------------------------------
    def finish(self) -> ScreenView:
        """終了 / cancel: void any open order (cash returned) and end the session."""
        with self.store.locked():
            sess = self._live()
            if sess is None:
                return self._view(None)
            done = sess.screen is Screen.REGISTERED
            return self._end(sess, KioskEvent.REGISTERED if done else KioskEvent.CANCELLED)

    def take_card(self) -> ScreenView:
        """Demo tray: the person takes the card. Mid-session this ends the session (cash returned).

        A real reader cannot be emptied by software: there the card is gone only when it is gone.
        """
        with self.store.locked():
            if isinstance(self.slot, Removable):
                self.slot.take()
                sess = self._live()
                if sess is None:
                    self.store.wipe("leftover")
                return self._view(sess)
            return self._view(self._live())

    def take_papers(self) -> ScreenView:
        """The person takes the printed documents from the output tray."""
        with self.store.locked():
            self.store.wipe("output")
            return self._view(self._live())

    def reap(self) -> bool:
        """The walk-away timeout with no request coming (INC-8): end an idle session; True if one ended.

        The app's reaper calls this on its own schedule, so a session is wiped even when no page polls.
        """
        with self.store.locked():
            sess = self.store.read("session", KioskSession)
            if sess is None:
                return self._end_lost()
            if not self._walked_away(sess):
                return False
            self._end(sess, KioskEvent.TIMEOUT, void_reason=VoidReason.TIMEOUT)
            return True

    def recover(self) -> bool:
        """At the kiosk's start: end the session a previous process left (its key died with it); True if
        there was one. Every request does the same, so a kiosk started without this loses nothing."""
        with self.store.locked():
            if self.store.read("session", KioskSession) is not None:
                return False
            return self._end_lost()

    def _end_lost(self) -> bool:
        """End a session whose record this process cannot read, from its `Recovery`; True if one was."""
        rec = self.store.read("recovery", Recovery)
        if rec is None:
            return False
        now = self.clock()
        sid = rec.center_session_id
        sess = KioskSession(screen=Screen.CARD, started_at=now, last_seen=now, center_session_id=sid)
        if rec.order_id is not None and sid is not None and rec.order_open:
            voided = self.center.void(sid, rec.order_id, VoidReason.CANCELLED)
            if isinstance(voided, ErrorBody) and rec.confirm_key is not None:
                # not voidable: charged by the confirmation that went out (same key: same answer) or voided
                confirmed = self.center.confirm(sid, rec.order_id, rec.confirm_key)
                if isinstance(confirmed, OrderResponse) and confirmed.state is State.CHARGED:
                    self.cash.keep()
            if isinstance(voided, Unreachable):  # the center's recovery voids it; the operator reconciles
                log.error("lost session: order not voided", order_id=rec.order_id, detail=voided.detail)
            self.printer.discard(rec.order_id)
        self._end(sess, KioskEvent.INTERRUPTED)
        return True

    # --- internals -------------------------------------------------------------------------------
    def _walked_away(self, sess: KioskSession) -> bool:
        return self.clock() - sess.last_seen > timedelta(seconds=self.config.session_timeout_s)

    def _live(self) -> KioskSession | None:
        """The current session, after ending it if the person walked away or took the card out."""
        sess = self.store.read("session", KioskSession)
        if sess is None:
            self._end_lost()
            return None
        if self._walked_away(sess):
            self._end(sess, KioskEvent.TIMEOUT, void_reason=VoidReason.TIMEOUT)
            return None
        if sess.screen not in (Screen.CARD, Screen.TAKE) and not self.slot.present():
            self._end(sess, KioskEvent.CARD_REMOVED)
            return None
        return sess

    def _leftovers(self) -> bool:
        """True while the card of an ended session or printed documents are still there (SEC-3)."""
        left = self.store.read("leftover", Leftover)
        card = False
        if left is not None and left.card:
            card = self.slot.present()
            if not card:
                self.store.wipe("leftover")
        output = self.store.read("output", Output)
        return card or (output is not None and output.documents > 0)

    def _display(self) -> Display:
        return self.store.read("display", Display) or Display()

    def _save(self, sess: KioskSession, *, durable: bool = True) -> None:
        self.store.write("session", sess, durable=durable)
        self._note(sess, durable=durable)

    def _note(self, sess: KioskSession, *, confirm_key: str | None = None, durable: bool = True) -> None:
        """Keep the session's `Recovery` in step (written only when it changes)."""
        order = sess.order
        rec = Recovery(
            center_session_id=sess.center_session_id,
            order_id=None if order is None else str(order.order_id),
            order_open=order is not None and order.state in _OPEN_ORDER,
            confirm_key=confirm_key,
        )
        if rec != self.store.read("recovery", Recovery):
            self.store.write("recovery", rec, durable=durable)

    def _touch(
        self,
        sess: KioskSession,
        *,
        screen: Screen | None = None,
        message: Code | None = None,
        tries: int | None = None,
        durable: bool = False,
    ) -> ScreenView:
        """Record a step of the person (it restarts the walk-away timer) and answer the screen.

        `durable` when the step changed the session's order (a quote, a void): a screen alone is not.
        """
        if screen is not None:
            sess.screen = screen
        sess.last_seen = self.clock()
        sess.message = None if message is None else message.value
        sess.message_tries = tries
        self._save(sess, durable=durable)
        return self._view(sess)

    def _void(self, sess: KioskSession, reason: VoidReason) -> None:
        order = sess.order
        if order is not None and sess.center_session_id is not None and order.state in _OPEN_ORDER:
            voided = self.center.void(sess.center_session_id, str(order.order_id), reason)
            if isinstance(voided, ErrorBody | Unreachable):  # the center's recovery voids it later
                log.warning("void failed", order_id=str(order.order_id), reason=str(_failure_code(voided)))
            self.printer.discard(str(order.order_id))
        sess.order = None

    def _end(
        self,
        sess: KioskSession,
        message: Code,
        *,
        help: Code | None = None,
        void_reason: VoidReason = VoidReason.CANCELLED,
        paid_out: int = 0,
    ) -> ScreenView:
        """End the session: void and return cash, delete the center's session, wipe ours (INC-8)."""
        self._void(sess, void_reason)
        paid_out += self.cash.return_all()
        if sess.center_session_id is not None:
            self.center.close(sess.center_session_id)
        self.store.end_session()
        self.store.wipe("recovery")
        lang = self._display().lang
        self.store.write(
            "display",
            Display(lang=lang, message=message.value, help=_value(help), paid_out=paid_out, ended=True),
            durable=False,
        )
        left = Leftover(card=self.slot.present(), credential=sess.credential)
        self.store.write("leftover", left, durable=False)
        log.info("session ended", code=message.value)
        return self._view(None)

    def _view(self, sess: KioskSession | None, flash: Code | None = None) -> ScreenView:
        display = self._display()
        tray = self._tray()
        common: dict[str, Any] = {
            "demo_tray": isinstance(self.slot, DemoTray),
            "tray": tray,
            "tray_placed": self.slot.placed() if isinstance(self.slot, DemoTray) else None,
            "card_present": self.slot.present(),
            "papers": (self.store.read("output", Output) or Output()).documents,
            "timeout_s": self.config.session_timeout_s,
        }
        if sess is None:
            if self._leftovers():
                message = None
                if display.message is not None:
                    message = Message.of(code_of(display.message), help=_code(display.help))
                left = self.store.read("leftover", Leftover)
                return ScreenView(
                    screen=Screen.TAKE,
                    lang=display.lang,
                    message=message,
                    paid_out=display.paid_out,
                    credential=None if left is None else left.credential,
                    **common,
                )
            if display.ended:  # idle again: forget the last person's language and message
                self.store.wipe("display")
                display = Display()
            return ScreenView(
                screen=Screen.IDLE,
                lang=display.lang,
                notices=self._notices(),
                denominations=(),
                message=None if flash is None else Message.of(flash),
                **common,
            )
        remaining = self.config.session_timeout_s - (self.clock() - sess.last_seen).total_seconds()
        message = Message.of(flash) if flash is not None else None
        if message is None and sess.message is not None:
            code = code_of(sess.message)
            message = Message.of(code, tries_left=sess.message_tries)
        order = None
        if sess.order is not None:
            o = sess.order
            order = OrderView(
                kind=o.kind,
                copies=o.copies,
                unit_fee=o.unit_fee,
                fee=o.fee,
                inserted=self.cash.inserted(),
                change=o.change,
            )
        return ScreenView(
            screen=sess.screen,
            lang=display.lang,
            message=message,
            pin=None
            if sess.pin_tries_left is None
            else PinView(
                tries_left=sess.pin_tries_left,
                max_tries=PIN_MAX_TRIES,
                biometric=sess.credential is not None and "biometric" in unlock_methods(sess.credential),
            ),
            credential=sess.credential,
            municipalities=sess.municipalities,
            menu=sess.menu,
            choice=sess.choice,
            order=order,
            denominations=DENOMINATIONS,
            remaining_s=max(0.0, remaining),
            **common,
        )

    def _tray(self) -> tuple[TrayCard, ...]:
        if not isinstance(self.slot, DemoTray):
            return ()
        return tuple(
            TrayCard(
                index=i,
                label=card.label or f"card {i + 1}",
                pin=card.pin,
                shows=None if card.shows is None else str(card.shows)[:256],
            )
            for i, card in enumerate(self.slot.cards)
        )

    def _notices(self) -> tuple[NoticeView, ...]:
        cache = self.store.read("notices", NoticesCache)
        now = self.clock()
        if cache is None or now - cache.fetched_at > NOTICES_TTL:
            answer = self.center.notices()
            items: tuple[tuple[str, str, bool], ...] = ()
            if not isinstance(answer, ErrorBody | Unreachable):
                items = tuple((n.notice_ja, n.notice_en, n.active) for n in answer.notices)
            cache = NoticesCache(fetched_at=now, items=items)
            self.store.write("notices", cache, durable=False)
        return tuple(NoticeView(ja=ja, en=en, active=active) for ja, en, active in cache.items)


def _value(code: Code | None) -> str | None:
    return None if code is None else code.value


def _code(value: str | None) -> Code | None:
    return None if value is None else code_of(value)


class _connected:
    """`with _connected(reader) as r:` powers the card for one request and off again (PIN state ends)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def __enter__(self) -> Reader:
        self.reader.connect()
        return self.reader

    def __exit__(self, *exc: object) -> None:
        self.reader.disconnect()
