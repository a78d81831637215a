"""End-to-end issuance over HTTP: 32 concurrent headless kiosks against `kofu serve` processes.

Run from the project root: `.venv/bin/python bench/issuance.py [--quick]`. A demo-like deployment (a
generated village, the JPKI responder, Ōhira's municipal server and the center, each `kofu serve` with
worker processes sized to the cores, plain HTTP on loopback) is built in a temporary home; 32 kiosk
threads (spread over 4 kiosk processes, so one GIL does not cap them), each its own registered terminal
and its own card, run whole headless sessions (`run_session`:
PIN, menu, quote, cash, the document, print, confirm) for one 住民票 each, round after round.

In the same run, the documents floor (render + seal of one one-person 住民票, `bench/documents.py`) is
measured in this process, half before the servers start and half after they stop; its throughput on
the same cores is cores / floor seconds. Reported: certificates per second, floor throughput, their
ratio (goal >= 0.7), p50/p99 of the issuing step (the document fetch; goal p99 <= 1 s), the servers'
peak RSS (VmHWM of each server process and worker; goal <= 400 MB for each; the sum over every
party's processes and the peak summed PSS beside it), and where the CPU went.
The LAST line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

from kofu.chaos.deploy import (  # the deployment the production tests also use
    OHIRA,
    PIN,
    Layout,
    adult_residents,
    issue_cards,
    peak_rss_kib,
    prepare,
    register_terminals,
    running,
)
from kofu.procstat import cpu_seconds, descendants

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench")]

from documents import make_case, sample_floor  # noqa: E402  (bench/documents.py)

KIOSKS = 32
WARM_CARDS = 8  # extra cards for the untimed warm-up
# Bench residents come back every few seconds: the per-card limit (5 a minute) would refuse them.
CARD_RATE_CAPACITY = 10_000


class TimedClient(httpx.Client):
    """The kiosk's httpx client, timing the issuing step (POST /v1/orders/{id}/document).

    Every method of httpx.Client goes through `request`, so the timing does not depend on which one the
    kiosk's center client calls.
    """

    def __init__(self, timings: list[float], lock: threading.Lock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._timings, self._lock = timings, lock

    def request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        answer = super().request(method, url, **kwargs)
        if method == "POST" and str(url).endswith("/document"):
            with self._lock:
                self._timings.append(time.perf_counter() - started)
        return answer


PLAIN_HTTP = ssl.create_default_context()  # one context for every kiosk client: building one costs ~90 ms


def session(
    layout: Layout, terminal: str, card: Path, out: Path, timings: list[float], lock: threading.Lock
) -> str:
    """One whole headless kiosk session; its result code ("issued" on success)."""
    from kofu.kiosk.config import KioskConfig
    from kofu.kiosk.headless import HeadlessRequest, run_session

    config = KioskConfig(home=layout.home / "kiosks", terminal_id=terminal, center_url=layout.url("center"))
    request = HeadlessRequest(card=card, pin=PIN, municipality=OHIRA, kind="juminhyo", out=out)
    with TimedClient(timings, lock, base_url=config.center_url, timeout=60.0, verify=PLAIN_HTTP) as http:
        result = run_session(config, request, center_http=http)
    out.unlink(missing_ok=True)
    return result.code


@dataclass(frozen=True)
class Share:
    """One kiosk process's part of the load: its terminals and cards (one thread per terminal)."""

    layout: Layout
    terminals: tuple[str, ...]
    cards: tuple[Path, ...]
    rounds: int


@dataclass
class Done:
    """What one kiosk process measured."""

    timings: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0
    started: float = 0.0
    ended: float = 0.0


def kiosk_process(share: Share, ready: Any, go: Any, ticks: Any) -> Done:
    """Run in a kiosk process: import everything, say ready, wait for the start, run the threads."""
    from kofu.documents.info_read import info_entries  # noqa: F401  (qpdf, for the printer's binding check)
    from kofu.kiosk.headless import run_session  # noqa: F401  (imported before the clock starts)
    from kofu.logs import configure_logging

    configure_logging("WARNING", False)
    done = Done()
    lock = threading.Lock()
    outs = share.layout.home / "out"
    outs.mkdir(exist_ok=True)

    def kiosk(i: int) -> None:
        for r in range(share.rounds):
            out = outs / f"{share.terminals[i]}-{r}.pdf"
            code = session(share.layout, share.terminals[i], share.cards[i], out, done.timings, lock)
            with lock:
                done.codes[code] = done.codes.get(code, 0) + 1
            ticks.put(1)

    ready.put(1)
    go.wait()
    cpu0 = _own_cpu()
    done.started = time.time()
    with ThreadPoolExecutor(max_workers=len(share.terminals)) as pool:
        for future in [pool.submit(kiosk, i) for i in range(len(share.terminals))]:
            future.result()
    done.ended = time.time()
    done.cpu_s = _own_cpu() - cpu0
    return done


def load(
    layout: Layout,
    terminals: Sequence[str],
    cards: Sequence[Path],
    rounds: int,
    processes: int,
    console: Console,
    label: str,
) -> tuple[float, Done]:
    """Every kiosk runs `rounds` sessions back to back, all at once, spread over kiosk processes."""
    context = multiprocessing.get_context("spawn")
    shares = [
        Share(layout, tuple(terminals[i::processes]), tuple(cards[i::processes]), rounds)
        for i in range(processes)
        if terminals[i::processes]
    ]
    total = Done()
    with context.Manager() as manager, ProcessPoolExecutor(len(shares), mp_context=context) as pool:
        ready, go, ticks = manager.Queue(), manager.Event(), manager.Queue()
        futures = [pool.submit(kiosk_process, share, ready, go, ticks) for share in shares]
        for _ in shares:
            ready.get(timeout=120)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(label, total=len(terminals) * rounds)
            go.set()
            left = len(terminals) * rounds
            while left and not all(f.done() for f in futures):
                try:
                    ticks.get(timeout=0.5)
                except queue.Empty:
                    continue
                left -= 1
                progress.advance(task)
        parts = [f.result() for f in futures]
    for part in parts:
        total.timings += part.timings
        total.cpu_s += part.cpu_s
        for code, n in part.codes.items():
            total.codes[code] = total.codes.get(code, 0) + n
    elapsed = max(p.ended for p in parts) - min(p.started for p in parts)
    return elapsed, total


class MemorySampler:
    """The servers' summed PSS (shared pages counted once), sampled while the load runs; its peak."""

    def __init__(self, pids: Sequence[int], every_s: float = 0.25) -> None:
        self._pids, self._every = pids, every_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in descendants(self._pids):
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                total += next((int(x.split()[1]) for x in rollup.splitlines() if x.startswith("Pss:")), 0)
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self._every)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round per kiosk, a shorter floor")
    parser.add_argument("--rounds", type=int, default=None, help="sessions per kiosk (default 4; quick 1)")
    parser.add_argument(
        "--kiosk-processes", type=int, default=4, help="processes the 32 kiosk threads are spread over"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="worker processes per server"
    )
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 4)
    floor_n = 16 if args.quick else 40
    cores = os.cpu_count() or 2
    console = Console(stderr=True)
    from kofu.logs import configure_logging

    configure_logging("WARNING", False)  # the kiosks' per-session info lines would flood the progress
    with tempfile.TemporaryDirectory(prefix="kofu-bench-issuance-") as tmp:
        home = Path(tmp) / "home"
        with console.status("building the deployment (village, JPKI, cards, registers)…"):
            layout = prepare(home, persons=900, seed=5, tls=False)
            persons = adult_residents(layout, KIOSKS + WARM_CARDS)
            cards = issue_cards(layout, persons)
            terminals = [f"BENCH-{i:04d}" for i in range(KIOSKS)]
            register_terminals(layout, terminals)
            _register_municipality(layout)
            _raise_card_limit(layout)
        run, size = make_case(Path(tmp) / "floor-home")
        floor_cpu0 = time.process_time()
        floor_times = sample_floor(run, floor_n // 2, console, "documents floor (before the servers)")
        floor_cpu = time.process_time() - floor_cpu0
        with running(layout, workers=args.workers, access_log=False) as servers:
            # every worker imports pyHanko and parses its fonts on its first document: not in the timing
            load(layout, terminals[:WARM_CARDS], cards[KIOSKS:], 1, args.kiosk_processes, console, "warm-up")
            server_cpu0 = cpu_seconds(servers.pids())
            with MemorySampler(servers.pids()) as memory:
                elapsed, done = load(
                    layout,
                    terminals,
                    cards[:KIOSKS],
                    rounds,
                    args.kiosk_processes,
                    console,
                    f"{KIOSKS} kiosks x {rounds}",
                )
            server_cpu = cpu_seconds(servers.pids()) - server_cpu0
            timings, codes, kiosk_cpu = done.timings, done.codes, done.cpu_s
            per_party_cpu = {p: round(cpu_seconds([proc.pid]), 1) for p, proc in servers.procs.items()}
            rss = peak_rss_kib(servers.pids())
            rss_by_party = {
                party: sorted((round(v / 1024, 1) for v in peak_rss_kib([proc.pid]).values()), reverse=True)
                for party, proc in servers.procs.items()
            }
        floor_cpu0 = time.process_time()
        floor_times += sample_floor(run, floor_n - floor_n // 2, console, "documents floor (after)")
        floor_cpu += time.process_time() - floor_cpu0
    issued = codes.get("issued", 0)
    floor_s = statistics.median(floor_times) / 1000
    e2e = issued / elapsed
    floor_tp = cores / floor_s
    timings.sort()
    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
    rss_sum_mb = sum(rss.values()) / 1024
    floor_cpu_ms = floor_cpu / len(floor_times) * 1000
    server_ms = server_cpu / max(issued, 1) * 1000
    kiosk_ms = kiosk_cpu / max(issued, 1) * 1000
    rss_max_mb = max(rss.values(), default=0) / 1024
    console.print(f"results: {codes}  in {elapsed:.1f} s  ({e2e:.2f} certificates/s)")
    console.print(
        f"floor: {floor_s * 1000:.1f} ms → {floor_tp:.1f}/s on {cores} cores; ratio {e2e / floor_tp:.3f}"
    )
    console.print(f"issuing step: p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  (n={len(timings)})")
    console.print(f"CPU during the load: servers {server_cpu:.1f} s, kiosk processes {kiosk_cpu:.1f} s")
    pss_mb = memory.peak_kib / 1024
    console.print(
        f"peak RSS: largest process {rss_max_mb:.0f} MB; sum {rss_sum_mb:.0f} MB over {len(rss)}"
        f" processes; peak summed PSS {pss_mb:.0f} MB; {rss_by_party}"
    )
    result = {
        "kiosks": KIOSKS,
        "rounds": rounds,
        "kiosk_processes": args.kiosk_processes,
        "workers_per_server": args.workers,
        "cores": cores,
        "certificates": issued,
        "refused": {k: v for k, v in codes.items() if k != "issued"},
        "seconds": round(elapsed, 2),
        "certificates_per_s": round(e2e, 3),
        "floor_ms": round(floor_s * 1000, 2),
        "floor_per_s": round(floor_tp, 3),
        "ratio": round(e2e / floor_tp, 3),
        "issue_p50_ms": round(p50 * 1000, 1),
        "issue_p99_ms": round(p99 * 1000, 1),
        # the goal reads "the server's peak RSS": each server process (worker) is held to it; the sums
        # of every party's processes are reported beside it
        "server_peak_rss_mb": round(rss_max_mb, 1),
        "servers_peak_rss_sum_mb": round(rss_sum_mb, 1),
        "servers_peak_pss_sum_mb": round(pss_mb, 1),
        "server_peak_rss_by_party_mb": rss_by_party,  # every process of each party, largest first
        "server_processes": len(rss),
        "cpu_s_servers": round(server_cpu, 1),
        "cpu_s_kiosks": round(kiosk_cpu, 1),
        "cpu_s_by_party_total": per_party_cpu,
        # CPU per certificate: what the ratio would be on cores of our own (the machine is shared)
        "floor_cpu_ms": round(floor_cpu_ms, 2),
        "server_cpu_ms_per_certificate": round(server_ms, 1),
        "kiosk_cpu_ms_per_certificate": round(kiosk_ms, 1),
        "ratio_cpu_servers_and_kiosks": round(floor_cpu_ms / (server_ms + kiosk_ms), 3),
        "ratio_cpu_servers_only": round(floor_cpu_ms / server_ms, 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "pdf_bytes": size,
        "goal_ratio_met": e2e / floor_tp >= 0.7,
        "goal_p99_met": p99 <= 1.0,
        "goal_rss_met": rss_max_mb <= 400,
        "goal_rss_met_by_sum_of_all_processes": rss_sum_mb <= 400,
    }
    print(json.dumps(result, ensure_ascii=False))


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _raise_card_limit(layout: Layout) -> None:
    """The center's settings file, with the per-card limit raised for residents who come back at once."""
    path = layout.config("center")
    text = path.read_text(encoding="utf-8")
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert headers[-1:] == ["[center]"], headers  # appended lines land in the [center] table
    path.write_text(text.rstrip("\n") + f"\ncard_rate_capacity = {CARD_RATE_CAPACITY}\n", encoding="utf-8")


def _register_municipality(layout: Layout) -> None:
    from datetime import UTC, datetime

    from kofu.center.registers import add_municipality
    from kofu.db import make_engine, session_factory, transaction

    engine = make_engine(layout.db("center"))
    try:
        with transaction(session_factory(engine)) as session:
            add_municipality(
                session,
                code=OHIRA,
                name_ja="大衡村",
                name_en="Ohira",
                base_url=layout.url("municipal"),
                now=datetime.now(UTC),
            )
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
