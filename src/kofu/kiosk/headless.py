"""A kiosk session without a screen: the same service, the same center API, one card file, one out file.

For operators, tests and load: each step is the tap a person would make; the first refusal ends the
run with its reason code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from kofu.kiosk.api_models import DetailsRequest, Screen, ScreenView
from kofu.kiosk.app import build_service
from kofu.kiosk.config import KioskConfig
from kofu.kiosk.devices.cardslot import CardFileSlot
from kofu.kiosk.devices.cash import DENOMINATIONS
from kofu.kiosk.devices.printer import FilePrinter
from kofu.kiosk.service import KioskService


@dataclass(frozen=True)
class HeadlessRequest:
    card: Path
    pin: str | None  # None: a phone, unlocked by its (simulated) sensor
    municipality: str
    kind: str
    out: Path
    persons: tuple[str, ...] = ()
    fiscal_year: int | None = None
    option: str | None = None
    copies: int = 1
    biometric_sample: bytes | None = None


@dataclass(frozen=True)
class HeadlessResult:
    """`code` is "issued" on success, else the reason code of the refusal; sentences for the operator."""

    ok: bool
    code: str
    message_ja: str
    message_en: str
    fee: int = 0


def exact_cash(fee: int) -> list[int]:
    """Coins and bills that make up `fee` exactly (largest first)."""
    coins = []
    for unit in sorted(DENOMINATIONS, reverse=True):
        while fee >= unit:
            coins.append(unit)
            fee -= unit
    return coins


def run_session(
    config: KioskConfig, request: HeadlessRequest, *, center_http: httpx.Client | None = None
) -> HeadlessResult:
    """Run one whole session; the terminal's state folder is cleared first (it serves nobody else)."""
    service = build_service(
        config,
        center_http=center_http,
        slot=CardFileSlot(request.card, request.biometric_sample),
        printer=FilePrinter(request.out),
    )
    _leave(service)
    fee = 0
    try:
        view = _expect(service.start(), Screen.CARD)
        view = _expect(service.read_card(), Screen.PIN)
        view = _expect(service.submit_pin(request.pin), Screen.MUNICIPALITY)
        view = _expect(service.choose_municipality(request.municipality), Screen.KIND)
        view = _expect(service.choose_kind(request.kind), Screen.DETAILS)
        details = DetailsRequest(
            persons=request.persons,
            fiscal_year=request.fiscal_year
            if request.fiscal_year is not None or view.choice is None
            else view.choice.fiscal_year,
            option=request.option,
            copies=request.copies,
        )
        view = _expect(service.submit_details(details), Screen.FEE)
        fee = view.order.fee if view.order is not None else 0
        view = _expect(service.accept_fee(), Screen.CASH)
        for coin in exact_cash(fee):
            view = _expect(service.insert_cash(coin), Screen.CASH)
        view = service.pay_and_print()
    except _Stop as stop:
        view = stop.view
    result = _result(view, fee)
    _leave(service)
    return result


class _Stop(Exception):
    def __init__(self, view: ScreenView) -> None:
        self.view = view


def _expect(view: ScreenView, screen: Screen) -> ScreenView:
    if view.screen is not screen:
        raise _Stop(view)
    return view


def _result(view: ScreenView, fee: int) -> HeadlessResult:
    message = view.message
    if message is None:
        return HeadlessResult(False, "step_unavailable", "", "", fee)
    return HeadlessResult(message.code == "issued", message.code, message.ja, message.en, fee)


def _leave(service: KioskService) -> None:
    """End whatever is left (void, cash returned) and clear the trays, as a person walking off would."""
    service.finish()
    service.take_card()
    service.take_papers()
