"""A card the center routes nowhere: the person reads why, instead of an empty choice of municipalities."""

from __future__ import annotations

from kiosk_doubles import Kiosk

from kofu.kiosk.api_models import Screen
from kofu.kiosk.messages import KioskEvent


def test_card_routed_nowhere_is_told_and_the_session_ends(kiosk: Kiosk) -> None:
    kiosk.center.routed = False
    s = kiosk.service
    s.start()
    assert s.place_card(0).screen is Screen.PIN
    view = s.submit_pin("1234")
    assert view.screen is Screen.TAKE  # the card is called for (SEC-3)
    assert view.message is not None and view.message.code == KioskEvent.NO_MUNICIPALITY.value
    assert "市区町村" in view.message.ja and "municipality" in view.message.en
    assert kiosk.center.deleted, "the center's session is closed"
    assert "session" not in s.store.names()
