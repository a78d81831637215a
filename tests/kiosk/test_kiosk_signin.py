"""Signing in by the center's API directly (`kofu.kiosk.signin`), with a card or a phone (ELG-5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kiosk_doubles import OWN, TERMINAL, FakeCenterApi

from kofu.jpki.testbed import DEFAULT_PIN, Testbed
from kofu.kiosk.signin import SignedIn, sign_in


@pytest.fixture
def center_http(kofu_home: Path) -> Iterator[httpx.Client]:
    center = FakeCenterApi(home=kofu_home)
    with httpx.Client(base_url="http://center.test", transport=center.transport()) as http:
        yield http


def test_phone_signs_in_with_its_pin_or_its_biometrics_ELG_5(
    jpki_testbed: Testbed, center_http: httpx.Client
) -> None:
    """ELG-5: the resident chooses the PIN or the phone's biometrics; both sign the challenge."""
    phone = jpki_testbed.issue(OWN, credential="phone")
    assert phone.biometric_sample is not None
    by_pin = sign_in(center_http, TERMINAL, phone.path, DEFAULT_PIN)
    by_sensor = sign_in(center_http, TERMINAL, phone.path, None, biometric_sample=phone.biometric_sample)
    assert isinstance(by_pin, SignedIn) and isinstance(by_sensor, SignedIn)
    assert by_pin.digest == by_sensor.digest


def test_card_has_no_biometrics_ELG_5(jpki_testbed: Testbed, center_http: httpx.Client) -> None:
    card = jpki_testbed.issue(OWN)
    with pytest.raises(ValueError, match="biometric"):
        sign_in(center_http, TERMINAL, card.path, None, biometric_sample=b"face")
