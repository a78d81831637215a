"""The kiosk's server-side store: one small JSON file per record under `$KOFU_HOME/kiosk/<terminal>/`.

Why files and not a database: a terminal serves one person at a time, so its whole state is one session
record and a few device records. A file can be wiped entirely (overwritten, then unlinked) at the end of
a session (INC-8, SEC-4), whereas a database keeps deleted rows in free pages, journals and WAL files.
Nothing is kept in process memory between requests: every request takes the terminal's lock, reads the
records, and writes them back atomically (temp file, rename), so any worker can serve any request.
Records that hold money or an order are fsynced before the rename (durable); a screen, a language or a
tray count is not: a crash that loses one loses a tap, never cash or an order to void.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class KioskStore:
    """Named records of one terminal, each a JSON file, under one lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access to the terminal's records for one request (threads and processes alike)."""
        with (self.root / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read(self, name: str, model: type[M]) -> M | None:
        """The record, or None when absent; a damaged record is wiped and treated as absent."""
        path = self._path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return model.model_validate_json(raw)
        except ValidationError:
            self.wipe(name)
            return None

    def write(self, name: str, record: BaseModel, *, durable: bool = True) -> None:
        """Replace the record atomically (owner-only file); `durable`: on disk before this returns."""
        path = self._path(name)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(record.model_dump_json().encode())
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)

    def wipe(self, name: str) -> None:
        """Overwrite the record with zeros, then unlink it: nothing of it is left to read."""
        path = self._path(name)
        _shred(path)
        _shred(path.with_suffix(".tmp"))

    def names(self) -> list[str]:
        """The records present (for tests and for the wipe check)."""
        return sorted(p.stem for p in self.root.glob("*.json"))

    def _path(self, name: str) -> Path:
        if not name.isidentifier():
            raise ValueError(f"bad record name {name!r}")
        return self.root / f"{name}.json"


def _shred(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with path.open("r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
