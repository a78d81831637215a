"""Running the storm: kiosk threads spread over kiosk processes (one GIL does not cap them), per phase.

Each kiosk process gets its share of the phase's visits in a queue and one thread per kiosk; each
kiosk has terminals of its own (used in turn, so the per-terminal rate limit is never the bottleneck),
and every visit ends in a small `Result`. Progress is a tick per visit on a manager queue.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from kofu.chaos.kiosk import Context, Result, Site, Task, run_visit


@dataclass(frozen=True)
class Share:
    """One kiosk process's part of a phase."""

    site: Site
    tasks: tuple[Task, ...]
    terminals: tuple[tuple[str, ...], ...]  # one tuple per kiosk thread


def cpu_s() -> float:
    """CPU seconds of this process and its reaped children (pdftotext) so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def kiosk_process(share: Share, ticks: Any) -> tuple[list[Result], float]:
    """In a kiosk process: run the share's visits on its kiosk threads; their results and CPU seconds."""
    from kofu.logs import configure_logging

    cpu0 = cpu_s()

    configure_logging("WARNING", False)
    ctx = Context(share.site)
    ctx.current_registry()
    work: queue.SimpleQueue[Task] = queue.SimpleQueue()
    for task in share.tasks:
        work.put(task)
    results: list[Result] = []
    lock = threading.Lock()

    def kiosk(n: int) -> None:
        terminals = share.terminals[n]
        turn = 0
        while True:
            try:
                task = work.get_nowait()
            except queue.Empty:
                return
            wait = task.not_before - time.time()
            if wait > 0:  # a visit scheduled around a clock edge
                time.sleep(wait)
            result = run_visit(ctx, task, terminals[turn % len(terminals)], turn + n)
            turn += 1
            with lock:
                results.append(result)
            ticks.put(1)

    threads = [threading.Thread(target=kiosk, args=(n,), daemon=True) for n in range(len(share.terminals))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, cpu_s() - cpu0


def _warm() -> None:
    """Imported once in each kiosk process while the servers start (spawned processes begin empty)."""
    import kofu.chaos.kiosk  # noqa: F401


class KioskProcesses:
    """The kiosk processes, spawned once and kept for every phase (as a context manager)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.cpu_s = 0.0  # the kiosks' and the paper judge's CPU, summed over the phases
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> KioskProcesses:
        context = get_context("spawn")
        manager = self._stack.enter_context(context.Manager())
        self.pool = self._stack.enter_context(ProcessPoolExecutor(self.processes, mp_context=context))
        self.ticks = manager.Queue()
        self.warming = [self.pool.submit(_warm) for _ in range(self.processes)]
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def pids(self) -> list[int]:
        """The kiosk processes now (the executor's own table: the standard library has no public one)."""
        return list(getattr(self.pool, "_processes", None) or {})

    def run(self, shares: Sequence[Share], on_tick: Callable[[], None]) -> list[Result]:
        """Run every share at once, one per process; all their results."""
        for future in self.warming:
            future.result()
        shares = [s for s in shares if s.tasks]
        total = sum(len(s.tasks) for s in shares)
        futures = [self.pool.submit(kiosk_process, share, self.ticks) for share in shares]
        seen = 0
        while seen < total and not all(f.done() for f in futures):
            try:
                self.ticks.get(timeout=0.5)
            except queue.Empty:
                continue
            seen += 1
            on_tick()
        done = [f.result() for f in futures]
        results = [r for part, _ in done for r in part]
        self.cpu_s += sum(cpu for _, cpu in done)
        while seen < total:  # ticks still queued when the last process ended
            try:
                self.ticks.get(timeout=1.0)
            except queue.Empty:
                break
            seen += 1
            on_tick()
        return results
