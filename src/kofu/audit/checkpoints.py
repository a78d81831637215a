"""Checkpoints of audit chains, kept outside the database: one signed JSON line per checkpoint.

`kofu audit checkpoint` appends the chain's head (log name, seq, hash, the last entry's time, when it
was written) to a file, signed with the home's head key and linked to the line before it (`prev`: the
SHA-256 of that line), so a line edited, removed or put in between is named. `kofu audit verify` then
holds the chain to every checkpoint of its log: shorter than one (truncated), another hash at its seq
(rewritten). Whoever can write the database cannot reach this file; keep it on other storage (another
machine, a WORM volume, `chattr +a`) so an administrator of this one cannot either.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kofu.audit.entry import GENESIS
from kofu.audit.verifier import Checkpoint, Problem

DEFAULT_LOG = "center"


def default_path(home: Path) -> Path:
    """Where checkpoints go unless told: `audit/checkpoints.jsonl` under the home (better elsewhere)."""
    return home / "audit" / "checkpoints.jsonl"


def _signed_bytes(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _line_digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def append_checkpoint(path: Path, checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """Append `checkpoint` to `path` (created 0600 in a 0700 folder), signed and linked; the line."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # two writers at once: each line links to the one before it
        fh.seek(0)
        lines = [line for line in fh.read().splitlines() if line.strip()]
        fields: dict[str, object] = {
            "log": checkpoint.log,
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "at": checkpoint.at,
            "written": checkpoint.written,
            "prev": _line_digest(lines[-1]) if lines else GENESIS,
        }
        fields["sig"] = key.sign(_signed_bytes(fields)).hex()
        line = _signed_bytes(fields)
        fh.write(line + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    return line.decode()


def read_checkpoints(
    path: Path, public: Ed25519PublicKey | None, log: str
) -> tuple[list[Checkpoint], list[Problem]]:
    """The checkpoints of `log` in `path`, and each fault of the file (a line altered, removed, added).

    Without `public` no line can be trusted: every line is then a problem.
    """
    if not path.exists():
        return [], []
    found: list[Checkpoint] = []
    problems: list[Problem] = []
    prev = GENESIS
    for number, line in enumerate((raw for raw in path.read_bytes().splitlines() if raw.strip()), start=1):
        where = f"{path.name} line {number}"
        checkpoint, fault = _parse(line, public, prev)
        prev = _line_digest(line)
        if fault is not None:
            problems.append(Problem(0, "checkpoint", f"{where}: {fault}"))
        if checkpoint is not None and checkpoint.log == log:
            found.append(checkpoint)
    return found, problems


def _parse(line: bytes, public: Ed25519PublicKey | None, prev: str) -> tuple[Checkpoint | None, str | None]:
    try:
        fields = json.loads(line)
        signature = bytes.fromhex(str(fields.pop("sig")))
        checkpoint = Checkpoint(
            str(fields["log"]),
            int(fields["seq"]),
            str(fields["hash"]),
            None if fields["at"] is None else str(fields["at"]),
            str(fields["written"]),
        )
        linked = fields["prev"] == prev
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, "not a checkpoint line"
    if public is None:
        return None, "no head public key to check it with (keys/audit/head.pub)"
    try:
        public.verify(signature, _signed_bytes(fields))
    except InvalidSignature:
        return None, "its signature does not match (the line was altered)"
    if not linked:
        return checkpoint, "does not follow the line before it (a line was removed or put in between)"
    return checkpoint, None
