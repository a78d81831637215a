"""The audit chain in the database: appends, verification, and every kind of tampering detected (audit)."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import T0, chain, check, event, fill, pending, tamper
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kofu.audit.entry import GENESIS, AuditEntry, link
from kofu.audit.log import AuditError, AuditLog
from kofu.db import make_engine, session_factory, transaction

N = 8


def test_audit_appends_make_one_verified_chain(audit_url: str) -> None:
    fill(audit_url, N)
    entries, _head = chain(audit_url)
    assert [e.seq for e in entries] == list(range(1, N + 1))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[0].hash == link(GENESIS, entries[0].body(), None)
    report = check(audit_url)
    assert report.ok, report.problems
    assert (report.count, report.head_hash) == (N, entries[-1].hash)


def test_audit_empty_chain_is_intact(audit_url: str) -> None:
    report = check(audit_url)
    assert report.ok and report.count == 0 and report.head_hash == GENESIS


def test_audit_entries_are_append_only_in_the_database(audit_url: str) -> None:
    fill(audit_url, 2)
    engine = make_engine(audit_url)
    try:
        for statement in ("UPDATE audit_entries SET outcome = 'allowed'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    assert check(audit_url).ok


def test_audit_altered_field_is_named(audit_url: str) -> None:
    fill(audit_url, N)
    tamper(audit_url, "UPDATE audit_entries SET outcome = 'allowed', actor = 'terminal:T-X' WHERE seq = 3")
    report = check(audit_url)
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "altered")]


def test_audit_removed_entry_is_named(audit_url: str) -> None:
    fill(audit_url, N)
    tamper(audit_url, "DELETE FROM audit_entries WHERE seq = 5")
    report = check(audit_url)
    assert [(p.seq, p.kind) for p in report.problems] == [(5, "missing")]


def test_audit_swapped_entries_are_named(audit_url: str) -> None:
    fill(audit_url, N)
    tamper(
        audit_url,
        "UPDATE audit_entries SET seq = -4 WHERE seq = 4",
        "UPDATE audit_entries SET seq = 4 WHERE seq = 5",
        "UPDATE audit_entries SET seq = 5 WHERE seq = -4",
    )
    report = check(audit_url)
    assert [(p.seq, p.kind) for p in report.problems] == [(4, "reordered"), (5, "reordered")]
    assert "written as 5" in report.problems[0].detail


def test_audit_truncated_tail_is_caught_by_the_head(audit_url: str) -> None:
    fill(audit_url, N)
    tamper(audit_url, f"DELETE FROM audit_entries WHERE seq > {N - 2}")
    report = check(audit_url)
    assert [(p.seq, p.kind) for p in report.problems] == [(N - 1, "truncated")]
    assert f"{N - 1}..{N}" in report.problems[0].detail


def test_audit_appended_behind_the_logs_back_is_caught(audit_url: str) -> None:
    """An entry inserted with a correct plain hash but without moving the head is named."""
    fill(audit_url, 3)
    entries, _ = chain(audit_url)
    forged = event(99)
    last = entries[-1]
    body = AuditEntry(4, last.at, forged.actor, "order.void", forged.subject, "allowed", last.hash, "")
    h = link(last.hash, body.body(), None)
    tamper(
        audit_url,
        "INSERT INTO audit_entries (seq, at, actor, action, subject, outcome, prev_hash, hash) VALUES "
        f"(4, '{body.at}', '{body.actor}', 'order.void', '{body.subject}', 'allowed', '{last.hash}', '{h}')",
    )
    assert [(p.seq, p.kind) for p in check(audit_url).problems] == [(4, "head")]


def test_audit_keyed_chain_resists_recomputation(audit_url: str) -> None:
    """With the home's key (HMAC), an attacker's plain SHA-256 rewrite of an entry is still caught."""
    key = bytes(range(32))
    fill(audit_url, 4, key=key)
    assert check(audit_url, key).ok
    entries, _ = chain(audit_url)
    last = entries[-1]
    rewritten = AuditEntry(**{**last.__dict__, "outcome": "allowed", "hash": ""})
    forged_hash = link(last.prev_hash, rewritten.body(), None)
    tamper(
        audit_url,
        f"UPDATE audit_entries SET outcome = 'allowed', hash = '{forged_hash}' WHERE seq = 4",
        f"UPDATE audit_head SET hash = '{forged_hash}'",
    )
    report = check(audit_url, key)
    assert (4, "altered") in [(p.seq, p.kind) for p in report.problems]
    assert [p.kind for p in check(audit_url, None).problems] == ["key"]  # no key: cannot vouch for it


def test_audit_key_setting_is_fixed_by_the_first_entry(sqlite_audit_url: str) -> None:
    fill(sqlite_audit_url, 1, key=bytes(32))
    engine = make_engine(sqlite_audit_url)
    factory = session_factory(engine)
    try:
        with transaction(factory) as session:
            AuditLog(None).append(session, event(1), T0)
        with pytest.raises(AuditError, match="keyed"):
            AuditLog(None).chain(factory)
        # the chain's own key takes the row, but it carries no worker's MAC: refused, and said so (T6)
        assert AuditLog(bytes(32)).chain(factory) == 1
    finally:
        engine.dispose()
    entries, _ = chain(sqlite_audit_url)
    assert [(e.action, e.outcome) for e in entries][1:] == [("audit.refused", "forged")]
    assert [p.kind for p in check(sqlite_audit_url, bytes(32)).problems] == ["inserted"]


def test_audit_no_chain_head_is_a_clear_error(sqlite_url: str) -> None:
    from kofu.audit.schema import migrate_audit

    migrate_audit(sqlite_url)
    tamper(sqlite_url, "DELETE FROM audit_head")
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    try:
        with transaction(factory) as session:
            AuditLog().append(session, event(0), T0)
        with pytest.raises(AuditError, match="migration"):
            AuditLog().chain(factory)
    finally:
        engine.dispose()


def _worker(url: str, actor: str, n: int, start: Any) -> None:
    fill(url, n, actor=actor, start=start)


def test_audit_concurrent_appends_from_two_processes_keep_one_chain(audit_url: str) -> None:
    """Two worker processes recording and chaining at once: one unbroken chain, each event once (audit)."""
    per = 60
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    workers = [ctx.Process(target=_worker, args=(audit_url, f"T-{i}", per, start)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    entries, _ = chain(audit_url)
    assert [e.seq for e in entries] == list(range(1, 2 * per + 1))
    actors = [e.actor for e in entries]
    assert set(actors) == {"terminal:T-0", "terminal:T-1"}
    for i in range(2):  # every event exactly once, in each worker's order
        assert [e.subject for e in entries if e.actor == f"terminal:T-{i}"] == [
            event(j).subject for j in range(per)
        ]
    assert pending(audit_url) == 0, "a worker that skipped the locked head left rows behind"
    assert sum(a != b for a, b in itertools.pairwise(actors)) > 2, "the two workers did not overlap"
    report = check(audit_url)
    assert report.ok and report.count == 2 * per


def test_audit_decision_in_its_own_transaction(sqlite_audit_url: str) -> None:
    """`record` in a transaction of its own records a decision only when a log is attached; chained after."""
    from kofu.audit.entry import subject, tagged
    from kofu.audit.log import attach_audit, record
    from kofu.db import transaction
    from kofu.rules.decision import Refused
    from kofu.rules.reasons import Reason

    engine = make_engine(sqlite_audit_url)
    try:
        plain = session_factory(engine)
        args = {
            "actor": tagged("terminal", "T-1"),
            "action": "order.document",
            "subject": subject(order="o-1"),
        }
        with transaction(plain) as session:  # records nothing
            record(session, **args, result=Refused(Reason.DOCUMENT_NOT_BOUND), now=T0)
        audited = attach_audit(session_factory(engine), AuditLog())
        with transaction(audited) as session:
            record(session, **args, result=Refused(Reason.DOCUMENT_NOT_BOUND), now=T0)
        assert AuditLog().chain(audited) == 1
    finally:
        engine.dispose()
    entries, _ = chain(sqlite_audit_url)
    assert [(e.seq, e.outcome) for e in entries] == [(1, "document_not_bound")]
    assert check(sqlite_audit_url).count == 1


def test_audit_chain_begun_unkeyed_goes_on_keyed_and_its_plain_entries_stay_pinned(
    sqlite_audit_url: str, kofu_home: Path
) -> None:
    """A home that ran without audit keys: the keyed log goes on with the same chain, and verify (with
    the key) still names an entry of the plain part rewritten, since the first keyed entry pins it."""
    fill(sqlite_audit_url, 3)
    fill(sqlite_audit_url, 2, log=AuditLog.for_home(kofu_home))
    key = AuditLog.for_home(kofu_home).key
    assert check(sqlite_audit_url, key).ok
    entries, _ = chain(sqlite_audit_url)
    # entry 1 refused a step (order_state_conflict): rewritten as allowed, entries 2 and 3 recomputed
    prev, statements = GENESIS, []
    for e in entries[:3]:
        e = AuditEntry(**{**e.__dict__, "outcome": "allowed"}) if e.seq == 1 else e
        new = link(prev, AuditEntry(**{**e.__dict__, "prev_hash": prev}).body(), None)
        statements.append(
            f"UPDATE audit_entries SET outcome = '{e.outcome}', prev_hash = '{prev}', hash = '{new}' "
            f"WHERE seq = {e.seq}"
        )
        prev = new
    assert entries[0].outcome != "allowed"
    tamper(sqlite_audit_url, *statements)
    assert [(p.seq, p.kind) for p in check(sqlite_audit_url, key).problems] == [(4, "broken_link")]
