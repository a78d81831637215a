"""A kiosk session without a screen: the same service, the same center API, one card file, one out file.

For operators, tests and load: each step is the tap a person would make; the first refusal ends the
run with its reason code. `drive` is that tap sequence for any `KioskService` (the chaos storm's
kiosks and the incident tests drive theirs with it, stopping or acting before a step by a hook).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
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
    pin: str | None  # None: a phone, unlocked by its (simulated) sensor instead of its PIN (ELG-5)
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
    papers: tuple[Path, ...] = ()  # the files printed, one per copy paid (empty unless issued)


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
    printer = FilePrinter(request.out)
    service = build_service(
        config,
        center_http=center_http,
        slot=CardFileSlot(request.card, request.biometric_sample),
        printer=printer,
    )
    leave(service)
    taps = Taps(
        request.pin,
        request.municipality,
        request.kind,
        request.persons,
        request.fiscal_year,
        request.option,
        request.copies,
    )
    driven = drive(service, taps)
    result = _result(driven.view, driven.fee)
    leave(service)
    if result.ok:
        result = replace(result, papers=tuple(printer.copy_paths(request.copies)))
    return result


class Step(StrEnum):
    """The taps after 証明書交付 (start), in order: a caller's hook runs before each of them."""

    READ_CARD = "read_card"
    SUBMIT_PIN = "submit_pin"
    CHOOSE_MUNICIPALITY = "choose_municipality"
    CHOOSE_KIND = "choose_kind"
    SUBMIT_DETAILS = "submit_details"
    ACCEPT_FEE = "accept_fee"
    INSERT_CASH = "insert_cash"  # once per coin or bill
    PAY_AND_PRINT = "pay_and_print"


@dataclass(frozen=True)
class Taps:
    """What the person taps in, screen by screen."""

    pin: str | None  # None: a phone, unlocked by its (simulated) sensor instead of its PIN (ELG-5)
    municipality: str
    kind: str
    persons: tuple[str, ...] = ()
    fiscal_year: int | None = None  # None: the year the kiosk offers
    option: str | None = None
    copies: int = 1


@dataclass(frozen=True)
class Driven:
    """Where driving the kiosk ended: the last screen, the fee quoted, and the step a hook stopped before."""

    view: ScreenView
    fee: int = 0  # 0: no quote was reached
    stopped_before: Step | None = None

    @property
    def code(self) -> str:
        """The reason code shown, else the screen the session stopped on."""
        message = self.view.message
        return message.code if message is not None else f"stopped_at_{self.view.screen.value}"


# Called before each step with the screen it is tapped on; False: the person walks away there.
Hook = Callable[[Step, ScreenView], bool]


def drive(service: KioskService, taps: Taps, before: Hook | None = None) -> Driven:
    """Tap through one session from start to pay-and-print; the first unexpected screen ends it."""

    def tap(
        step: Step, view: ScreenView, action: Callable[[], ScreenView], screen: Screen | None
    ) -> ScreenView:
        if before is not None and not before(step, view):
            raise _Stop(view, step)
        return action() if screen is None else _expect(action(), screen)

    fee = 0
    try:
        view = _expect(service.start(), Screen.CARD)
        view = tap(Step.READ_CARD, view, service.read_card, Screen.PIN)
        view = tap(Step.SUBMIT_PIN, view, partial(service.submit_pin, taps.pin), Screen.MUNICIPALITY)
        choose = partial(service.choose_municipality, taps.municipality)
        view = tap(Step.CHOOSE_MUNICIPALITY, view, choose, Screen.KIND)
        view = tap(Step.CHOOSE_KIND, view, partial(service.choose_kind, taps.kind), Screen.DETAILS)
        offered = view.choice.fiscal_year if view.choice is not None else None
        details = DetailsRequest(
            persons=taps.persons,
            fiscal_year=taps.fiscal_year if taps.fiscal_year is not None else offered,
            option=taps.option,
            copies=taps.copies,
        )
        view = tap(Step.SUBMIT_DETAILS, view, partial(service.submit_details, details), Screen.FEE)
        fee = view.order.fee if view.order is not None else 0
        view = tap(Step.ACCEPT_FEE, view, service.accept_fee, Screen.CASH)
        for coin in exact_cash(fee):
            view = tap(Step.INSERT_CASH, view, partial(service.insert_cash, coin), Screen.CASH)
        view = tap(Step.PAY_AND_PRINT, view, service.pay_and_print, None)
    except _Stop as stop:
        return Driven(stop.view, fee, stop.before)
    return Driven(view, fee)


def leave(service: KioskService) -> None:
    """End whatever is left (void, cash returned) and clear the trays, as a person walking off would."""
    service.finish()
    service.take_card()
    service.take_papers()


class _Stop(Exception):
    def __init__(self, view: ScreenView, before: Step | None = None) -> None:
        self.view = view
        self.before = before  # the step a hook stopped before (None: the kiosk showed another screen)


def _expect(view: ScreenView, screen: Screen) -> ScreenView:
    if view.screen is not screen:
        raise _Stop(view)
    return view


def _result(view: ScreenView, fee: int) -> HeadlessResult:
    message = view.message
    if message is None:
        return HeadlessResult(False, "step_unavailable", "", "", fee)
    return HeadlessResult(message.code == "issued", message.code, message.ja, message.en, fee)
