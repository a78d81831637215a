"""Checking a chain: every entry's hash, every link, no gap, and the head record at the tail. Pure.

Each problem names the entry (seq) and what is wrong: altered, missing, reordered, broken link,
truncated tail, or a head that does not match. With the head's public key, the head's signature; in a
keyed log, times that never go back, rows refused by a chainer or pending without a worker's MAC
(inserted), and rows a worker vouched for that never reached the chain (suppressed); with checkpoints
kept outside the database, a chain shorter than one (truncated) or with another hash (rewritten).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kofu.audit.entry import GENESIS, AuditEntry, PendingRow, head_message, link
from kofu.audit.tally import parse_tally

SYSTEM = "system:audit"  # the actor of what a chainer writes itself
REFUSED = "audit.refused"  # a pending row the chainer refused (no worker's MAC, or a copy)
TALLY = "audit.tally"  # a worker vouching for the rows it recorded


@dataclass(frozen=True)
class Head:
    """The chain-head record: the last seq and hash written, and whether the chain is keyed."""

    seq: int
    hash: str
    keyed: bool | None
    at: str | None = None  # the last entry's time
    signature: str | None = None  # Ed25519 (hex) of seq, hash and time, by the chainer that wrote it


@dataclass(frozen=True)
class Checkpoint:
    """A chain's head noted outside the database at `written`: entry `seq` had `hash` and time `at`."""

    log: str
    seq: int
    hash: str
    at: str | None
    written: str


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the chain, at entry `seq` (0: the chain as a whole)."""

    seq: int
    # altered | missing | reordered | broken_link | truncated | head | key | anchor | signature | time
    # | inserted | suppressed | rewritten | checkpoint
    kind: str
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
    *,
    head_public: Ed25519PublicKey | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    pending: Sequence[PendingRow] = (),
) -> Report:
    """Every problem of `entries` (any order; sorted by seq here) against `head`, hashed with `key`.

    `anchors` are (seq, hash) pairs noted elsewhere earlier (e.g. printed by verify), `checkpoints`
    signed heads kept outside the database: a tail cut together with a rewound head record is caught
    only by them. `head_public` checks the head's signature; `pending` are the rows not chained yet.
    """
    rows = sorted(entries, key=lambda e: e.seq)
    last_hash = rows[-1].hash if rows else GENESIS
    if head is not None and head.keyed is not None and head.keyed != (key is not None):
        wanted = "keyed: give its key" if head.keyed else "not keyed, but a key was given (rewritten?)"
        return Report(len(rows), last_hash, (Problem(0, "key", f"the chain is {wanted}"),))
    problems, sound = _links(rows, key)
    problems.extend(_head_problems(rows, head, head_public))
    stored = {row.seq: row for row in rows}
    for seq, noted in anchors:
        found = stored.get(seq)
        if found is None or found.hash != noted.lower():
            problems.append(Problem(seq, "anchor", f"differs from the hash noted for it ({noted[:16]}...)"))
    problems.extend(_checkpoint_problems(stored, checkpoints))
    trusted = [row for row in rows if row.seq in sound]
    problems.extend(_time_problems(trusted))
    problems.extend(_insertions(trusted, pending, key))
    problems.extend(_suppressions(trusted, pending, key))
    return Report(len(rows), head.hash if head else last_hash, tuple(problems))


def _links(rows: Sequence[AuditEntry], key: bytes | None) -> tuple[list[Problem], set[int]]:
    """Each entry's own hash and its link to the one before; the seqs whose hash checks."""
    problems: list[Problem] = []
    sound: set[int] = set()
    positions = _positions(rows)
    previous: AuditEntry | None = None
    previous_ok = True
    expected = 1
    keyed_from = _keyed_from(rows, key)
    for row in rows:
        if row.seq > expected:
            span = f"{expected}" if row.seq == expected + 1 else f"{expected}..{row.seq - 1}"
            problems.append(Problem(expected, "missing", f"entry {span} removed"))
        # entries of a chain begun unkeyed, before its first keyed entry (which pins them), hash plain
        row_key = None if row.seq < keyed_from and row.worker is None else key
        own_ok = link(row.prev_hash, row.body(), row_key) == row.hash
        if not own_ok:
            was = positions.get(row.hash)
            if was is not None and was != row.seq and link(row.prev_hash, row.body(was), row_key) == row.hash:
                problems.append(Problem(row.seq, "reordered", f"holds the entry written as {was}"))
            else:
                problems.append(Problem(row.seq, "altered", "its content does not match its hash"))
        else:
            sound.add(row.seq)
            if row.seq == 1 and row.prev_hash != GENESIS:
                problems.append(Problem(row.seq, "broken_link", "the first entry does not start the chain"))
            elif (
                previous is not None
                and previous.seq == row.seq - 1
                and previous_ok
                and row.prev_hash != previous.hash
            ):
                problems.append(
                    Problem(
                        row.seq, "broken_link", f"does not follow entry {previous.seq}: one was rewritten"
                    )
                )
        previous, previous_ok, expected = row, own_ok, row.seq + 1
    return problems, sound


def _keyed_from(rows: Sequence[AuditEntry], key: bytes | None) -> int:
    """The seq of the first entry hashed under `key` (a chain begun unkeyed goes on keyed from there)."""
    if key is None:
        return 0
    return next((row.seq for row in rows if link(row.prev_hash, row.body(), key) == row.hash), 0)


def _head_problems(
    rows: Sequence[AuditEntry], head: Head | None, public: Ed25519PublicKey | None
) -> list[Problem]:
    last_seq = rows[-1].seq if rows else 0
    last_hash = rows[-1].hash if rows else GENESIS
    if head is None:
        return [Problem(0, "head", "the chain-head record is missing")]
    problems: list[Problem] = []
    if head.seq > last_seq:
        span = f"{last_seq + 1}" if head.seq == last_seq + 1 else f"{last_seq + 1}..{head.seq}"
        problems.append(Problem(last_seq + 1, "truncated", f"entry {span} removed from the tail"))
    elif head.seq < last_seq:
        problems.append(Problem(head.seq + 1, "head", f"entries after {head.seq} bypassed the log"))
    elif head.hash != last_hash:
        problems.append(Problem(last_seq, "head", "the head records another hash for this entry"))
    elif rows and head.at is not None and head.at != rows[-1].at:
        problems.append(Problem(last_seq, "head", "the head records another time for this entry"))
    if public is not None and head.seq > 0:
        problems.extend(_signature_problems(head, public))
    return problems


def _signature_problems(head: Head, public: Ed25519PublicKey) -> list[Problem]:
    if head.signature is None:
        return [Problem(0, "signature", "the head is not signed")]
    try:
        public.verify(bytes.fromhex(head.signature), head_message(head.seq, head.hash, head.at))
    except (InvalidSignature, ValueError):
        return [
            Problem(head.seq, "signature", "the head's signature does not match it (rewound or rewritten)")
        ]
    return []


def _checkpoint_problems(stored: dict[int, AuditEntry], checkpoints: Sequence[Checkpoint]) -> list[Problem]:
    problems: list[Problem] = []
    last_seq = max(stored, default=0)
    for cp in checkpoints:
        entry = stored.get(cp.seq)
        if cp.seq > last_seq:
            problems.append(
                Problem(
                    cp.seq,
                    "truncated",
                    f"the chain ends at {last_seq}: the checkpoint of {cp.written} saw it",
                )
            )
        elif cp.seq and entry is None:
            problems.append(Problem(cp.seq, "rewritten", f"missing, though checkpointed at {cp.written}"))
        elif entry is not None and (entry.hash != cp.hash or (cp.at is not None and entry.at != cp.at)):
            problems.append(Problem(cp.seq, "rewritten", f"differs from the checkpoint of {cp.written}"))
    return problems


def _time_problems(rows: Sequence[AuditEntry]) -> list[Problem]:
    """Keyed logs' entries (those naming a worker): no entry is dated before the one it follows."""
    problems: list[Problem] = []
    for before, row in itertools.pairwise(rows):
        if before.seq == row.seq - 1 and None not in (before.worker, row.worker) and row.at < before.at:
            problems.append(
                Problem(row.seq, "time", f"dated {row.at}, before entry {before.seq} ({before.at})")
            )
    return problems


def _insertions(
    rows: Sequence[AuditEntry], pending: Sequence[PendingRow], key: bytes | None
) -> list[Problem]:
    """Rows no worker recorded: refused by a chainer (in the chain), or still pending."""
    problems = [
        Problem(
            row.seq, "inserted", f"a chainer refused a row no worker recorded ({row.outcome}): {row.subject}"
        )
        for row in rows
        if row.actor == SYSTEM and row.action == REFUSED
    ]
    if key is not None:
        problems.extend(
            Problem(0, "inserted", f"pending row {p.id} was not recorded by any worker (not chained yet)")
            for p in pending
            if not p.authentic(key)
        )
    return problems


def _suppressions(
    rows: Sequence[AuditEntry], pending: Sequence[PendingRow], key: bytes | None
) -> list[Problem]:
    """Numbers a worker vouched for (its tallies) that are neither in the chain nor pending."""
    present: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.worker is not None and row.counter is not None:
            present[row.worker].add(row.counter)
    for p in pending:
        if p.worker is not None and p.counter is not None and p.authentic(key):
            present[p.worker].add(p.counter)
    problems: list[Problem] = []
    for row in rows:
        if row.actor != SYSTEM or row.action != TALLY:
            continue
        tally = parse_tally(row.subject)
        if tally is None:
            problems.append(Problem(row.seq, "altered", "a tally that cannot be read"))
            continue
        missing = [n for n in tally.vouched() if n not in present[tally.worker]]
        if missing:
            problems.append(
                Problem(
                    row.seq,
                    "suppressed",
                    f"worker {tally.worker} recorded rows {_spans(missing)} that never reached the chain",
                )
            )
    return problems


def _spans(numbers: Iterable[int]) -> str:
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].rpartition("..")[2] == str(n - 1):
            out[-1] = f"{out[-1].partition('..')[0]}..{n}"
        else:
            out.append(str(n))
    return ", ".join(out)
