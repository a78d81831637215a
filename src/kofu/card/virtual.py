"""A virtual card: the applet bound to a card file, persisting counters before each response leaves.

Each APDU runs under the card's file lock and against the file's current content, so two readers (or
processes) on one card never lose a retry-counter decrement (PIN-1).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kofu.card.applet import JpkiApplet
from kofu.card.cardfile import (
    CardFile,
    card_lock,
    encode_card_file,
    parse_card_file,
    read_card_bytes,
    write_card_bytes,
)
from kofu.card.constants import ATR


class VirtualCard:
    """The card program: power on/off, reset, and APDUs, over a card file."""

    atr = ATR

    def __init__(
        self,
        card_path: Path,
        *,
        biometric: Callable[[], bytes] | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.path = Path(card_path)
        self.applet = JpkiApplet(random_bytes=random_bytes, biometric=biometric)
        self._cache: tuple[bytes, CardFile] | None = None

    def power_on(self) -> None:
        """Power on (or warm reset): a fresh session; the card file is checked now, not at first APDU."""
        self.applet.reset()
        with card_lock(self.path):
            self._load()

    def power_off(self) -> None:
        """Power off: verification state ends (PIN-1)."""
        self.applet.reset()

    def transmit(self, apdu: bytes) -> bytes:
        """Answer one APDU; changed counters are on disk (fsynced) before this returns."""
        with card_lock(self.path):
            card = self._load()
            response, new = self.applet.process(card, apdu)
            if new.state() != card.state():
                raw = encode_card_file(new)
                write_card_bytes(self.path, raw)
                self._cache = (raw, new)
        return response

    def card_file(self) -> CardFile:
        """The card's current stored content (for tests and `kofu card info`)."""
        with card_lock(self.path):
            return self._load()

    def _load(self) -> CardFile:
        # Compared by content, not by stat: inode numbers and timestamps can repeat between writes.
        raw = read_card_bytes(self.path)
        if self._cache is not None and self._cache[0] == raw:
            return self._cache[1]
        card = parse_card_file(raw, self.path)
        self._cache = (raw, card)
        return card
