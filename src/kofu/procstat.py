"""Processes as Linux's `/proc/<pid>/stat` shows them: name, parent, state and CPU clock ticks.

The one reader of that file: the chaos bench (a server's CPU, PostgreSQL's CPU, a supervisor's workers)
and the issuance bench and production tests (a server with its workers) are built on `stats`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    """One process's line of `/proc/<pid>/stat`, the fields this project reads."""

    name: str
    state: str  # "R", "S", ..., "Z" (a zombie: exited, not yet reaped)
    ppid: int
    ticks: int  # utime + stime: its own CPU so far
    reaped_ticks: int  # cutime + cstime: the CPU of its children it has waited for


def clock_ticks() -> int:
    """Clock ticks per second, the unit of `ProcStat.ticks`."""
    return os.sysconf("SC_CLK_TCK")


def _parse(text: str) -> ProcStat:
    # the name is in parentheses and may itself hold ")" or spaces: the last ")" ends it
    head, rest = text.rsplit(")", 1)
    fields = rest.split()
    return ProcStat(
        name=head[head.index("(") + 1 :],
        state=fields[0],
        ppid=int(fields[1]),
        ticks=int(fields[11]) + int(fields[12]),
        reaped_ticks=int(fields[13]) + int(fields[14]),
    )


def stats(pids: Iterable[int] | None = None) -> dict[int, ProcStat]:
    """pid -> its stat, for `pids` (or every process); a process gone meanwhile is left out."""
    found: dict[int, ProcStat] = {}
    if pids is None:
        pids = (int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit())
    for pid in pids:
        try:
            text = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        found[pid] = _parse(text)
    return found


def children(pid: int) -> list[int]:
    """The live (not zombie) child processes of `pid`, in pid order."""
    return sorted(p for p, stat in stats().items() if stat.ppid == pid and stat.state != "Z")


def descendants(pids: Iterable[int]) -> list[int]:
    """`pids` themselves and every process below them (children, their children, ...)."""
    below: dict[int, list[int]] = {}
    for pid, stat in stats().items():
        below.setdefault(stat.ppid, []).append(pid)
    out: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(below.get(pid, []))
    return out


def cpu_seconds(pids: Iterable[int]) -> float:
    """utime + stime so far of processes and their live descendants."""
    return sum(stat.ticks for stat in stats(descendants(pids)).values()) / clock_ticks()
