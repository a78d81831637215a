"""A headless kiosk terminal driven tap by tap against the deployed center, recording what it printed.

The kiosk is the real `KioskService` (its store, its binding check before printing); its printer
writes the bound PDF to a file (that file is "the paper"); an httpx event hook notes the order ids
the center opened, so a test can follow each order in the center's ledger afterwards.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from incident_stack import OHIRA, PIN, CardOf, Stack

from kofu.card.inprocess import InProcessReader
from kofu.card.reader import Reader, ReaderError
from kofu.kiosk.api_models import Screen, ScreenView
from kofu.kiosk.app import build_service
from kofu.kiosk.center_client import Document, Unreachable, request_key
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.printer import Binding, FilePrinter, check_document
from kofu.kiosk.headless import Hook, Step, Taps, drive, leave
from kofu.kiosk.signin import SignedIn, sign_in
from kofu.rules.kinds import Kind
from kofu.wire.common import ErrorBody
from kofu.wire.orders import OrderResponse, QuoteRequest, VoidReason


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
        taps = Taps(PIN, OHIRA, choice.kind, choice.persons, choice.fiscal_year, choice.option)
        driven = drive(service, taps, _person(outcome, before_pay, abandon_at))
        outcome.ended = time.monotonic()
        if driven.stopped_before is not None:  # walked away, the card left in the slot
            outcome.code = "abandoned"
            return outcome
        outcome.code = driven.code
        leave(service)
    return outcome


# Walking off on the fee screen leaves before accepting it; on the cash screen, with all the cash in.
_WALK_AWAY: dict[Screen | None, Step] = {Screen.FEE: Step.ACCEPT_FEE, Screen.CASH: Step.PAY_AND_PRINT}


def _person(outcome: Outcome, before_pay: Callable[[], None] | None, abandon_at: Screen | None) -> Hook:
    """The person at the kiosk: notes the first screen, walks away at `abandon_at`, runs `before_pay`."""
    walk_away = _WALK_AWAY.get(abandon_at)

    def before(step: Step, view: ScreenView) -> bool:
        if step is Step.READ_CARD:
            outcome.first_view = view
        if step is walk_away:
            return False
        if step is Step.ACCEPT_FEE and before_pay is not None:
            before_pay()
        return True

    return before


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
        signed = sign_in(http, terminal, card.path, PIN)
        assert isinstance(signed, SignedIn), signed
        client, sid = signed.client, signed.session_id
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
        binding = Binding(order_id, signed.digest)
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
