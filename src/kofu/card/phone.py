"""A smartphone credential (ELG-5) reaching the kiosk through the same reader interface as a card."""

from __future__ import annotations

from pathlib import Path

from kofu.card.biometric import BiometricSensor
from kofu.card.inprocess import InProcessReader
from kofu.card.virtual import VirtualCard


class PhoneReader(InProcessReader):
    """The kiosk's link to a phone: VERIFY of the PIN EF with `BIO` unlocks by the phone's sensor."""

    def __init__(self, card_path: Path, sensor: BiometricSensor) -> None:
        self._sensor = sensor
        super().__init__(card_path)

    def _make_card(self, card_path: Path) -> VirtualCard:
        return VirtualCard(card_path, biometric=self._sensor.capture)
