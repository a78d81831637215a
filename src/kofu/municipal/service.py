"""The municipal server's use cases: the menu, the render of one order's document, the usage registration,
and the village's change events posted by its own office systems.

Every answer comes from the registry as it is now and the rulebook at the current Japan time; refusals
are values. The PDF is made in memory and handed back; nothing of it is written anywhere (SEC-4).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import AuditLog, attach_audit
from kofu.audit.log import record as audit_record
from kofu.db import make_engine, session_factory, transaction
from kofu.documents.keys import SealingKeys, sealing_keys
from kofu.documents.published import load_verifier_public
from kofu.logs import get_logger
from kofu.municipal.compose import Choice, Issuance, compose
from kofu.municipal.config import MunicipalConfig
from kofu.municipal.labels import member_labels
from kofu.municipal.numbers import Spent, number_for
from kofu.municipal.slots import FairSlots
from kofu.registry.cards import CardRecord, card_record
from kofu.registry.facts import card_facts, person_facts
from kofu.registry.feed import FeedRefused, FeedReport, apply_events
from kofu.registry.feed_events import FeedFormat, parse_events
from kofu.registry.records import PersonSnapshot
from kofu.registry.repository import read_consistently, snapshot
from kofu.rules import eligibility
from kofu.rules import menu as rules_menu
from kofu.rules.calendar import today_jst
from kofu.rules.decision import Allowed, Refused
from kofu.rules.hours import USAGE_REGISTRATION
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook, load_rulebook
from kofu.rules.wareki import fiscal_year_label
from kofu.rules.wording import sentences
from kofu.wire.orders import RenderedHeaders, RenderRequest, chosen
from kofu.wire.sessions import (
    MemberChoice,
    MenuItem,
    MenuQuery,
    MenuResponse,
    RegistrationFiling,
    RegistrationResponse,
    RegistrationStatus,
    YearChoice,
)
from kofu.wire.statements import R, Signed, Statement, StatementKeys, trusted_keys

log = get_logger("municipal")

Clock = Callable[[], datetime]
T = TypeVar("T")
CALLER = "party:center"  # the only caller of the menu, render and filing routes


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Rendered:
    """A sealed PDF and the headers that bind it to its order (never its content)."""

    pdf: bytes
    headers: RenderedHeaders


def _pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def composer_choice(request: RenderRequest) -> Choice:
    """The composer's choice for an allowed request (the rules' options mapped to what is printed)."""
    options = {request.option} if request.option else set()
    persons = request.persons or None  # none chosen: the whole household / register
    if request.kind is Kind.KOSEKI:
        persons = None if rules_menu.OPTION_WHOLE in options else request.persons
    return Choice(
        kind=request.kind,
        members=persons,
        with_householder=rules_menu.OPTION_SETAI_NUSHI in options,
        with_honseki=rules_menu.OPTION_HONSEKI in options,
        with_nationality=rules_menu.OPTION_NATIONALITY in options,
        with_residence=rules_menu.OPTION_RESIDENCE in options,
        fiscal_year=request.fiscal_year,
    )


def year_choices(years: tuple[int, ...]) -> tuple[YearChoice, ...]:
    """CRT-3: the offered fiscal years with their labels (令和元年度, FY2019), as the kiosk shows them."""
    return tuple(YearChoice(year=y, label_ja=fiscal_year_label(y), label_en=f"FY{y}") for y in years)


def refused_item(kind: Kind, rulebook: Rulebook, reason: Reason) -> MenuItem:
    """A menu line for a kind that may not be chosen now, with its reason in this municipality's words."""
    message_ja, message_en = sentences(reason, rulebook, kind)
    return MenuItem(
        kind=kind,
        title_ja=kind.title_ja,
        title_en=kind.title_en,
        unit_fee=rulebook.fee(kind) if rulebook.offers(kind) else 0,
        allowed=False,
        reason=reason,
        message_ja=message_ja,
        message_en=message_en,
    )


def menu_item(
    rulebook: Rulebook, snap: PersonSnapshot, card: CardRecord, kind: Kind, at: datetime
) -> MenuItem:
    """One kind's line of the menu: the rulebook's decision for this person and card now."""
    conditions = rules_menu.Conditions(maintenance=rulebook.maintenance)
    decision = rules_menu.menu(rulebook, person_facts(snap), card_facts(card), kind, at, conditions)
    if isinstance(decision, Refused):
        return refused_item(kind, rulebook, decision.reason)
    labels = member_labels(snap, kind)
    choices = decision.choices
    return MenuItem(
        kind=kind,
        title_ja=kind.title_ja,
        title_en=kind.title_en,
        unit_fee=decision.fee,
        allowed=True,
        members=tuple(MemberChoice(person_id=pid, label=labels.get(pid, pid)) for pid in choices.members),
        fiscal_years=choices.fiscal_years,
        options=choices.options,
        option_required=choices.option_required,
        year_labels=year_choices(choices.fiscal_years),
        max_copies=choices.max_copies,
        whole_allowed=choices.whole_allowed,
        note=choices.note,
        note_ja=None if choices.note is None else choices.note.ja,
        note_en=None if choices.note is None else choices.note.en,
    )


def registration_status(
    rulebook: Rulebook, snap: PersonSnapshot, card: CardRecord, at: datetime
) -> RegistrationStatus:
    """ELG-4, REG-1, ELG-6: whether this person needs the usage registration here and may file it now."""
    facts = person_facts(snap)
    needed = eligibility.needs_usage_registration(facts)
    decision = rules_menu.registration(rulebook, facts, card_facts(card), at)
    if isinstance(decision, Refused):
        message_ja, message_en = sentences(decision.reason, rulebook, USAGE_REGISTRATION)
        return RegistrationStatus(
            needed=needed,
            allowed=False,
            reason=decision.reason,
            message_ja=message_ja,
            message_en=message_en,
        )
    return RegistrationStatus(needed=needed, allowed=True)


class MunicipalService:
    """One municipality's server: its registry, its rulebook, its keys and its document numbers."""

    def __init__(
        self,
        config: MunicipalConfig,
        *,
        clock: Clock = utc_now,
        statement_clock: Clock = utc_now,
        statement_keys: StatementKeys | None = None,
    ) -> None:
        """`clock`: the time the rules see; `statement_clock`: the time the center's statements are
        checked against (the center's own wall clock, which tests do not move)."""
        self.config = config
        self.rulebook = load_rulebook(config.rulebook)
        self.statement_keys = statement_keys or trusted_keys(config.center_key_path)
        self.statement_clock = statement_clock
        threads = config.worker_threads
        self.registry = make_engine(config.registry_url, threads=threads)
        self.registry_sessions = session_factory(self.registry)
        same = config.own_db_url == config.registry_url
        own = self.registry if same else make_engine(config.own_db_url, threads=threads)
        # every menu, render and filing is appended to this server's own audit chain (its own database)
        self.audit = AuditLog.for_home(config.home.resolve())
        self.own_sessions: sessionmaker[Session] = attach_audit(session_factory(own), self.audit)
        self.clock = clock
        self._keys: SealingKeys | None = None
        self._verifier: ec.EllipticCurvePublicKey | None = None
        # A bound on renders held in memory at once; 4 kept p50/p99 best in bench/issuance.py (1: worst).
        self._render_slots = FairSlots(config.render_slots)

    def warm(self) -> None:
        """Load fonts, keys and the signing code now, so the first resident does not wait for them.

        Raises `KeySetError` (saying what to do) without the verification service's public key.
        """
        from kofu.documents import fonts, issue  # noqa: F401  (imported for its side effect: loaded)

        fonts.load_all()
        _ = self.keys, self.verifier_public

    @property
    def keys(self) -> SealingKeys:
        """The municipality's sealing keys (generated under the home folder on first use)."""
        if self._keys is None:
            self._keys = sealing_keys(self.config.home.resolve(), self.rulebook.code, self.rulebook.name)
        return self._keys

    @property
    def verifier_public(self) -> ec.EllipticCurvePublicKey:
        """The verification service's public key, from the file this server is given (never made here)."""
        if self._verifier is None:
            self._verifier = load_verifier_public(self.config.verifier_public_path)
        return self._verifier

    def close(self) -> None:
        self.registry.dispose()

    def _holder(self, serial_hex: str, code: str) -> tuple[CardRecord, PersonSnapshot] | Refused:
        if code != self.rulebook.code:
            return Refused(Reason.MUNICIPALITY_UNKNOWN)
        serial = int(serial_hex, 16)

        def holder(session: Session) -> tuple[CardRecord, PersonSnapshot] | Refused:
            card = card_record(session, serial)
            snap = None if card is None else snapshot(session, card.person_id)
            return Refused(Reason.CARD_UNKNOWN) if card is None or snap is None else (card, snap)

        return read_consistently(self.registry, holder)  # the card and its holder at one moment

    def _open(self, signed: Signed, kind: type[R]) -> Statement[R] | Refused:
        """The center's statement for this call, checked (signature, purpose, validity now)."""
        statement = self.statement_keys.open(signed, kind, now=self.statement_clock())
        if isinstance(statement, Refused):
            log.warning("statement_refused", purpose=kind.__name__)
        return statement

    # --- audit hook (kofu.audit): each answer of the three routes, refusals too, in a transaction of its own
    def audited(self, action: str, result: T, *, serial: str | None, order: uuid.UUID | None = None) -> T:
        """`result`, after recording it in this server's audit log (ids and outcome only, SEC-4).

        `serial` None: the statement asking was refused, so nothing it names is believed."""
        subject = audit_subject(
            order=order, serial=None if serial is None else _serial(serial), municipality=self.rulebook.code
        )
        with transaction(self.own_sessions) as session:
            audit_record(
                session, actor=CALLER, action=action, subject=subject, result=result, now=self.clock()
            )
        return result

    def menu(self, signed: Signed) -> MenuResponse | Refused:
        """Every kind, allowed with its choices or refused with its reason, for the stated card now
        (audited, a refused statement too)."""
        statement = self._open(signed, MenuQuery)
        if isinstance(statement, Refused):
            return self.audited("municipal.menu", statement, serial=None)
        query = statement.request
        return self.audited("municipal.menu", self._menu(query), serial=query.auth_serial)

    def render(self, signed: Signed) -> Rendered | Refused:
        """The order's document, sealed in memory, only for a statement of the center and once per
        statement: a replayed statement gets no number and no document (audited: the order, the card,
        the outcome; a refused statement too)."""
        statement = self._open(signed, RenderRequest)
        if isinstance(statement, Refused):
            return self.audited("municipal.render", statement, serial=None)
        request = statement.request
        result = self._render(request, Spent(statement.statement_id, statement.expires_at))
        if isinstance(result, Refused):
            return self.audited(
                "municipal.render", result, serial=request.requester_serial, order=request.order_id
            )
        return result  # its entry went in with its number's transaction (`_render_decided`)

    def _render_decided(self, request: RenderRequest) -> Callable[[Session, str], None]:
        """The audit entry of a render decided allowed, naming its document number, for `number_for`."""

        def record(session: Session, number: str) -> None:
            subject = audit_subject(
                order=request.order_id,
                serial=_serial(request.requester_serial),
                municipality=self.rulebook.code,
                document=number,
            )
            audit_record(
                session,
                actor=CALLER,
                action="municipal.render",
                subject=subject,
                result=Allowed(),
                now=self.clock(),
            )

        return record

    def file_registration(self, signed: Signed) -> RegistrationResponse | Refused:
        """REG-1, once per statement of the center, audited (a refused statement too)."""
        statement = self._open(signed, RegistrationFiling)
        if isinstance(statement, Refused):
            return self.audited("municipal.registration", statement, serial=None)
        filing = statement.request
        result = self._file_registration(filing, Spent(statement.statement_id, statement.expires_at))
        return self.audited("municipal.registration", result, serial=filing.auth_serial)

    def apply_changes(self, data: bytes, fmt: FeedFormat, *, by: str) -> FeedReport | FeedRefused:
        """A file of the village's change events in `fmt`, as `kofu village apply` takes it: read, then
        applied all or nothing in one transaction of the registry (each event ID once, pending until its
        time; `kofu.registry.feed`). `by`: who filed it (the office system's certificate name).

        Audited once per file, accepted or refused: who, how many events (and problems), never content."""
        events, problems = parse_events(data, fmt)
        result: FeedReport | FeedRefused
        if problems:
            result = FeedRefused(problems)
        else:
            try:
                result = apply_events(self.registry, events, now=self.clock(), by=by[:40])
            except FeedRefused as exc:
                result = exc
        refused = result if isinstance(result, FeedRefused) else None
        subject = audit_subject(
            municipality=self.rulebook.code,
            events=len(events),
            problems=None if refused is None else len(refused.problems),
        )
        with transaction(self.own_sessions) as session:
            audit_record(
                session,
                actor=tagged("office", by),
                action="municipal.changes",
                subject=subject,
                result=Allowed() if refused is None else Refused(Reason.FEED_REFUSED),
                now=self.clock(),
            )
        if refused is not None:
            log.warning("changes_refused", events=len(events), problems=len(refused.problems))
        return result

    def _menu(self, query: MenuQuery) -> MenuResponse | Refused:
        """Every kind, allowed with its choices or refused with its reason, for this card now."""
        found = self._holder(query.auth_serial, query.municipality_code)
        if isinstance(found, Refused):
            return found
        card, snap = found
        at = self.clock()
        return MenuResponse(
            municipality_code=self.rulebook.code,
            items=tuple(menu_item(self.rulebook, snap, card, kind, at) for kind in Kind),
            registration=registration_status(self.rulebook, snap, card, at),
        )

    def _render(self, request: RenderRequest, spent: Spent) -> Rendered | Refused:
        """Decide again, compose from one consistent read, render and seal in memory (SEC-4); the
        statement asking is `spent` with the document number (none for a statement served before)."""
        found = self._holder(request.requester_serial, request.municipality_code)
        if isinstance(found, Refused):
            return found
        card, snap = found
        at = self.clock()
        decision = rules_menu.decide(
            self.rulebook,
            person_facts(snap),
            card_facts(card),
            chosen(request),
            at,
            rules_menu.Conditions(maintenance=self.rulebook.maintenance),
        )
        if isinstance(decision, Refused):
            return decision
        issued_on = today_jst(at)
        number = number_for(
            self.own_sessions,
            order_id=request.order_id,
            code=self.rulebook.code,
            issued_on=issued_on,
            now=at,
            spent=spent,
            also=self._render_decided(request),
        )
        if number is None:
            log.warning("statement_replayed", order_id=str(request.order_id))
            return Refused(Reason.STATEMENT_INVALID)
        issuance = Issuance(
            rulebook=self.rulebook,
            issued_on=issued_on,
            unique_number=number,
            order_id=str(request.order_id),
            requester_cert_digest=request.requester_cert_digest,
        )
        content = compose(snap, composer_choice(request), issuance)
        if isinstance(content, Refused):
            return content
        from kofu.documents import codec
        from kofu.documents.issue import render_and_seal

        with self._render_slots:
            pdf = render_and_seal(
                content, self.keys, self.verifier_public, verification=self.rulebook.verification
            )
        headers = RenderedHeaders(
            order_id=request.order_id,
            requester_cert_digest=request.requester_cert_digest,
            document_number=number,
            document_digest=codec.digest(content).hex(),
            pages=_pages(pdf),
        )
        log.info("rendered", order_id=str(request.order_id), kind=request.kind.value, number=number)
        return Rendered(pdf, headers)

    def _file_registration(self, filing: RegistrationFiling, spent: Spent) -> RegistrationResponse | Refused:
        """REG-1: record a usage registration as pending, when the rules allow filing it now (the
        statement asking is `spent` first: a filing once per statement)."""
        from kofu.municipal.numbers import spend
        from kofu.registry.errors import RegistryError
        from kofu.registry.usage import file_usage_registration

        with transaction(self.own_sessions) as session:
            if not spend(session, spent):
                return Refused(Reason.STATEMENT_INVALID)
        found = self._holder(filing.auth_serial, filing.municipality_code)
        if isinstance(found, Refused):
            return found
        card, snap = found
        if card.sign_serial is None or card.sign_serial != int(filing.sign_serial, 16):
            return Refused(Reason.WRONG_CERTIFICATE_TYPE)  # a signing certificate of another card
        at = self.clock()
        decision = rules_menu.registration(self.rulebook, person_facts(snap), card_facts(card), at)
        if isinstance(decision, Refused):
            return decision
        try:
            with transaction(self.registry_sessions) as session:
                file_usage_registration(session, card.person_id, filed_on=today_jst(at))
        except RegistryError as exc:
            mapped = {"not_honseki": Reason.NOT_HONSEKI}.get(exc.code, Reason.ALREADY_REGISTERED)
            return Refused(mapped)
        log.info("usage_registration_filed", municipality=self.rulebook.code)
        return RegistrationResponse()


def _serial(text: str) -> int | None:
    """A certificate serial given in hex, or None when it is not one (kept out of the subject)."""
    try:
        return int(text, 16)
    except ValueError:
        return None
