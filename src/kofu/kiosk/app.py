"""The kiosk terminal as a FastAPI app: the touch page and its small JSON API (same terminal only).

Handlers only translate HTTP to `KioskService` calls; every answer is a `ScreenView`. Malformed input
is answered with an `ErrorBody` (bad_request) that never echoes what was sent (it may be a PIN).
`PageGuard` answers only the kiosk's own page: the token made at each start is put into the page and
required on every API call (T9); bodies are capped. At start the app ends whatever session a previous
process left (its key is gone) and takes the terminal for itself: a kiosk is one process. While the app
runs, a reaper applies the walk-away timeout (INC-8) even when no request comes.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from pathlib import Path

import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from kofu.kiosk.api_models import (
    CashInsertRequest,
    DetailsRequest,
    KindRequest,
    LangRequest,
    MunicipalityRequest,
    PinRequest,
    RegisterRequest,
    ScreenView,
    TrayPlaceRequest,
)
from kofu.kiosk.center_client import CenterClient, make_http_client
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cardslot import CardSlot, DemoTray, PcscSlot, load_demo_cards
from kofu.kiosk.devices.cash import CashDevice, SimulatedCashDevice
from kofu.kiosk.devices.printer import CupsPrinter, Printer, SpoolPrinter
from kofu.kiosk.pageguard import PageGuard
from kofu.kiosk.service import KioskService
from kofu.kiosk.store import KioskStore
from kofu.logs import get_logger
from kofu.netpki.gate import KIOSK_PAGE, Gate, allow, install_gate
from kofu.private import private_dir
from kofu.rules.reasons import Reason
from kofu.wire.bodylimit import BodySizeLimit
from kofu.wire.common import ErrorBody, error_responses
from kofu.wire.docs import api_docs, offline_docs
from kofu.wire.http_errors import install_http_errors

STATIC = Path(__file__).parent / "static"
TOKEN_PLACEHOLDER = "__KOFU_PAGE_TOKEN__"
MAX_BODY = 16 * 1024  # the largest page call is a few hundred bytes (details, a PIN, a password)
log = get_logger("kiosk")


def build_service(
    config: KioskConfig,
    *,
    center_http: httpx.Client | None = None,
    printer: Printer | None = None,
    cash: CashDevice | None = None,
    slot: CardSlot | None = None,
    clock: Callable[[], datetime] | None = None,
) -> KioskService:
    """The service with its devices as configured (each replaceable, e.g. by tests).

    A CUPS printer that keeps job files is refused here, with the sentence saying how to fix it.
    """
    for folder in (config.state_dir, config.spool_dir):
        private_dir(folder, within=config.home)
    store = KioskStore(config.state_dir)
    if slot is None:
        if config.reader is None:
            slot = DemoTray(store, load_demo_cards(config.demo_cards_file), config.home)
        else:
            slot = PcscSlot(config.reader)
    if printer is None and config.printer == "cups":
        cups = CupsPrinter(config.cups_queue, cupsd_conf=config.cupsd_conf)
        problem = cups.check()
        if problem is not None:
            raise ValueError(problem)
        printer = cups
    if printer is None:
        printer = SpoolPrinter(config.spool_dir)
    center = CenterClient(center_http or make_http_client(config), config.terminal_id)
    extra = {} if clock is None else {"clock": clock}
    return KioskService(
        config,
        store=store,
        center=center,
        slot=slot,
        cash=cash or SimulatedCashDevice(store),
        printer=printer,
        **extra,
    )


async def reap_forever(kiosk: KioskService, interval_s: float) -> None:
    """Every `interval_s`, end the session if its person walked away (the page may poll no more)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await anyio.to_thread.run_sync(kiosk.reap)  # the store's lock and the center calls block
        except Exception as exc:  # the next round tries again; a request still applies the timeout itself
            log.error("reaper_failed", error=type(exc).__name__)


def create_app(config: KioskConfig, *, service: KioskService | None = None) -> FastAPI:
    """The kiosk app for one terminal; `app.state.page_token` is this start's page token."""
    kiosk = service or build_service(config)
    token = secrets.token_urlsafe(32)
    page_html = (STATIC / "index.html").read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, token)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with kiosk.store.sole_process():
            if await anyio.to_thread.run_sync(kiosk.recover):
                log.warning("kiosk restarted: the session it lost was ended")
            reaper = asyncio.create_task(reap_forever(kiosk, config.reap_interval_s))
            try:
                yield
            finally:
                reaper.cancel()
                with suppress(asyncio.CancelledError):
                    await reaper

    app = FastAPI(
        title="kofu kiosk terminal",
        description="The touch page of one kiosk terminal and its page API (its own page only: the page's "
        "token in X-Kofu-Page-Token, same origin, JSON bodies).",
        version="1",
        responses=error_responses(400, 403, 413, 415),
        lifespan=lifespan,
        **api_docs(config.docs),
    )
    app.state.kiosk = kiosk
    app.state.page_token = token
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY)
    app.add_middleware(
        PageGuard,
        token=token,
        allowed_hosts=config.allowed_hosts,
        allowed_clients=config.allowed_clients,
        csp_exempt=[url for url in (app.docs_url, app.redoc_url) if url],
    )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        del request, exc  # never echo the input: it may be a PIN or a password
        return JSONResponse(ErrorBody.of(Reason.BAD_REQUEST).model_dump(mode="json"), status_code=400)

    @app.get("/", include_in_schema=False)
    @allow(KIOSK_PAGE)
    def page() -> HTMLResponse:
        return HTMLResponse(page_html)

    app.mount("/static", allow(KIOSK_PAGE)(StaticFiles(directory=STATIC)), name="static")

    @app.get("/api/state")
    @allow(KIOSK_PAGE)
    def state() -> ScreenView:
        """The screen to draw now (also ends a walked-away session)."""
        return kiosk.state()

    @app.post("/api/lang")
    @allow(KIOSK_PAGE)
    def lang(body: LangRequest) -> ScreenView:
        return kiosk.set_lang(body.lang)

    @app.post("/api/start")
    @allow(KIOSK_PAGE)
    def start() -> ScreenView:
        """証明書交付."""
        return kiosk.start()

    @app.post("/api/tray/place")
    @allow(KIOSK_PAGE)
    def tray_place(body: TrayPlaceRequest) -> ScreenView:
        """Demo: place a demo card on the reader."""
        return kiosk.place_card(body.index)

    @app.post("/api/tray/take")
    @allow(KIOSK_PAGE)
    def tray_take() -> ScreenView:
        """Demo: take the card from the reader."""
        return kiosk.take_card()

    @app.post("/api/card/read")
    @allow(KIOSK_PAGE)
    def card_read() -> ScreenView:
        return kiosk.read_card()

    @app.post("/api/pin")
    @allow(KIOSK_PAGE)
    def pin(body: PinRequest) -> ScreenView:
        """The PIN, for the card only (VERIFY); it is never sent to any server."""
        return kiosk.submit_pin(body.pin)

    @app.post("/api/biometric")
    @allow(KIOSK_PAGE)
    def biometric() -> ScreenView:
        """A phone: its sensor replaces the PIN (ELG-5)."""
        return kiosk.submit_pin(None)

    @app.post("/api/municipality")
    @allow(KIOSK_PAGE)
    def municipality(body: MunicipalityRequest) -> ScreenView:
        return kiosk.choose_municipality(body.code)

    @app.post("/api/kind")
    @allow(KIOSK_PAGE)
    def kind(body: KindRequest) -> ScreenView:
        return kiosk.choose_kind(body.kind)

    @app.post("/api/details")
    @allow(KIOSK_PAGE)
    def details(body: DetailsRequest) -> ScreenView:
        return kiosk.submit_details(body)

    @app.post("/api/fee/accept")
    @allow(KIOSK_PAGE)
    def fee_accept() -> ScreenView:
        return kiosk.accept_fee()

    @app.post("/api/back")
    @allow(KIOSK_PAGE)
    def back() -> ScreenView:
        return kiosk.back()

    @app.post("/api/cash/insert")
    @allow(KIOSK_PAGE)
    def cash_insert(body: CashInsertRequest) -> ScreenView:
        """Simulated cash device: a coin or bill went in."""
        return kiosk.insert_cash(body.yen)

    @app.post("/api/pay")
    @allow(KIOSK_PAGE)
    def pay() -> ScreenView:
        """Pay, print the bound document, confirm: the fee is charged only after the print (NRF-1)."""
        return kiosk.pay_and_print()

    @app.post("/api/registration/open")
    @allow(KIOSK_PAGE)
    def registration_open() -> ScreenView:
        return kiosk.open_registration()

    @app.post("/api/registration")
    @allow(KIOSK_PAGE)
    def registration(body: RegisterRequest) -> ScreenView:
        """The signing password, for the card only (REG-1)."""
        return kiosk.register(body.password)

    @app.post("/api/finish")
    @allow(KIOSK_PAGE)
    def finish() -> ScreenView:
        """終了 / 取消: end the session (any open order voided, cash returned)."""
        return kiosk.finish()

    @app.post("/api/papers/take")
    @allow(KIOSK_PAGE)
    def papers_take() -> ScreenView:
        return kiosk.take_papers()

    install_http_errors(app)
    offline_docs(app)
    install_gate(app, Gate())  # every route is the page's own: the page guard in front proves who calls
    return app
