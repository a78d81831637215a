"""The kiosk's stored records: the person's session (wiped at its end) and the devices' leftovers.

`session` holds only what the flow needs between taps; never the PIN or the signing password, never
certificate content (the member labels of the menu are shown on screen and go with the session). It is
sealed with the session's key (`kofu.kiosk.store.SEALED`); `recovery` is its plain shadow of
identifiers, for a restarted kiosk to end the session it can no longer read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from kofu.kiosk.api_models import Choice, Lang, Screen
from kofu.wire.orders import OrderResponse
from kofu.wire.sessions import CredentialKind, MenuResponse, MunicipalityChoice


class KioskSession(BaseModel):
    """One person's session at this terminal."""

    local_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    screen: Screen
    started_at: datetime
    last_seen: datetime
    center_session_id: str | None = None
    requester_cert_digest: str | None = None
    credential: CredentialKind | None = None
    pin_tries_left: int | None = None
    municipalities: tuple[MunicipalityChoice, ...] = ()
    menu: MenuResponse | None = None
    choice: Choice = Field(default_factory=Choice)
    order: OrderResponse | None = None
    message: str | None = None  # a code of kofu.kiosk.messages
    message_tries: int | None = None


class Display(BaseModel):
    """The page's language and the last message; cleared once the kiosk is idle again."""

    lang: Lang = "ja"
    message: str | None = None
    help: str | None = None
    paid_out: int = 0  # change and returned cash handed out when the session ended
    ended: bool = False


class Leftover(BaseModel):
    """Set when a session ends with the card still in the reader: the kiosk calls for it (SEC-3)."""

    card: bool = False
    credential: CredentialKind | None = None  # ELG-5: the take screen calls for the phone, not a card


class Output(BaseModel):
    """Printed copies waiting in the output tray (SEC-3), every copy of every document; counts only."""

    documents: int = 0


class NoticesCache(BaseModel):
    """The center's maintenance notices for the idle screen, refreshed every minute."""

    fetched_at: datetime
    items: tuple[tuple[str, str, bool], ...] = ()


class Recovery(BaseModel):
    """What a kiosk that lost its process (and the session's key) needs to end that session: the center's
    session, the open order, and the key of a confirmation that may have gone out. No personal data."""

    center_session_id: str | None = None
    order_id: str | None = None
    order_open: bool = False  # quoted, paid or rendered: to void (NRF-1)
    confirm_key: str | None = None  # set just before the confirmation is sent
