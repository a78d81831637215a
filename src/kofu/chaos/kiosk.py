"""One visit of the storm at one headless kiosk: the session, its fault, and the judge of its paper.

Ordinary visits (and those with a worker kill, a database outage, a slow render or a registry change)
are the real kiosk (`KioskService`, its binding check before printing, its `FilePrinter`): the fault
is set off by an httpx event hook at the step it belongs to. A kiosk that dies after paying, and the
duplicated and reordered requests, speak the center's API directly (`CenterClient`), as a kiosk with a
bug, a double tap or a network that repeats itself would. The printed paper is judged at once
(pdftotext of every page) and deleted: only a small `Result` is kept.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kofu.chaos.faults import Outage, kill_worker, slow_render
from kofu.chaos.judge import Registry, Request, document_numbers, judge_pages, pdf_pages, read_registry
from kofu.chaos.plan import Visit
from kofu.db import transaction
from kofu.kiosk.app import build_service
from kofu.kiosk.center_client import Document, Unreachable, request_key
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cardslot import CardFileSlot
from kofu.kiosk.devices.printer import Binding, FilePrinter, check_document
from kofu.kiosk.headless import Taps, drive, leave
from kofu.kiosk.signin import SignedIn, sign_in
from kofu.registry.changes import abolish_seal, file_address_change, reflect_change
from kofu.registry.errors import RegistryError
from kofu.registry.models import Person
from kofu.rules.copies import COPIES_CEILING
from kofu.rules.kinds import Kind
from kofu.wire.common import ErrorBody
from kofu.wire.orders import OrderResponse, QuoteRequest, RenderedHeaders, VoidReason

OHIRA = "044245"
PIN = "1234"
# The storm speaks plain HTTP, but httpx builds a TLS context per client (~20 ms a visit): one for all.
_UNUSED_TLS = ssl.create_default_context()


@dataclass(frozen=True)
class Task:
    """A visit with its persons named: the requester (and card), the chosen persons, the household."""

    visit: Visit
    requester: str
    card: Path
    persons: tuple[str, ...]  # chosen persons (empty: the requester's own)
    option: str | None
    household: tuple[str, ...] = ()  # the requester's household (an address change moves them all)
    not_before: float = 0.0  # wall clock (time.time()) before which the visit does not start

    @property
    def kind(self) -> str:
        return {"self": "juminhyo", "household": "juminhyo"}.get(self.visit.kind, self.visit.kind)


@dataclass
class Result:
    """What one visit came to (small: 100,000 of them fit in memory)."""

    index: int
    phase: str
    kind: str
    requester: str
    fault: str | None
    variant: str | None
    code: str = "not_started"
    orders: list[str] = field(default_factory=list)
    printed_order: str | None = None
    printed_copies: int = 0  # copies of the printed order's document that came out
    number: str | None = None
    pages: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (invariant, what)
    named: tuple[str, ...] = ()  # person ids the printed paper had to name
    injected: str | None = None  # the fault as it really happened (None: it could not be set off)
    extra_documents: int = 0  # further documents the center handed out for an already served order
    mishandled: list[str] = field(default_factory=list)  # a duplicate or reordered request answered wrongly
    started: float = 0.0  # wall clock (time.time()) of the kiosk
    ended: float = 0.0


@dataclass(frozen=True)
class Site:
    """Where the storm's parties are, and how its faults are set off (picklable: sent to kiosk processes)."""

    center_url: str
    kiosk_home: Path
    papers: Path
    registry_url: str
    supervisors: dict[str, int]
    proxy_url: str
    slow_s: float
    outage: Outage


@dataclass
class Context:
    """What a kiosk process needs to run visits: its site, and the registry as it stands."""

    site: Site
    registry: Registry | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _factory: sessionmaker[Session] | None = None

    def registry_sessions(self) -> sessionmaker[Session]:
        from kofu.db import make_engine, session_factory

        with self.lock:
            if self._factory is None:
                self._factory = session_factory(make_engine(self.site.registry_url))
            return self._factory

    def current_registry(self, fresh: bool = False) -> Registry:
        if fresh or self.registry is None:
            registry = office(lambda: read_registry(self.registry_sessions()))
            with self.lock:
                self.registry = registry
        assert self.registry is not None
        return self.registry


T = TypeVar("T")


def _center_http(ctx: Context, hooks: dict[str, list[Callable[..., object]]] | None = None) -> httpx.Client:
    """A client for one visit to the center (the shared TLS context: the storm is plain HTTP)."""
    return httpx.Client(base_url=ctx.site.center_url, timeout=120, verify=_UNUSED_TLS, event_hooks=hooks)


def office(work: Callable[[], T], attempts: int = 5) -> T:
    """The bench's own registry work, tried again when the outage fault dropped its connection."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def run_visit(ctx: Context, task: Task, terminal: str, turn: int) -> Result:
    """Run one visit at `terminal`; `turn` spreads the kills over the workers."""
    visit = task.visit
    result = Result(visit.index, visit.phase, task.kind, task.requester, visit.fault, visit.variant)
    result.started = time.time()
    paper = ctx.site.papers / f"{visit.index}.pdf"
    changed = False
    try:
        if visit.fault == "kiosk_dies":
            _dying_kiosk(ctx, task, terminal, result)
        elif visit.fault == "duplicate":
            _duplicates(ctx, task, terminal, result, paper)
        else:
            changed = _real_kiosk(ctx, task, terminal, result, paper, turn)
            if visit.fault == "slow_render" and not paper.exists():  # the person tries again, once
                retry = Task(replace(visit, fault=None), task.requester, task.card, task.persons, task.option)
                _real_kiosk(ctx, retry, terminal, result, paper, turn)
    except Exception as exc:  # a bench failure is reported, never lost in a thread
        result.code = f"bench_error:{type(exc).__name__}:{exc}"[:200]
    result.ended = time.time()
    if paper.exists():
        try:
            _judge(ctx, task, result, paper, fresh=changed)
        except Exception as exc:  # a paper the judge could not read is a bench failure, never a pass
            result.problems.append(("bench_error", f"{type(exc).__name__}: {exc}"[:200]))
            result.code = f"bench_error:judge:{type(exc).__name__}"
    return result


def _judge(ctx: Context, task: Task, result: Result, paper: Path, *, fresh: bool) -> None:
    try:
        pages = pdf_pages(paper)
        registry = ctx.current_registry(fresh=fresh)
        request = Request(task.requester, task.kind, task.persons, task.option)
        result.pages = len(pages)
        numbers = document_numbers(pages)
        result.number = next(iter(numbers)) if len(numbers) == 1 else None
        result.problems += [(p.key, p.text) for p in judge_pages(pages, request, registry)]
        named = {task.requester, *task.persons}
        if task.kind == "koseki":
            register = registry.persons[task.requester].register
            named |= {r.person_id for r in registry.persons.values() if register and r.register == register}
        if task.kind == "juminhyo":
            named |= {r.person_id for r in registry.household_of(task.requester)}
        result.named = tuple(sorted(named))
    finally:
        paper.unlink(missing_ok=True)  # the customer took the paper away


# --- the real kiosk ---------------------------------------------------------------------------------


def _hooks(
    ctx: Context, task: Task, result: Result, turn: int, timers: list[threading.Timer]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """httpx hooks: note the orders, and set off the visit's fault at its step (`timers`: to wait for)."""
    fault = task.visit.fault

    def on_request(request: httpx.Request) -> None:
        path = request.url.path
        if path.endswith("/pay") and fault == "change":
            result.injected = office(lambda: _change(ctx, task))
        if not path.endswith("/document"):
            return
        order_id = path.split("/")[-2]
        if fault == "slow_render":
            slow_render(ctx.site.proxy_url, order_id, ctx.site.slow_s)
            result.injected = f"render of {order_id} held {ctx.site.slow_s} s"
        elif fault in ("kill_center", "kill_municipal", "db_outage") and not timers:
            timer = threading.Timer(0.15, _mid_order, (ctx, fault, result, turn))
            timers.append(timer)
            timer.start()

    def on_response(response: httpx.Response) -> None:
        if response.request.url.path == "/v1/orders/quote" and response.status_code == 200:
            response.read()
            order_id = json.loads(response.content)["order_id"]
            if order_id not in result.orders:
                result.orders.append(order_id)

    return on_request, on_response


def _mid_order(ctx: Context, fault: str, result: Result, turn: int) -> None:
    """While the document is being made: kill a worker of the center or the municipal server, or the DB."""
    if fault == "db_outage":
        hit = ctx.site.outage.inject()
        result.injected = f"{ctx.site.outage.backend}: {hit} connections/databases hit"
        return
    party = "center" if fault == "kill_center" else "municipal"
    victim = kill_worker(ctx.site.supervisors[party], turn)
    result.injected = None if victim is None else f"SIGKILL {party} worker {victim}"


def _real_kiosk(ctx: Context, task: Task, terminal: str, result: Result, paper: Path, turn: int) -> bool:
    timers: list[threading.Timer] = []
    on_request, on_response = _hooks(ctx, task, result, turn, timers)
    config = KioskConfig(
        home=ctx.site.kiosk_home, terminal_id=terminal, center_url=ctx.site.center_url, center_timeout_s=120
    )
    printer = FilePrinter(paper)
    with _center_http(ctx, {"request": [on_request], "response": [on_response]}) as http:
        service = build_service(config, center_http=http, slot=CardFileSlot(task.card, None), printer=printer)
        leave(service)
        result.code = drive(service, Taps(PIN, OHIRA, task.kind, task.persons, option=task.option)).code
        leave(service)
    for timer in timers:  # the fault ran while the document was being made; its note is wanted
        timer.join()
    if paper.exists():
        result.printed_order = result.orders[-1] if result.orders else None
        result.printed_copies = _take_copies(printer, result)
    return task.visit.fault == "change"


def _take_copies(printer: FilePrinter, result: Result) -> int:
    """How many copies came out; the copies after the first (judged as the paper) must be its very bytes,
    and the customer takes them away."""
    first = printer.out.read_bytes()
    came_out = [path for path in printer.copy_paths(COPIES_CEILING) if path.exists()]
    for path in came_out[1:]:
        if path.read_bytes() != first:
            result.problems.append(("mixed_pages", f"{path.name} is not a copy of the first paper"))
        path.unlink()
    return len(came_out)


def _change(ctx: Context, task: Task) -> str:
    """The office changes the requester's record while the request is in flight (before payment)."""
    variant = task.visit.variant
    today = date.today()
    with transaction(ctx.registry_sessions()) as session:
        if variant == "seal_abolished":
            with contextlib.suppress(RegistryError):  # a first try committed before its connection dropped
                reflect_change(session, abolish_seal(session, task.requester, on=today), on=today)
            return "seal abolished (reflected)"
        movers = task.household or (task.requester,)
        for member in movers:
            if session.query(Person.status).filter(Person.person_id == member).scalar() != "resident":
                continue
            change = file_address_change(
                session,
                member,
                address=f"宮城県黒川郡大衡村大衡字嵐町{task.visit.index}番地",
                since=today,
                notified_on=today,
            )
            if variant == "move_reflected":
                reflect_change(session, change, on=today)
    return f"household moved ({'reflected' if variant == 'move_reflected' else 'pending'})"


# --- kiosks speaking the API directly ------------------------------------------------------------------


def _code(answer: object) -> str:
    if isinstance(answer, ErrorBody):
        return answer.reason.value
    if isinstance(answer, Unreachable):
        return "center_unreachable"
    return "unexpected"


def _quote(signed: SignedIn, task: Task, terminal: str, key: str) -> OrderResponse | ErrorBody | Unreachable:
    return signed.client.quote(
        QuoteRequest(
            session_id=signed.session_id,
            terminal_id=terminal,
            request_key=key,
            municipality_code=OHIRA,
            kind=Kind(task.kind),
            copies=1,
            persons=task.persons,
            option=task.option,
        )
    )


def _dying_kiosk(ctx: Context, task: Task, terminal: str, result: Result) -> None:
    """Pays, then the kiosk dies: no print, no void, no goodbye. Recovery must void it, cash back."""
    with _center_http(ctx) as http:
        signed = sign_in(http, terminal, task.card, PIN)
        if not isinstance(signed, SignedIn):
            result.code = _code(signed)
            return
        quote = _quote(signed, task, terminal, request_key())
        if not isinstance(quote, OrderResponse):
            result.code = _code(quote)
            return
        result.orders.append(str(quote.order_id))
        paid = signed.client.pay(signed.session_id, str(quote.order_id), quote.fee)
        result.code = "kiosk_died" if isinstance(paid, OrderResponse) else _code(paid)
        result.injected = "died after paying" if isinstance(paid, OrderResponse) else None


def _twice(first: Callable[[], object], second: Callable[[], object]) -> tuple[object, object]:
    """Two requests sent at the same moment (a double tap, a repeating network)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()


def _duplicates(ctx: Context, task: Task, terminal: str, result: Result, paper: Path) -> None:
    """The variant's duplicated or reordered requests, then (if all went right) an honest print."""
    variant = task.visit.variant
    with _center_http(ctx) as http:
        signed = sign_in(http, terminal, task.card, PIN)
        if not isinstance(signed, SignedIn):
            result.code = _code(signed)
            return
        client, sid = signed.client, signed.session_id
        key = request_key()
        if variant == "quote_twice":
            a, b = _twice(
                lambda: _quote(signed, task, terminal, key), lambda: _quote(signed, task, terminal, key)
            )
            ids = {str(x.order_id) for x in (a, b) if isinstance(x, OrderResponse)}
            if len(ids) > 1:
                result.mishandled.append(f"one quote key opened {len(ids)} orders")
            result.orders.extend(sorted(ids))
            quote = a if isinstance(a, OrderResponse) else b
        else:
            quote = _quote(signed, task, terminal, key)
        if not isinstance(quote, OrderResponse):
            result.code = _code(quote)
            client.close(sid)
            return
        order_id = str(quote.order_id)
        if order_id not in result.orders:
            result.orders.append(order_id)
        if variant == "pay_twice":
            a, b = _twice(
                lambda: client.pay(sid, order_id, quote.fee), lambda: client.pay(sid, order_id, quote.fee)
            )
            paid = a if isinstance(a, OrderResponse) else b
        else:
            paid = client.pay(sid, order_id, quote.fee)
        if not isinstance(paid, OrderResponse):
            result.code = _code(paid)
            client.void(sid, order_id, VoidReason.CANCELLED)
            client.close(sid)
            return
        if variant == "confirm_early":
            early = client.confirm(sid, order_id, request_key())
            if isinstance(early, OrderResponse):
                result.mishandled.append("confirmed before any document was made")
        binding = Binding(order_id, signed.digest)
        if variant == "document_twice":
            a, b = _twice(lambda: client.document(sid, order_id), lambda: client.document(sid, order_id))
            docs = [d for d in (a, b) if isinstance(d, Document)]
            numbers = {RenderedHeaders.from_http(d.headers).document_number for d in docs}
            result.extra_documents += len(numbers) - 1 if numbers else 0
            document: object = docs[0] if docs else a
        else:
            document = client.document(sid, order_id)
        if not isinstance(document, Document) or check_document(document.pdf, document.headers, binding):
            result.code = _code(document) if not isinstance(document, Document) else "document_not_bound"
            client.void(sid, order_id, VoidReason.PRINT_FAILED)
            client.close(sid)
            return
        paper.write_bytes(document.pdf)  # printed: the one copy quoted
        result.printed_order, result.printed_copies = order_id, paid.copies
        if variant == "confirm_twice":
            a, b = _twice(
                lambda: client.confirm(sid, order_id, request_key()),
                lambda: client.confirm(sid, order_id, request_key()),
            )
            confirmed = a if isinstance(a, OrderResponse) else b
        else:
            confirmed = client.confirm(sid, order_id, request_key())
            if isinstance(confirmed, Unreachable):  # as the kiosk does: one retry
                confirmed = client.confirm(sid, order_id, request_key())
        result.code = "issued" if isinstance(confirmed, OrderResponse) else _code(confirmed)
        if variant == "document_after_confirm":
            again = client.document(sid, order_id)
            if isinstance(again, Document):
                result.extra_documents += 1
            undo = client.void(sid, order_id, VoidReason.CANCELLED)
            if isinstance(undo, OrderResponse) and undo.state.value != "charged":
                result.mishandled.append("a charged order was voided")
        client.close(sid)
    result.injected = variant
