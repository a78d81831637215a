"""`kofu bench chaos` end to end: deploy, cast, plan, run the phases with faults, recover, judge, figure.

The deployment is fresh and its own: new databases (PostgreSQL: `kofu_chaos_*` databases created next to
the one the URL names, dropped at the end; SQLite: files in a temporary home), a generated village,
real JPKI cards, and `kofu serve` for the JPKI responder, the municipal server and the center (two
workers each for the last two), with the delay proxy in front of the municipal server. Each phase
steps the servers' wall clock forward (`kofu.chaos.clock`), never backwards, without restarting them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from kofu.chaos.audit_check import judge_audit
from kofu.chaos.cast import Cast, choose_cast
from kofu.chaos.checks import content_at_rest, judge_hours, judge_ledger, needles
from kofu.chaos.clock import build_library, clock_env, set_offset
from kofu.chaos.faults import Outage, cpu_seconds, postgres_cpu_seconds, proxy_delayed, wait_workers
from kofu.chaos.kiosk import Result, Site, Task
from kofu.chaos.plan import CHANGES, FAULT_EVERY, Plan, Visit, make_plan, storm_day
from kofu.chaos.stack import Stack, free_port, scratch_databases
from kofu.chaos.storm import KioskProcesses, Share
from kofu.chaos.timeline import Timeline
from kofu.private import open_private, private_dir

INVARIANTS = (
    "wrong_person",
    "mixed_pages",
    "stale",
    "charged_without_print",
    "print_without_one_charge",
    "stuck_orders",
    "content_at_rest",
)
# Also checked, and also must be 0: the clock rules, duplicates, and the bench itself.
ALSO_ZERO = (
    "hours_wrong",
    "second_documents",
    "duplicates_mishandled",
    "bench_errors",
    "audit_problems",  # kofu audit verify on the center's and the municipal server's chains
    "unaudited_charges",  # kofu audit reconcile: a charge without its decisions (render included)
)
PG_ENV = "KOFU_TEST_DATABASE_URL"
MAX_CHANGES = 60  # each takes a whole household (and register) out of the other pools


@dataclass(frozen=True)
class Options:
    kiosks: int = 64
    issuances: int = 20_000
    backend: Literal["postgresql", "sqlite"] = "postgresql"
    database_url: str | None = None  # PostgreSQL: where to create the chaos databases
    seed: int = 7
    # 8 on 2 cores: 64 kiosks in 4 processes queued on each one's GIL (7.04/s, 96 municipal time-outs
    # in 3,000 visits); 8 gave 7.27/s and 17, 16 no more throughput at 215 MB a process
    kiosk_processes: int = 8
    persons: int = 1000
    municipal_timeout_s: float = 15.0
    terminals_per_kiosk: int = 3
    workdir: Path | None = None


@dataclass
class Progress:
    """What the caller shows while the storm runs (all optional)."""

    status: Callable[[str], None] = lambda _text: None
    start: Callable[[int], None] = lambda _total: None
    tick: Callable[[], None] = lambda: None


@dataclass
class Run:
    figure: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few cases per failed invariant

    @property
    def failed(self) -> list[str]:
        return [k for k in (*INVARIANTS, *ALSO_ZERO) if self.figure.get(k)]


def admin_url(options: Options) -> str:
    """The PostgreSQL server the chaos databases are created on ('' when none is named)."""
    return options.database_url or os.environ.get(PG_ENV, "")


@contextlib.contextmanager
def databases(options: Options, home: Path) -> Iterator[dict[str, str]]:
    """Four fresh databases (registry, municipal, center, jpki); PostgreSQL ones dropped at the end."""
    names = ("registry", "municipal", "center", "jpki")
    if options.backend == "sqlite":
        (home / "db").mkdir(parents=True, exist_ok=True)
        yield {name: f"sqlite:///{home / 'db' / f'{name}.db'}" for name in names}
        return
    server = admin_url(options)
    if not server:
        raise ValueError(f"PostgreSQL needs --database-url or {PG_ENV}")
    with scratch_databases(server, names, "kofu_chaos") as urls:
        yield urls


def _task(visit: Visit, cast: Cast, cards: dict[str, Path]) -> Task:
    if visit.pool == "pairs":
        requester, other = cast.pairs[visit.slot]
        persons: tuple[str, ...] = (requester, other)
    else:
        requester = getattr(cast, visit.pool)[visit.slot]
        persons = (requester,) if visit.kind == "self" else ()
    option = "whole" if visit.kind == "koseki" else None
    household = cast.households.get(requester, (requester,)) if visit.pool == "changes" else ()
    return Task(visit, requester, cards[requester], persons, option, household)


class _Proxy:
    """The delay proxy process in front of the municipal server."""

    def __init__(self, home: Path, upstream: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open_private(home / "logs" / "proxy.log", append=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kofu.chaos.proxy", "--port", str(self.port), "--upstream", upstream],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/_chaos/stats", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the delay proxy did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def run_chaos(options: Options, progress: Progress | None = None) -> Run:
    """The whole benchmark; the figure (and examples of what failed)."""
    progress = progress or Progress()
    began = time.monotonic()
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)  # a folder the operator named, made if new
    root = Path(tempfile.mkdtemp(prefix="kofu-chaos-", dir=options.workdir))
    home = root / "home"
    private_dir(home / "logs")
    try:
        with databases(options, home) as urls:
            return _run(options, progress, root, home, urls, began)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _prepare(
    options: Options, progress: Progress, root: Path, stack: Stack
) -> tuple[Cast, Plan, dict[str, Path]]:
    from kofu.chaos.stack import make_document_keys
    from kofu.jpki.authority import init_authorities
    from kofu.rules.calendar import is_office_day, today_jst

    progress.status("keys, village, every party's tables")
    init_authorities(root / "keys" / "jpki")
    stack.prepare(root / "keys" / "jpki", make_document_keys(root / "keys-documents"))
    changes = min(MAX_CHANGES, max(len(CHANGES), options.issuances // FAULT_EVERY["change"]))
    cast = choose_cast(stack.registry_sessions(), changes=changes, requesters=max(48, 3 * options.kiosks))
    plan = make_plan(
        kiosks=options.kiosks,
        issuances=options.issuances,
        seed=options.seed,
        day=storm_day(today_jst(datetime.now(UTC)), is_office_day),
        pool_sizes=cast.sizes(),
    )
    requesters = cast.requesters()
    progress.status(f"issuing {len(requesters)} JPKI cards")
    cards = {pid: stack.card(pid).path for pid in requesters}
    return cast, plan, cards


def _run(
    options: Options, progress: Progress, root: Path, home: Path, urls: dict[str, str], began: float
) -> Run:
    from kofu.rules.rulebook import load_rulebook

    kiosk_ids = [
        tuple(f"CH-{k:03d}-{j}" for j in range(options.terminals_per_kiosk)) for k in range(options.kiosks)
    ]
    stack = Stack(
        options.backend,
        home,
        urls["registry"],
        urls["center"],
        urls["jpki"],
        municipal_db_url=urls["municipal"],
        cards_folder=root / "cards",
        access_log=False,
        persons=options.persons,
        terminals=tuple(t for ts in kiosk_ids for t in ts),
        clock_library=build_library(root / "clock"),
        clock_file=root / "clock" / "offset",
    )
    results: list[Result] = []
    offsets: dict[str, int] = {}
    storm_s = 0.0
    restarts_missing = 0
    recovered = 0
    cpu: dict[str, float] = {}
    cpu_timeline: list[dict[str, Any]] = []
    timeline: Timeline | None = None
    phase_seconds: dict[str, float] = {}
    proxy: _Proxy | None = None
    delayed = 0
    stages: dict[str, float] = {}
    mark = time.monotonic()

    def stage(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        stages[name] = round(stages.get(name, 0.0) + now - mark, 1)
        mark = now

    stack_of_processes = contextlib.ExitStack()
    try:
        cast, plan, cards = _prepare(options, progress, root, stack)
        stage("prepare")
        tasks = [_task(v, cast, cards) for v in plan.visits]
        ports = {"jpki": free_port(), "municipal": free_port(), "center": free_port()}
        proxy = _Proxy(home, f"http://127.0.0.1:{ports['municipal']}")
        outage = _outage(options, urls, home)
        papers = root / "papers"
        papers.mkdir()
        progress.start(len(tasks))
        startup_s: float | None = None
        rate = 5.0  # visits a second the kiosks keep up with (measured in the open phase)
        clock_file = stack.clock_file
        assert clock_file is not None
        set_offset(clock_file, 0)
        progress.status("starting the servers")
        pg_cpu0 = postgres_cpu_seconds() if options.backend == "postgresql" else None
        kiosk_processes = stack_of_processes.enter_context(
            KioskProcesses(max(1, min(options.kiosk_processes, options.kiosks)))
        )
        stack.start_parties(
            "ohira", municipal_timeout=options.municipal_timeout_s, municipal_front=proxy.url, ports=ports
        )
        supervisors = {name: stack.servers[name].process.pid for name in ("center", "municipal")}
        stage("server_starts")
        visits_done = [0]

        def tick() -> None:
            visits_done[0] += 1
            progress.tick()

        def parties() -> dict[str, float]:
            spent = {name: cpu_seconds(server.process.pid) for name, server in stack.servers.items()}
            spent["kiosks_and_paper_judge"] = sum(cpu_seconds(pid) for pid in kiosk_processes.pids())
            pg = postgres_cpu_seconds() if pg_cpu0 is not None else None
            if pg is not None:
                spent["postgresql"] = pg
            return spent

        timeline = Timeline(parties, lambda: visits_done[0]).start()
        for phase in plan.phases:
            todo = [t for t in tasks if t.visit.phase == phase.name]
            if not todo:
                continue
            begin = time.time()
            if phase.edge is None:  # the servers' clock shows the phase's start now
                offset = round(phase.start.timestamp() - begin)
            else:  # the visits spread evenly around the edge, which falls once the kiosks are up
                spread = max(6.0, len(todo) / rate)
                real_edge = begin + (startup_s or 5.0) + 2.0 + spread / 2
                offset = round(phase.edge.timestamp() - real_edge)
                todo = [
                    replace(t, not_before=real_edge - spread / 2 + spread * i / len(todo))
                    for i, t in enumerate(todo)
                ]
            set_offset(clock_file, offset)  # the servers' clock steps forward (never back)
            offsets[phase.name] = offset
            progress.status(
                f"phase {phase.name}: {len(todo)} visits from {phase.start:%Y-%m-%d %H:%M:%S} JST"
            )
            shares = _shares(options, stack, home, papers, supervisors, proxy.url, outage, todo, kiosk_ids)
            done = kiosk_processes.run(shares, tick)
            results += done
            if done:
                first_start = min(r.started for r in done)
                last_end = max(r.ended for r in done)
                storm_s += last_end - first_start
                phase_seconds[phase.name] = round(last_end - first_start, 1)
                if startup_s is None:
                    startup_s = max(0.0, first_start - begin)
                if phase.edge is None and last_end > first_start:
                    rate = max(0.5, len(done) / (last_end - first_start))
            for pid in supervisors.values():  # uvicorn's supervisor replaced every killed worker
                restarts_missing += 0 if wait_workers(pid, 2, timeout=30) else 1
            stage("phases")
        cpu_timeline = timeline.stop()
        delayed = proxy_delayed(proxy.url)
        cpu = {name: round(cpu_seconds(server.process.pid), 1) for name, server in stack.servers.items()}
        cpu["proxy"] = round(cpu_seconds(proxy.process.pid), 1)
        cpu["kiosks_and_paper_judge"] = round(kiosk_processes.cpu_s, 1)
        pg_cpu = postgres_cpu_seconds() if pg_cpu0 is not None else None
        if pg_cpu0 is not None and pg_cpu is not None:  # the database shares the cores when it is local
            cpu["postgresql"] = round(pg_cpu - pg_cpu0, 1)
        stack.stop_all()
        progress.status("recovery of stale orders (kofu center recover)")
        set_offset(clock_file, max(offsets.values()) + 17 * 60)  # past every order by the stale age
        recovered = _recover(stack)
        stage("recovery")
    finally:
        if timeline is not None:
            timeline.stop()
        stack_of_processes.close()
        stack.stop_all()
        if proxy is not None:
            proxy.stop()
    progress.status("judging the ledger, the hours, and what is left at rest")
    run = _judge(options, stack, root, home, urls, results, offsets, load_rulebook("ohira"))
    stack.dispose()
    stage("judge")
    figure = run.figure
    faults = _faults(
        results, delayed, sum(1 for p in plan.phases if p.edge is not None and plan.of_phase(p.name))
    )
    figure.update(
        {
            "issued": sum(1 for r in results if r.code == "issued"),
            "refused": sum(1 for r in results if r.code != "issued"),
            "faults_injected": sum(faults.values()),
            "certificates_per_s": round(
                sum(1 for r in results if r.code == "issued") / max(storm_s, 1e-9), 2
            ),
            "database": options.backend,
            "kiosks": options.kiosks,
            "visits": len(results),
            "seconds": round(time.monotonic() - began, 1),
            "storm_seconds": round(storm_s, 1),
            "faults": faults,
            "faults_planned": plan.faults(),
            "workers_not_restarted": restarts_missing,
            "recovered_by_recovery": recovered,
            "refusals": _refusals(results),
            "fault_outcomes": _fault_outcomes(results),
            "phases": {
                p.name: {
                    "visits": sum(1 for r in results if r.phase == p.name),
                    "issued": sum(1 for r in results if r.phase == p.name and r.code == "issued"),
                    "seconds": phase_seconds.get(p.name, 0.0),
                }
                for p in plan.phases
            },
            "stage_seconds": stages,
            "cpu_seconds": cpu,
            "cpu_timeline": cpu_timeline,  # CPU ms a visit by party, each minute: a cost that grows shows
            "cpu_ms_per_certificate": round(
                1000 * sum(cpu.values()) / max(1, sum(1 for r in results if r.code == "issued"))
            ),
        }
    )
    return run


def _outage(options: Options, urls: dict[str, str], home: Path) -> Outage:
    if options.backend == "sqlite":
        files = tuple(str(home / "db" / f"{name}.db") for name in ("center", "municipal"))
        return Outage("sqlite", None, files)
    from sqlalchemy.engine import make_url

    from kofu.db import normalise_url

    admin = normalise_url(options.database_url or os.environ.get(PG_ENV, ""))
    names = tuple(str(make_url(url).database) for url in urls.values())
    return Outage("postgresql", admin, names)


def _shares(
    options: Options,
    stack: Stack,
    home: Path,
    papers: Path,
    supervisors: dict[str, int],
    proxy_url: str,
    outage: Outage,
    todo: list[Task],
    kiosk_ids: list[tuple[str, ...]],
) -> list[Share]:
    processes = max(1, min(options.kiosk_processes, options.kiosks))
    site = Site(
        center_url=stack.servers["center"].url,
        kiosk_home=home / "kiosks",
        papers=papers,
        registry_url=stack.registry_url,
        supervisors=supervisors,
        proxy_url=proxy_url,
        slow_s=options.municipal_timeout_s + 5.0,
        outage=outage,
    )
    return [
        Share(
            site=site,
            tasks=tuple(t for t in todo if t.visit.kiosk % processes == p),
            terminals=tuple(kiosk_ids[k] for k in range(p, options.kiosks, processes)),
        )
        for p in range(processes)
    ]


def _recover(stack: Stack) -> int:
    """`kofu center recover` on the servers' clock (set past every phase's orders: each stale one is old)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOFU_")}
    env["KOFU_HOME"] = str(stack.home)
    env.update(clock_env(stack.clock_library, stack.clock_file))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kofu",
            "--config",
            str(stack.home / "config" / "center.toml"),
            "center",
            "recover",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    said = [line for line in done.stdout.splitlines() if line.endswith("stale orders voided")]
    return int(said[-1].split()[0]) if said else 0


def _faults(results: list[Result], delayed: int, edges: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for result in results:
        if result.fault is not None and result.injected is not None and result.fault != "slow_render":
            key = "duplicate" if result.fault == "duplicate" else result.fault
            found[key] = found.get(key, 0) + 1
    found["slow_render"] = delayed  # as the proxy really held them back
    found["clock_edge"] = edges
    return dict(sorted(found.items()))


def _fault_outcomes(results: list[Result]) -> dict[str, dict[str, int]]:
    """How the visits of each fault (and variant) ended."""
    found: dict[str, dict[str, int]] = {}
    for result in results:
        if result.fault is None:
            continue
        name = result.fault + (f":{result.variant}" if result.variant else "")
        if result.injected is None:
            name += " (not injected)"
        code = "bench_error" if result.code.startswith("bench_error") else result.code
        found.setdefault(name, {})
        found[name][code] = found[name].get(code, 0) + 1
    return dict(sorted(found.items()))


def _refusals(results: list[Result]) -> dict[str, int]:
    found: dict[str, int] = {}
    for result in results:
        if result.code != "issued":
            code = "bench_error" if result.code.startswith("bench_error") else result.code
            found[code] = found.get(code, 0) + 1
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def _judge(
    options: Options,
    stack: Stack,
    root: Path,
    home: Path,
    urls: dict[str, str],
    results: list[Result],
    offsets: dict[str, int],
    rulebook: Any,
) -> Run:
    run = Run()
    examples = run.examples
    papers: dict[str, int] = {"wrong_person": 0, "mixed_pages": 0, "stale": 0}
    for result in results:
        for key in {k for k, _ in result.problems} & papers.keys():
            papers[key] += 1
            examples.setdefault(key, []).append(f"visit {result.index} ({result.kind}): {result.problems}")
    ledger = judge_ledger(stack.center_sessions(), results)
    hours = [(r, judge_hours(r, offsets.get(r.phase, 0), rulebook)) for r in results]
    hours_wrong = [f"visit {r.index} {r.phase} {r.kind}: {why}" for r, why in hours if why]
    named = {pid for r in results for pid in r.named}
    texts = needles(stack.registry_sessions(), named)
    pg = {k: urls[k] for k in ("center", "municipal")} if options.backend == "postgresql" else {}
    at_rest = content_at_rest(home, texts, pg, root / "scratch")
    bench_errors = [f"visit {r.index}: {r.code}" for r in results if r.code.startswith("bench_error")]
    mishandled = [f"visit {r.index}: {m}" for r in results for m in r.mishandled]
    second = sum(r.extra_documents for r in results)
    shared = (stack.municipal_db_url or stack.registry_url) == stack.center_url  # then one chain
    municipal = None if shared else stack.municipal_sessions()
    audit_problems, unaudited = judge_audit(home, stack.center_sessions(), municipal)
    for key, cases in (
        ("charged_without_print", ledger.charged_without_print),
        ("print_without_one_charge", ledger.print_without_one_charge),
        ("stuck_orders", ledger.stuck_orders),
        ("content_at_rest", [f"{where}: {how}" for where, how in at_rest.items()]),
        ("hours_wrong", hours_wrong),
        ("duplicates_mishandled", mishandled),
        ("bench_errors", bench_errors),
        ("printed_number_not_registered", ledger.number_not_registered),
        ("audit_problems", audit_problems),
        ("unaudited_charges", unaudited),
    ):
        if cases:
            examples[key] = list(cases)
    for key in list(examples):
        examples[key] = examples[key][:5]
    run.figure = {
        **papers,
        "charged_without_print": len(ledger.charged_without_print),
        "print_without_one_charge": len(ledger.print_without_one_charge),
        "stuck_orders": len(ledger.stuck_orders),
        "content_at_rest": len(at_rest),
        "hours_wrong": len(hours_wrong),
        "second_documents": second,
        "duplicates_mishandled": len(mishandled),
        "bench_errors": len(bench_errors),
        "printed_number_not_registered": len(ledger.number_not_registered),
        "audit_problems": len(audit_problems),
        "unaudited_charges": len(unaudited),
        "orders": ledger.orders,
        "charges": ledger.charges,
        "voided_with_cash_returned": ledger.cash_returned_orders,
        "documents_judged": sum(1 for r in results if r.pages),
        "pages_judged": sum(r.pages for r in results),
        "content_needles": len(texts),
    }
    return run
