"""The kiosk page's own API (browser → kiosk app on the same terminal): strict JSON models.

Every action answers the whole `ScreenView` the page draws; a refusal is its `message` (code and the
Japanese and English sentences), never a bare error. The PIN and the signing password appear only in
the two requests that carry them to the card (`PinRequest`, `RegisterRequest`); no answer contains them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from kofu.kiosk.messages import Code
from kofu.rules.copies import COPIES_CEILING
from kofu.rules.kinds import Kind
from kofu.wire.common import Count, MenuOption, MunicipalityCode, PersonId, Strict
from kofu.wire.sessions import MenuResponse, MunicipalityChoice

Lang = Literal["ja", "en"]
Purpose = Literal["issue"]


class Screen(StrEnum):
    """The screens of the flow, in order; `take` is the alarm screen (SEC-3)."""

    IDLE = "idle"
    CARD = "card"  # place the card
    PIN = "pin"  # 4-digit PIN (or the phone's biometric check)
    MUNICIPALITY = "municipality"  # 住所地 or 本籍地
    KIND = "kind"
    DETAILS = "details"  # whose, options, fiscal year, copies
    FEE = "fee"
    CASH = "cash"
    REGISTER = "register"  # the signing password for the usage registration (REG-1)
    REGISTERED = "registered"
    TAKE = "take"  # take your card / certificates


# --- requests --------------------------------------------------------------------------------------
class LangRequest(Strict):
    lang: Lang


class TrayPlaceRequest(Strict):
    index: Count = Field(ge=0, le=99)


class PinRequest(Strict):
    pin: str = Field(pattern=r"^[0-9]{4}$")


class MunicipalityRequest(Strict):
    code: MunicipalityCode


class KindRequest(Strict):
    kind: Kind


class DetailsRequest(Strict):
    persons: tuple[PersonId, ...] = Field(default=(), max_length=20)
    fiscal_year: Count | None = Field(default=None, ge=1989, le=2200)
    option: MenuOption | None = None
    copies: Count = Field(default=1, ge=1, le=COPIES_CEILING)


class CashInsertRequest(Strict):
    yen: Count = Field(ge=1, le=10000)


class RegisterRequest(Strict):
    password: str = Field(pattern=r"^[A-Z0-9]{6,16}$")


# --- answers ---------------------------------------------------------------------------------------
class Message(Strict):
    """A sentence for the person: a rules reason or a kiosk event, in both languages."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    ja: str = Field(max_length=512)
    en: str = Field(max_length=512)
    tries_left: int | None = None
    help_ja: str | None = Field(default=None, max_length=512)
    help_en: str | None = Field(default=None, max_length=512)

    @classmethod
    def of(cls, code: Code, *, tries_left: int | None = None, help: Code | None = None) -> Message:
        return cls(
            code=code.value,
            ja=code.ja,
            en=code.en,
            tries_left=tries_left,
            help_ja=None if help is None else help.ja,
            help_en=None if help is None else help.en,
        )


class NoticeView(Strict):
    """A maintenance notice for the idle screen (HRS-5)."""

    ja: str = Field(max_length=512)
    en: str = Field(max_length=512)
    active: bool


class TrayCard(Strict):
    """A demo card on the page's tray (demo only; the PIN is printed on the demo card's sleeve)."""

    index: int
    label: str = Field(max_length=256)
    pin: str | None = Field(default=None, max_length=16)
    shows: str | None = Field(default=None, max_length=256)


class PinView(Strict):
    tries_left: int
    max_tries: int
    biometric: bool  # a phone: its sensor may replace the PIN, the keypad stays offered (ELG-5)


class Choice(Strict):
    municipality_code: MunicipalityCode | None = None
    kind: Kind | None = None
    persons: tuple[PersonId, ...] = ()
    fiscal_year: int | None = None
    option: str | None = None
    copies: int = 1


class OrderView(Strict):
    """The order as the person sees it: kind, copies, fee, cash (no certificate content)."""

    kind: Kind
    copies: int
    unit_fee: int
    fee: int
    inserted: int = 0
    change: int | None = None


class ScreenView(Strict):
    """Everything the page needs to draw the current screen."""

    screen: Screen
    lang: Lang = "ja"
    demo_tray: bool
    tray: tuple[TrayCard, ...] = ()
    tray_placed: int | None = None
    card_present: bool = False
    papers: int = Field(default=0, description="printed documents waiting in the output tray")
    paid_out: int = Field(default=0, description="yen handed back (change, refund) at the session's end")
    message: Message | None = None
    notices: tuple[NoticeView, ...] = ()
    pin: PinView | None = None
    credential: Literal["card", "phone"] | None = None
    municipalities: tuple[MunicipalityChoice, ...] = ()
    menu: MenuResponse | None = None
    choice: Choice | None = None
    order: OrderView | None = None
    denominations: tuple[int, ...] = ()
    timeout_s: float = 0
    remaining_s: float | None = None
