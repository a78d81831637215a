"""Checking a chain: every entry's hash, every link, no gap, and the head record at the tail. Pure.

Each problem names the entry (seq) and what is wrong: altered, missing, reordered, broken link,
truncated tail, or a head that does not match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kofu.audit.entry import GENESIS, AuditEntry, link


@dataclass(frozen=True)
class Head:
    """The chain-head record: the last seq and hash written, and whether the chain is keyed."""

    seq: int
    hash: str
    keyed: bool | None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the chain, at entry `seq` (0: the chain as a whole)."""

    seq: int
    kind: str  # altered | missing | reordered | broken_link | truncated | head | key | anchor
    detail: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.kind}: {self.detail}" if self.seq else f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Report:
    """The verdict on a chain: how many entries, the head hash, and every problem found."""

    count: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def named(self) -> set[int]:
        """The seqs named by problems."""
        return {p.seq for p in self.problems}


def _positions(entries: Sequence[AuditEntry]) -> dict[str, int]:
    """Where each entry stood when written, found by following prev_hash links from the genesis."""
    following: dict[str, AuditEntry] = {}
    for e in entries:
        following.setdefault(e.prev_hash, e)
    positions: dict[str, int] = {}
    current, n = GENESIS, 0
    while current in following and following[current].hash not in positions:
        n += 1
        current = following[current].hash
        positions[current] = n
    return positions


def verify_chain(
    entries: Sequence[AuditEntry],
    head: Head | None,
    key: bytes | None,
    anchors: Sequence[tuple[int, str]] = (),
) -> Report:
    """Every problem of `entries` (any order; sorted by seq here) against `head`, hashed with `key`.

    `anchors` are (seq, hash) pairs noted elsewhere earlier (e.g. printed by verify): a tail cut together
    with a rewound head record is caught only by them.
    """
    rows = sorted(entries, key=lambda e: e.seq)
    last_hash = rows[-1].hash if rows else GENESIS
    if head is not None and head.keyed is not None and head.keyed != (key is not None):
        wanted = "keyed: give its key" if head.keyed else "not keyed, but a key was given (rewritten?)"
        return Report(len(rows), last_hash, (Problem(0, "key", f"the chain is {wanted}"),))
    problems: list[Problem] = []
    positions = _positions(rows)
    previous: AuditEntry | None = None
    previous_ok = True
    expected = 1
    for row in rows:
        if row.seq > expected:
            span = f"{expected}" if row.seq == expected + 1 else f"{expected}..{row.seq - 1}"
            problems.append(Problem(expected, "missing", f"entry {span} removed"))
        own_ok = link(row.prev_hash, row.body(), key) == row.hash
        if not own_ok:
            was = positions.get(row.hash)
            if was is not None and was != row.seq and link(row.prev_hash, row.body(was), key) == row.hash:
                problems.append(Problem(row.seq, "reordered", f"holds the entry written as {was}"))
            else:
                problems.append(Problem(row.seq, "altered", "its content does not match its hash"))
        elif row.seq == 1 and row.prev_hash != GENESIS:
            problems.append(Problem(row.seq, "broken_link", "the first entry does not start the chain"))
        elif (
            previous is not None
            and previous.seq == row.seq - 1
            and previous_ok
            and row.prev_hash != previous.hash
        ):
            problems.append(
                Problem(row.seq, "broken_link", f"does not follow entry {previous.seq}: one was rewritten")
            )
        previous, previous_ok, expected = row, own_ok, row.seq + 1
    last_seq = rows[-1].seq if rows else 0
    if head is None:
        problems.append(Problem(0, "head", "the chain-head record is missing"))
    elif head.seq > last_seq:
        span = f"{last_seq + 1}" if head.seq == last_seq + 1 else f"{last_seq + 1}..{head.seq}"
        problems.append(Problem(last_seq + 1, "truncated", f"entry {span} removed from the tail"))
    elif head.seq < last_seq:
        problems.append(Problem(head.seq + 1, "head", f"entries after {head.seq} bypassed the log"))
    elif head.hash != last_hash:
        problems.append(Problem(last_seq, "head", "the head records another hash for this entry"))
    stored = {row.seq: row.hash for row in rows}
    for seq, noted in anchors:
        if stored.get(seq) != noted.lower():
            problems.append(Problem(seq, "anchor", f"differs from the hash noted for it ({noted[:16]}...)"))
    return Report(len(rows), head.hash if head else last_hash, tuple(problems))
