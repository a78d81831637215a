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
