"""Files and folders only kofu's user can read: 0600 files in 0700 folders, whatever the umask.

The home holds databases (the registry: 個人番号, 住民票コード), keys, the kiosk's store and spool, and
logs. Modes are set explicitly, not left to the umask, and tightened on files an earlier version left
readable. `shred` overwrites a file before unlinking it, for what must not outlive its use.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700
# For processes of kofu (`kofu …`): whatever they write is the owner's only, even where no mode is set.
UMASK = 0o077


def private_dir(path: Path, *, within: Path | None = None) -> Path:
    """Make `path` (and each missing folder above it) 0700; with `within`, also tighten every existing
    folder from `within` down to `path` (an earlier version may have left them 0755). Returns `path`."""
    make_private_dirs(path)
    if within is not None and path.is_relative_to(within):
        folder = within
        os.chmod(folder, DIR_MODE)
        for part in path.relative_to(within).parts:
            folder = folder / part
            os.chmod(folder, DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def make_private_dirs(path: Path) -> None:
    """Create `path` and each missing folder above it, 0700; folders that exist are left as they are."""
    missing = []
    probe = path
    while not probe.exists() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask


def private_file(path: Path) -> Path:
    """Create `path` empty if absent, and make it 0600 (also when an earlier version left it readable)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file 0600; nothing when it is absent."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)


def open_private(path: Path, *, append: bool = False) -> BinaryIO:
    """`path` opened for writing (truncated, or appended to), 0600, its missing folders 0700: a log."""
    make_private_dirs(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "ab" if append else "wb")


def write_private(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` atomically with `data` (temp file, rename), 0600; `durable`: on disk on return."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def shred(path: Path) -> None:
    """Overwrite the file with zeros, then unlink it; nothing when it is absent."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with path.open("r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink(missing_ok=True)
