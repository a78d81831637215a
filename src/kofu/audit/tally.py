"""A worker's count of the rows it recorded, and the tallies by which it vouches for them in the chain.

Each worker (one `AuditLog` in one process) numbers the rows it records 1, 2, 3… A number is settled
when its transaction commits (the row must reach the chain) or rolls back (void: nothing to find). Every
few seconds, and at stop, the worker's chainer writes a tally into the chain: "worker W settled numbers
A..C, and these of them are void". `kofu audit verify` then finds every other number of A..C in the
chain (or still pending, authenticated): a row dropped on its way (a trigger on `audit_pending`, a
delete before the chainer saw it) is named, though the database never held it.

A number whose fate is unknown (a commit that failed in flight, a session closed without either) is
declared void after `STALE_S`: void only means the worker does not vouch for it, so an unknown fate
can never make a false alarm. Numbers never repeat within a worker; a worker is one process's log.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

STALE_S = 60.0  # far longer than any decision's transaction
_PART = 90  # characters of one subject part (an audit subject part holds at most 96)
_VOID_PARTS = 3  # void parts per tally entry: the subject stays under 400 characters


@dataclass(frozen=True)
class Tally:
    """Worker `worker` settled its numbers `first`..`last`; those in `void` never committed."""

    worker: str
    first: int
    last: int
    void: tuple[int, ...] = ()

    def subject(self) -> str:
        """The tally as an audit subject: `worker:W from:A to:C [void:x.y-z …]`."""
        parts = [f"worker:{self.worker}", f"from:{self.first}", f"to:{self.last}"]
        parts.extend(f"void:{chunk}" for chunk in _chunks(_ranges(self.void)))
        return " ".join(parts)

    def vouched(self) -> Iterable[int]:
        """The numbers whose rows must be in the chain."""
        void = set(self.void)
        return (n for n in range(self.first, self.last + 1) if n not in void)


def parse_tally(subject: str) -> Tally | None:
    """The tally written as `subject`, or None when it is not one."""
    fields: dict[str, str] = {}
    void: list[int] = []
    try:
        for part in subject.split():
            name, _, value = part.partition(":")
            if name == "void":
                void.extend(_numbers(value))
            else:
                fields[name] = value
        first, last = int(fields["from"]), int(fields["to"])
        return Tally(fields["worker"], first, last, tuple(void)) if 0 < first <= last else None
    except (KeyError, ValueError):
        return None


def _ranges(numbers: Iterable[int]) -> list[str]:
    out: list[str] = []
    run: list[int] = []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [n]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return out


def _chunks(ranges: list[str]) -> list[str]:
    chunks: list[str] = []
    for r in ranges:
        if chunks and len(chunks[-1]) + 1 + len(r) <= _PART:
            chunks[-1] += "." + r
        else:
            chunks.append(r)
    return chunks


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for r in text.split("."):
        low, _, high = r.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


def split(tally: Tally) -> list[Tally]:
    """The tally cut into tallies whose subjects fit an audit entry (few voids each)."""
    out: list[Tally] = []
    first, void = tally.first, sorted(tally.void)
    while True:
        chunks = _chunks(_ranges(void))
        if len(chunks) <= _VOID_PARTS:
            out.append(Tally(tally.worker, first, tally.last, tuple(void)))
            return out
        kept = set(_numbers(".".join(chunks[:_VOID_PARTS])))
        upto = max(kept)
        out.append(Tally(tally.worker, first, upto, tuple(n for n in void if n <= upto)))
        first, void = upto + 1, [n for n in void if n > upto]


class Counter:
    """One worker's numbering (thread-safe): take a number, settle it, tally what is settled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._new_worker()

    def _new_worker(self) -> None:
        self.worker = secrets.token_hex(8)
        self._pid = os.getpid()
        self._next = 1
        self._open: dict[int, float] = {}  # number → when it was taken (monotonic)
        self._void: set[int] = set()
        self._tallied = 0  # every number up to this one is in a tally already

    def take(self) -> tuple[str, int]:
        """The worker's name and a fresh number for a row about to be recorded."""
        with self._lock:
            if os.getpid() != self._pid:  # a forked child is a worker of its own
                self._new_worker()
            number = self._next
            self._next += 1
            self._open[number] = time.monotonic()
            return self.worker, number

    def settle(self, worker: str, numbers: Iterable[int], *, committed: bool) -> None:
        """The transaction holding `numbers` committed (or rolled back: they are void)."""
        with self._lock:
            if worker != self.worker:
                return
            for n in numbers:
                if self._open.pop(n, None) is not None and not committed:
                    self._void.add(n)

    def due(self) -> Tally | None:
        """What to vouch for now: the numbers after the last tally, up to the first still open."""
        with self._lock:
            if os.getpid() != self._pid:
                return None
            now = time.monotonic()
            for n, taken in list(self._open.items()):
                if now - taken > STALE_S:  # fate unknown: vouch for nothing about it
                    del self._open[n]
                    self._void.add(n)
            last = (min(self._open) if self._open else self._next) - 1
            if last <= self._tallied:
                return None
            first = self._tallied + 1
            return Tally(self.worker, first, last, tuple(sorted(n for n in self._void if n <= last)))

    def tallied(self, tally: Tally) -> None:
        """`tally` is in the chain (committed): its numbers need no more vouching."""
        with self._lock:
            if tally.worker == self.worker and tally.last > self._tallied:
                self._tallied = tally.last
                self._void = {n for n in self._void if n > tally.last}
