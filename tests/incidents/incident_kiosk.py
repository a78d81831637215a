"""A headless kiosk terminal driven tap by tap against the deployed center, recording what it printed.

The kiosk is the real `KioskService` (its store, its binding check before printing); its printer
writes the bound PDF to a file (that file is "the paper"); an httpx event hook notes the order ids
the center opened, so a test can follow each order in the center's ledger afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from incident_stack import OHIRA, PIN, CardOf, Stack

from kofu.card.client import JpkiClient
from kofu.card.reader import InProcessReader, Reader, ReaderError
from kofu.center.auth.challenges import challenge_message
from kofu.kiosk.api_models import DetailsRequest, Screen, ScreenView
from kofu.kiosk.app import build_service
from kofu.kiosk.center_client import CenterClient, Document, Unreachable, request_key
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.printer import Binding, FilePrinter, check_document
from kofu.kiosk.headless import exact_cash
from kofu.kiosk.service import KioskService
from kofu.rules.kinds import Kind
from kofu.wire.common import ErrorBody
from kofu.wire.orders import OrderResponse, QuoteRequest, VoidReason
from kofu.wire.sessions import SessionOpened


@dataclass(frozen=True)
class Choice:
    """What the person asks for at the kiosk."""

    kind: str
    persons: tuple[str, ...] = ()
    option: str | None = None
    fiscal_year: int | None = None


@dataclass
class Outcome:
    """One session as it ended: its code, the paper (if any), and the center sessions and orders it had."""

    terminal: str
    requester: str
    choice: Choice
    paper: Path
    code: str = "not_started"
    orders: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # transport failures and non-2xx answers seen
    first_view: ScreenView | None = None
    started: float = 0.0
    ended: float = 0.0

    @property
    def printed(self) -> bool:
        return self.paper.exists()


class TerminalSlot:
    """One terminal's card slot: the card in it now, if any; people take theirs out and put theirs in."""

    def __init__(self) -> None:
        self.card: Path | None = None

    def insert(self, card: Path) -> None:
        self.card = card

    def take(self) -> None:
        self.card = None

    def present(self) -> bool:
        return self.card is not None

    def open_reader(self) -> Reader:
        if self.card is None:
            raise ReaderError("no card in the slot")
        return InProcessReader(self.card)


class _Stop(Exception):
    def __init__(self, view: ScreenView) -> None:
        self.view = view


def _expect(view: ScreenView, screen: Screen) -> ScreenView:
    if view.screen is not screen:
        raise _Stop(view)
    return view


def center_http(stack: Stack, outcome: Outcome, centers: tuple[str, ...] = ("center",)) -> httpx.Client:
    """The kiosk's httpx client; with several centers each request goes to the next one (round robin).

    It notes each center session and order id the center answers with.
    """
    urls = [httpx.URL(stack.servers[name].url) for name in centers]
    turn = itertools.count()

    def spread(request: httpx.Request) -> None:
        target = urls[next(turn) % len(urls)]
        request.url = request.url.copy_with(host=target.host, port=target.port)

    def note(response: httpx.Response) -> None:
        path = response.request.url.path
        if response.status_code >= 300:
            outcome.errors.append(f"{response.request.method} {path}: HTTP {response.status_code}")
        if response.status_code != 200 or path not in ("/v1/orders/quote", "/v1/sessions"):
            return
        response.read()
        body = json.loads(response.content)
        found, seen = (
            (body["order_id"], outcome.orders)
            if path.endswith("quote")
            else (body["session_id"], outcome.sessions)
        )
        if found not in seen:
            seen.append(found)

    return httpx.Client(base_url=urls[0], timeout=120, event_hooks={"request": [spread], "response": [note]})


def kiosk_config(
    stack: Stack, terminal: str, center: str = "center", timeout_s: float = 120.0
) -> KioskConfig:
    return KioskConfig(
        home=stack.home / "kiosks",
        terminal_id=terminal,
        center_url=stack.servers[center].url,
        center_timeout_s=120,
        session_timeout_s=timeout_s,
    )


def leave(service: KioskService) -> None:
    """What a person walking off leaves behind is ended (void, cash back) and the trays cleared."""
    service.finish()
    service.take_card()
    service.take_papers()


def run(
    stack: Stack,
    terminal: str,
    card: CardOf,
    choice: Choice,
    paper: Path,
    *,
    before_pay: Callable[[], None] | None = None,
    centers: tuple[str, ...] = ("center",),
    slot: TerminalSlot | None = None,
    abandon_at: Screen | None = None,
    walk_up: bool = False,
) -> Outcome:
    """One session at `terminal` with `card`.

    `before_pay` runs between the quote and the payment; `abandon_at` (FEE or CASH) makes the person
    walk away there, leaving the card; `walk_up` makes the next person only take out what is in the
    slot and trays and press start (the kiosk itself must have ended the previous session).
    """
    outcome = Outcome(terminal, card.person_id, choice, paper, started=time.monotonic())
    slot = slot or TerminalSlot()
    with center_http(stack, outcome, centers) as http:
        service = build_service(
            kiosk_config(stack, terminal, timeout_s=120.0 if abandon_at is None else 600.0),
            center_http=http,
            slot=slot,
            printer=FilePrinter(paper),
        )
        if walk_up:
            service.take_card()  # the previous person's card, if left behind, is taken out
            service.take_papers()
        else:
            leave(service)
        slot.insert(card.path)
        try:
            outcome.first_view = _expect(service.start(), Screen.CARD)
            _expect(service.read_card(), Screen.PIN)
            _expect(service.submit_pin(PIN), Screen.MUNICIPALITY)
            view = _expect(service.choose_municipality(OHIRA), Screen.KIND)
            view = _expect(service.choose_kind(choice.kind), Screen.DETAILS)
            fiscal_year = choice.fiscal_year
            if fiscal_year is None and view.choice is not None:
                fiscal_year = view.choice.fiscal_year
            details = DetailsRequest(
                persons=choice.persons, fiscal_year=fiscal_year, option=choice.option, copies=1
            )
            view = _expect(service.submit_details(details), Screen.FEE)
            fee = view.order.fee if view.order is not None else 0
            if abandon_at is Screen.FEE:
                outcome.code = "abandoned"
                return outcome
            if before_pay is not None:
                before_pay()
            _expect(service.accept_fee(), Screen.CASH)
            for coin in exact_cash(fee):
                _expect(service.insert_cash(coin), Screen.CASH)
            if abandon_at is Screen.CASH:
                outcome.code = "abandoned"
                return outcome
            view = service.pay_and_print()
        except _Stop as stop:
            view = stop.view
        finally:
            outcome.ended = time.monotonic()
        outcome.code = view.message.code if view.message is not None else f"stopped_at_{view.screen.value}"
        leave(service)
    return outcome


def retrying_session(
    stack: Stack, terminal: str, card: CardOf, choice: Choice, paper: Path, *, center: str, tries: int
) -> Outcome:
    """The kiosk's protocol spoken directly, retrying the document step of ONE order up to `tries` times.

    Every PDF the center hands out is checked as the kiosk's printer would (order header and the
    binding inside the signed document); one that is not bound to this order and card is noted in
    `errors`, never written. A bound one is "printed" and confirmed; otherwise the order is voided.
    """
    outcome = Outcome(terminal, card.person_id, choice, paper, started=time.monotonic())
    with center_http(stack, outcome, (center,)) as http:
        client = CenterClient(http, terminal)
        opened = client.open_session()
        assert isinstance(opened, SessionOpened), opened
        sid = opened.session_id
        with InProcessReader(card.path) as reader:
            jpki = JpkiClient(reader)
            cert = jpki.read_auth_certificate()
            message = challenge_message(base64.b64decode(opened.challenge_b64), sid, terminal)
            signature = jpki.authenticate(message, PIN)
        signed_in = client.authenticate(
            sid, base64.b64encode(cert).decode(), base64.b64encode(signature).decode()
        )
        assert not isinstance(signed_in, ErrorBody | Unreachable), signed_in
        quote = client.quote(
            QuoteRequest(
                session_id=sid,
                terminal_id=terminal,
                request_key=request_key(),
                municipality_code=OHIRA,
                kind=Kind(choice.kind),
                copies=1,
                persons=choice.persons,
                option=choice.option,
            )
        )
        paid = (
            quote
            if isinstance(quote, ErrorBody | Unreachable)
            else client.pay(sid, str(quote.order_id), quote.fee)
        )
        if isinstance(paid, ErrorBody | Unreachable):  # the menu behind the quote may time out too
            outcome.code = paid.reason.value if isinstance(paid, ErrorBody) else "center_unreachable"
            if not isinstance(quote, ErrorBody | Unreachable):
                client.void(sid, str(quote.order_id), VoidReason.CANCELLED)
            client.close(sid)
            return outcome
        order_id = str(paid.order_id)
        binding = Binding(order_id, hashlib.sha256(cert).hexdigest())
        for _ in range(tries):
            document = client.document(sid, order_id)
            if isinstance(document, Document):
                if check_document(document.pdf, document.headers, binding) is not None:
                    outcome.errors.append(f"document not bound to order {order_id}")
                    continue
                paper.write_bytes(document.pdf)
                break
        if paper.exists():
            confirmed = client.confirm(sid, order_id, request_key())
            outcome.code = "issued" if isinstance(confirmed, OrderResponse) else "not_confirmed"
        else:
            client.void(sid, order_id, VoidReason.PRINT_FAILED)
            outcome.code = "municipality_unavailable"
        client.close(sid)
    outcome.ended = time.monotonic()
    return outcome
