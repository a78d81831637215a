"""The cash device: coins and bills in, the fee held in escrow, change and refunds out.

The real device is hardware behind this interface; the simulated one is driven by the page's
"insert coin/bill" buttons and keeps its counters in the terminal's store (no process memory).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from kofu.kiosk.store import KioskStore

DENOMINATIONS: tuple[int, ...] = (10, 50, 100, 500, 1000, 2000, 5000, 10000)
MAX_INSERTED = 30000  # the device refuses more (and the wire caps cash)


class CashError(ValueError):
    """A coin or bill the device does not take, or more cash than it holds for one order."""


class CashDevice(Protocol):
    """What the kiosk does with money; amounts in yen."""

    def insert(self, yen: int) -> int:
        """A coin or bill went in (simulated: a page button); the total inserted so far."""
        ...

    def inserted(self) -> int:
        """Cash taken in and not yet escrowed or returned."""
        ...

    def escrow(self, fee: int) -> int:
        """Hold `fee` of the inserted cash and pay the rest out as change; returns the change."""
        ...

    def held(self) -> int:
        """The fee held in escrow."""
        ...

    def return_all(self) -> int:
        """Pay out everything inserted or held (cancel, void, timeout); returns the amount."""
        ...

    def keep(self) -> int:
        """The print was confirmed: the escrowed fee goes into the cash box; returns the amount."""
        ...


class CashRecord(BaseModel):
    inserted: int = 0
    held: int = 0
    paid_out: int = 0  # change and refunds handed back, in total
    kept: int = 0  # fees kept, in total


class SimulatedCashDevice:
    """Counters in the store's `cash` record; call under the store's lock."""

    def __init__(self, store: KioskStore) -> None:
        self.store = store

    def record(self) -> CashRecord:
        return self.store.read("cash", CashRecord) or CashRecord()

    def insert(self, yen: int) -> int:
        if yen not in DENOMINATIONS:
            raise CashError(f"not a yen coin or bill: {yen}")
        rec = self.record()
        if rec.inserted + yen > MAX_INSERTED:
            raise CashError("too much cash for one order")
        rec.inserted += yen
        self._save(rec)
        return rec.inserted

    def inserted(self) -> int:
        return self.record().inserted

    def escrow(self, fee: int) -> int:
        rec = self.record()
        if fee > rec.inserted:
            raise CashError("the inserted cash does not cover the fee")
        change = rec.inserted - fee
        rec.held += fee
        rec.inserted = 0
        rec.paid_out += change
        self._save(rec)
        return change

    def held(self) -> int:
        return self.record().held

    def return_all(self) -> int:
        rec = self.record()
        amount = rec.inserted + rec.held
        rec.inserted = rec.held = 0
        rec.paid_out += amount
        self._save(rec)
        return amount

    def keep(self) -> int:
        rec = self.record()
        amount, rec.held = rec.held, 0
        rec.kept += amount
        self._save(rec)
        return amount

    def _save(self, rec: CashRecord) -> None:
        self.store.write("cash", rec)
