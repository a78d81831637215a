"""Every refusal of the rulebook and every kiosk event reaches the screen as a sentence."""

import pytest

from kofu.kiosk.api_models import Message
from kofu.kiosk.messages import KioskEvent
from kofu.rules.reasons import Reason


@pytest.mark.parametrize("code", [*Reason, *KioskEvent], ids=str)
def test_every_reason_and_event_becomes_a_screen_message(code: Reason | KioskEvent) -> None:
    message = Message.of(code)
    assert message.code == code.value
    assert message.ja and message.en


@pytest.mark.parametrize("event", [KioskEvent.REGISTERED, KioskEvent.PIN_RESET_HELP], ids=str)
def test_pin_2_reg_1_kiosk_sentences_name_no_one_municipality(event: KioskEvent) -> None:
    """PIN-2, REG-1: a kiosk serves every municipality's residents and holds no rulebook, so its own
    sentences name no municipality's kind (村/町/市), office or section: the person's own is meant."""
    from kofu.rules.rulebook import bundled_rulebooks

    for book in bundled_rulebooks().values():
        for word in (book.name, book.office, book.department, book.name_en):
            assert word not in event.ja and word not in event.en
    assert not any(f"{kind}で" in event.ja for kind in "村町市")
    assert "village" not in event.en.lower()
