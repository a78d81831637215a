"""Where the card (or phone) is: the demo tray on the page, or a real PC/SC reader.

The kiosk only asks two things: is a card there (SEC-3: the screen cannot go idle while it is), and a
`Reader` for it. Card presence is device state, kept in the store, not in process memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from kofu.card.reader import Reader, ReaderError
from kofu.kiosk.store import KioskStore


class CardSlot(Protocol):
    def present(self) -> bool: ...

    def open_reader(self) -> Reader:
        """A reader holding the card now in the slot (raises ReaderError when there is none)."""
        ...


@runtime_checkable
class Removable(Protocol):
    """A slot the kiosk software itself can empty (the demo tray; the headless runner's card)."""

    def take(self) -> None: ...


class DemoCard(BaseModel):
    """One entry of `$KOFU_HOME/demo-cards.json` (written by `kofu demo`); extra fields are kept out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    card: str = Field(max_length=1024)
    pin: str | None = Field(default=None, max_length=16)
    person: str = Field(default="", max_length=64)
    label: str = Field(default="", max_length=256)
    jushochi: Any = None
    honsekichi: Any = None
    shows: Any = None


def load_demo_cards(path: Path) -> list[DemoCard]:
    """The demo cards, or none when the file is absent or unreadable (the tray is then empty)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    entries = data.get("cards", []) if isinstance(data, dict) else data
    cards = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            cards.append(DemoCard.model_validate(entry))
        except ValueError:
            continue
    return cards


class TrayRecord(BaseModel):
    index: int


class DemoTray:
    """The demo's card tray: the page places one of the demo cards on an in-process reader."""

    def __init__(self, store: KioskStore, cards: list[DemoCard], home: Path) -> None:
        self.store = store
        self.cards = cards
        self.home = home

    def place(self, index: int) -> None:
        if not 0 <= index < len(self.cards):
            raise ReaderError("no such demo card")
        self.store.write("tray", TrayRecord(index=index), durable=False)

    def take(self) -> None:
        self.store.wipe("tray")

    def placed(self) -> int | None:
        rec = self.store.read("tray", TrayRecord)
        return None if rec is None else rec.index

    def present(self) -> bool:
        return self.placed() is not None

    def card_path(self, index: int) -> Path:
        path = Path(self.cards[index].card)
        return path if path.is_absolute() else self.home / path

    def open_reader(self) -> Reader:
        index = self.placed()
        if index is None or index >= len(self.cards):
            raise ReaderError("no card in the tray")
        path = self.card_path(index)
        if _card_kind(path) == "phone":
            from kofu.card.biometric import SimulatedSensor
            from kofu.card.phone import PhoneReader

            # the demo phone's owner is the one holding it: the testbed enrols "face:<person>"
            sample = f"face:{self.cards[index].person}".encode()
            return PhoneReader(path, SimulatedSensor(sample))
        from kofu.card.inprocess import InProcessReader  # the simulator: loaded only when the demo needs it

        return InProcessReader(path)


def _card_kind(path: Path) -> str:
    from kofu.card.cardfile import CardFileError, read_card_file

    try:
        return read_card_file(path).kind
    except (OSError, CardFileError) as exc:
        raise ReaderError(f"the card cannot be read: {exc.__class__.__name__}") from None


class PcscSlot:
    """A real PC/SC reader; a card is present when the reader can connect to one."""

    def __init__(self, name: str | None) -> None:
        self.name = name or None

    def present(self) -> bool:
        from kofu.card.pcsc import PcscReader

        reader = PcscReader(self.name)
        try:
            reader.connect()
        except ReaderError:
            return False
        reader.disconnect()
        return True

    def open_reader(self) -> Reader:
        from kofu.card.pcsc import PcscReader

        return PcscReader(self.name)


class CardFileSlot:
    """A card file that stays in the reader (the headless kiosk of `kofu kiosk session`)."""

    def __init__(self, path: Path, biometric_sample: bytes | None = None) -> None:
        self.path = path
        self.biometric_sample = biometric_sample

    def present(self) -> bool:
        return self.path.exists()

    def take(self) -> None:
        """The operator takes the card back; the file stays for the next run."""

    def open_reader(self) -> Reader:
        if _card_kind(self.path) == "phone":
            from kofu.card.biometric import SimulatedSensor
            from kofu.card.phone import PhoneReader

            return PhoneReader(self.path, SimulatedSensor(self.biometric_sample or b""))
        from kofu.card.inprocess import InProcessReader  # the simulator: loaded only for a card file

        return InProcessReader(self.path)
