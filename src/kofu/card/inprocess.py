"""The in-process transport: a virtual card file in a virtual reader, in this process (tests, demos)."""

from __future__ import annotations

from pathlib import Path

from kofu.card.cardfile import CardFileError
from kofu.card.reader import ReaderBase, ReaderError
from kofu.card.virtual import VirtualCard


class CardUnreadable(ReaderError, CardFileError):
    """A virtual card whose file cannot be used: a reader error to the kiosk, a card-file error to tools."""


class InProcessReader(ReaderBase):
    """A virtual card file in a virtual reader, in this process (fast tests, demos)."""

    def __init__(self, card_path: Path) -> None:
        self._card = self._make_card(Path(card_path))
        self._connected = False

    def _make_card(self, card_path: Path) -> VirtualCard:
        return VirtualCard(card_path)

    @property
    def atr(self) -> bytes:
        return self._card.atr

    def connect(self) -> None:
        """Insert and power the card."""
        try:
            self._card.power_on()
        except CardFileError as exc:
            raise CardUnreadable(str(exc)) from None
        self._connected = True

    def disconnect(self) -> None:
        """Power off: the card forgets every verification."""
        self._card.power_off()
        self._connected = False

    def transmit(self, apdu: bytes) -> bytes:
        if not self._connected:
            raise ReaderError("the reader is not connected to the card")
        try:
            return self._card.transmit(apdu)
        except CardFileError as exc:
            raise CardUnreadable(str(exc)) from None
        except OSError as exc:  # the card could not store its counters: no answer may leave it
            raise ReaderError(f"the card could not store its state: {exc.strerror}") from None
