"""The one reader interface the kiosk side speaks through.

`PcscReader` (real PC/SC readers, pyscard) lives in `kofu.card.pcsc` and is re-exported here; the
in-process transport to a virtual card is `kofu.card.inprocess`, apart, so that the kiosk does not load
the card simulator.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from kofu.card.pcsc import PcscReader

__all__ = ["PcscReader", "Reader", "ReaderBase", "ReaderError"]


class ReaderError(Exception):
    """No card, no reader, or a transport failure; the message says which."""


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


def __getattr__(name: str) -> object:
    if name == "PcscReader":  # imported lazily: pyscard is only needed for real readers
        from kofu.card.pcsc import PcscReader

        return PcscReader
    raise AttributeError(name)
