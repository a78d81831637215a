"""The kiosk's server-side store: one small file per record under `$KOFU_HOME/kiosk/<terminal>/`.

Why files and not a database: a terminal serves one person at a time, so its whole state is one session
record and a few device records. A file can be wiped entirely at the end of a session (INC-8, SEC-4),
whereas a database keeps deleted rows in free pages, journals and WAL files.

The person's record (`session`: the household's names, the choice, the order) is sealed with the
session's key (`kofu.kiosk.sealing`), held in this process's memory only and dropped when the session
ends: no copy of it on disk, older versions left by renames included, can be read after that, nor after
a power loss. So the kiosk is one process: a restarted one cannot read the session it lost and ends it
from the plain `recovery` record (identifiers only; see `KioskService`). The devices' records (cash,
tray, output, display) hold no personal data and stay plain: money must survive a crash.

Every request takes the terminal's lock, reads the records, and writes them back atomically (temp file,
rename), owner-only. Records that hold money or an order are fsynced before the rename (durable); a
screen, a language or a tray count is not: a crash that loses one loses a tap, never cash or an order.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from kofu.kiosk.sealing import SessionKey
from kofu.private import private_dir, shred, write_private

M = TypeVar("M", bound=BaseModel)

SEALED: frozenset[str] = frozenset({"session"})  # the records that hold a person's data


class KioskStore:
    """Named records of one terminal, each a file, under one lock; the person's records sealed."""

    def __init__(self, root: Path, *, sealed: frozenset[str] = SEALED) -> None:
        self.root = private_dir(root)
        self.sealed = sealed
        self.key = SessionKey()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access to the terminal's records for one request (threads and processes alike)."""
        with _lock_file(self.root / ".lock") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def sole_process(self) -> Iterator[None]:
        """While inside, no other process serves this terminal: the session's key is in one memory only."""
        with _lock_file(self.root / ".process") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(
                    f"another process already serves the kiosk of {self.root}: a kiosk runs as one process"
                ) from None
            yield

    def begin_session(self) -> None:
        """A person's session starts: a new key seals their records from now on."""
        for name in self.sealed:  # nothing of an earlier session may stay under the new key's name
            self.wipe(name)
        self.key.begin()

    def end_session(self) -> None:
        """The session ends: its records wiped and its key dropped (whatever copy is left is noise)."""
        for name in self.sealed:
            self.wipe(name)
        self.key.drop()

    def read(self, name: str, model: type[M]) -> M | None:
        """The record, or None when absent; a damaged record (or one sealed by a key no longer held) is
        wiped and treated as absent."""
        path = self._path(name)
        try:
            stored = path.read_bytes()
        except FileNotFoundError:
            return None
        raw = self.key.open(stored, name) if name in self.sealed else stored
        try:
            if raw is not None:
                return model.model_validate_json(raw)
        except ValidationError:
            pass
        self.wipe(name)
        return None

    def write(self, name: str, record: BaseModel, *, durable: bool = True) -> None:
        """Replace the record atomically (owner-only file); `durable`: on disk before this returns."""
        data = record.model_dump_json().encode()
        if name in self.sealed:
            data = self.key.seal(data, name)
        write_private(self._path(name), data, durable=durable)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def wipe(self, name: str) -> None:
        """Overwrite the record with zeros, then unlink it."""
        path = self._path(name)
        shred(path)
        shred(path.with_suffix(".tmp"))

    def names(self) -> list[str]:
        """The records present (for tests and for the wipe check)."""
        return sorted(p.stem for p in self.root.glob("*.json"))

    def _path(self, name: str) -> Path:
        if not name.isidentifier():
            raise ValueError(f"bad record name {name!r}")
        return self.root / f"{name}.json"


def _lock_file(path: Path) -> IO[bytes]:
    """The lock file, opened (made owner-only when new)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "r+b")
