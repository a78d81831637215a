"""Workers' numbers and tallies: a rolled-back or unsettled row is void, never a false `suppressed`; a
row that vanished on its way is named; tallies read back as written (T6)."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import T0, chain, event, fill, pending, reading
from hypothesis import given
from hypothesis import strategies as st

from kofu.audit import tally as tally_module
from kofu.audit.keys import load_audit_key, load_head_public
from kofu.audit.log import AuditLog, read_chain, read_pending
from kofu.audit.tally import Counter, Tally, parse_tally, split
from kofu.audit.verifier import Report, verify_chain
from kofu.db import make_engine, session_factory, transaction


def _verify(url: str, home: Path) -> Report:
    with reading(url) as session:
        entries, head = read_chain(session)
        rows = read_pending(session)
    key = load_audit_key(home)
    return verify_chain(entries, head, key, head_public=load_head_public(home), pending=rows)


def test_audit_counter_vouches_for_settled_numbers_only() -> None:
    counter = Counter()
    taken = [counter.take()[1] for _ in range(5)]
    assert taken == [1, 2, 3, 4, 5]
    w = counter.worker
    counter.settle(w, (1, 2), committed=True)
    counter.settle(w, (3,), committed=False)
    assert counter.due() == Tally(w, 1, 3, (3,))  # 4 and 5 still open: not vouched for yet
    counter.tallied(Tally(w, 1, 3, (3,)))
    assert counter.due() is None
    counter.settle(w, (4, 5), committed=True)
    assert counter.due() == Tally(w, 4, 5)


def test_audit_counter_voids_a_number_whose_fate_stays_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that failed in flight settles nothing: after STALE_S the number is void (vouched for as
    such, so a row that did commit is still fine, and a row that did not is no false alarm)."""
    counter = Counter()
    counter.take()
    assert counter.due() is None
    monkeypatch.setattr(tally_module, "STALE_S", 0.0)
    time.sleep(0.01)
    assert counter.due() == Tally(counter.worker, 1, 1, (1,))


@given(
    first=st.integers(min_value=1, max_value=10**9),
    size=st.integers(min_value=0, max_value=3000),
    data=st.data(),
)
def test_audit_tallies_split_to_fit_and_read_back(first: int, size: int, data: st.DataObject) -> None:
    last = first + size
    void = data.draw(st.sets(st.integers(min_value=first, max_value=last), max_size=400))
    whole = Tally("0123456789abcdef", first, last, tuple(sorted(void)))
    parts = split(whole)
    assert parts[0].first == first and parts[-1].last == last
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(parts))
    assert set().union(*(p.void for p in parts)) == void
    for part in parts:
        text = part.subject()
        assert len(text) <= 400 and all(len(p) <= 96 for p in text.split())
        assert parse_tally(text) == part


def test_audit_rolled_back_rows_are_void_not_suppressed(sqlite_audit_url: str, kofu_home: Path) -> None:
    log = AuditLog.for_home(kofu_home)
    engine = make_engine(sqlite_audit_url)
    factory = session_factory(engine)
    try:
        for i in range(6):
            try:
                with transaction(factory) as session:
                    log.append(session, event(i), T0)
                    if i % 2:
                        raise RuntimeError("the decision failed: its row goes with it")
            except RuntimeError:
                pass
        log.chain(factory, tally=True)
    finally:
        engine.dispose()
    entries, _ = chain(sqlite_audit_url)
    assert [e.counter for e in entries if e.counter] == [1, 3, 5]
    assert [e.subject for e in entries if e.action == "audit.tally"] == [
        f"worker:{log.worker} from:1 to:6 void:2.4.6"
    ]
    report = _verify(sqlite_audit_url, kofu_home)
    assert report.ok, report.problems


def test_audit_row_deleted_before_chaining_is_named_suppressed(audit_url: str, kofu_home: Path) -> None:
    """T6: a pending row deleted before the chainer saw it: the worker vouched for its number."""
    from sqlalchemy import text

    log = AuditLog.for_home(kofu_home)
    engine = make_engine(audit_url)
    factory = session_factory(engine)
    try:
        for i in range(4):
            with transaction(factory) as session:
                log.append(session, event(i), T0)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_pending WHERE counter = 3"))
        log.chain(factory, tally=True)
    finally:
        engine.dispose()
    report = _verify(audit_url, kofu_home)
    assert [(p.kind, p.detail) for p in report.problems] == [
        ("suppressed", f"worker {log.worker} recorded rows 3 that never reached the chain")
    ]


def _keyed_worker(url: str, home: str, actor: str, n: int, start: Any) -> None:
    log = AuditLog.for_home(Path(home))
    fill(url, n, actor=actor, start=start, log=log)
    engine = make_engine(url)
    try:
        log.chain(session_factory(engine), tally=True)
    finally:
        engine.dispose()


def test_audit_keyed_workers_in_two_processes_vouch_without_false_alarms(
    audit_url: str, kofu_home: Path
) -> None:
    """Two keyed worker processes recording, chaining and tallying at once: one chain, every row once,
    every number vouched for, verify clean."""
    AuditLog.for_home(kofu_home)  # the keys, before the workers start
    per = 40
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    workers = [
        ctx.Process(target=_keyed_worker, args=(audit_url, str(kofu_home), f"T-{i}", per, start))
        for i in range(2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    assert pending(audit_url) == 0
    entries, _ = chain(audit_url)
    assert len([e for e in entries if e.counter]) == 2 * per
    assert len({e.worker for e in entries if e.action == "audit.tally"}) == 2
    report = _verify(audit_url, kofu_home)
    assert report.ok, report.problems
