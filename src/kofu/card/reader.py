"""The one reader interface the kiosk side speaks through, and its in-process transport.

`PcscReader` (real PC/SC readers, pyscard) lives in `kofu.card.pcsc` and is re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from kofu.card.cardfile import CardFileError
from kofu.card.virtual import VirtualCard

if TYPE_CHECKING:
    from kofu.card.pcsc import PcscReader

__all__ = ["CardUnreadable", "InProcessReader", "PcscReader", "Reader", "ReaderError"]


class ReaderError(Exception):
    """No card, no reader, or a transport failure; the message says which."""


class CardUnreadable(ReaderError, CardFileError):
    """A virtual card whose file cannot be used: a reader error to the kiosk, a card-file error to tools."""


@runtime_checkable
class Reader(Protocol):
    """A card reader with a card in it: the kiosk side sends command APDUs and gets response APDUs."""

    @property
    def atr(self) -> bytes: ...

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes: ...


class ReaderBase:
    """`with reader:` connects and disconnects."""

    def connect(self) -> None:
        raise NotImplementedError

    def disconnect(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.disconnect()


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


def __getattr__(name: str) -> object:
    if name == "PcscReader":  # imported lazily: pyscard is only needed for real readers
        from kofu.card.pcsc import PcscReader

        return PcscReader
    raise AttributeError(name)
