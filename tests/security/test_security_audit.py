"""T6: an insider who can write the database cannot quietly rewrite the audit log.

Each attack of issue 22's row T6, as someone with the database's administrator rights and no access to
the kofu home (its keys, its checkpoint file) would run it against the center as `kofu serve center`
builds it: the tail cut and the head rewound; every hash recomputed after an outcome was edited; a
back-dated row (or a copy of a real one) put into `audit_pending`; a trigger that drops every row on its
way into `audit_pending` during a whole charged issuance. Then the refusals and the municipal server's
decisions that were never audited: quote, document, menu, rate limit, registration, render.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from audit_world import (
    NOON,
    OHIRA,
    TERMINAL,
    Kiosk,
    center_service,
    chain_now,
    cli,
    drop_swallow,
    entries,
    issuance,
    kiosk_world,
    sql,
    swallow_pending_inserts,
)

from kofu.audit.entry import AuditEvent, link, subject, tagged, utc_text
from kofu.audit.log import attached, read_chain
from kofu.db import make_engine, session_factory, transaction


def _read(url: str) -> list:  # the entries as the running code models them
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return read_chain(session)[0]
    finally:
        engine.dispose()


def _head(url: str) -> dict:
    return dict(sql(url, "SELECT * FROM audit_head")[0])


def _set_head(url: str, row: dict) -> None:
    columns = ", ".join(f"{name} = :{name}" for name in row if name != "id")
    sql(url, f"UPDATE audit_head SET {columns} WHERE id = 1", params=row)


def test_T6_tail_cut_and_head_rewound_is_named(db_url: str, kofu_home: Path) -> None:
    """T6: delete the last entry and rewind `audit_head` to the one before: the head's signature (by a
    key outside the database) no longer matches, so verify says so even without a checkpoint."""
    svc = center_service(kofu_home, db_url)
    issuance(svc.factory, "sess-1")
    chain_now(svc)
    assert cli(kofu_home, "verify", "--db", db_url)[0] == 0
    before = _read(db_url)[-2]
    sql(
        db_url,
        "DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)",
        "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1",
        params={"seq": before.seq, "hash": before.hash},
    )
    if "at" in _head(db_url):  # the head's time too, as a careful insider would
        sql(db_url, "UPDATE audit_head SET at = :at WHERE id = 1", params={"at": before.at})
    code, out = cli(kofu_home, "verify", "--db", db_url)
    assert code == 1, out
    assert "signature" in out


def test_T6_tail_cut_with_an_old_signed_head_is_caught_by_the_checkpoint(
    db_url: str, kofu_home: Path
) -> None:
    """T6: the insider kept the head row (signature and all) as it was one entry earlier, cuts the tail
    and puts that row back: only the checkpoint written outside the database can tell, and does."""
    svc = center_service(kofu_home, db_url)
    issuance(svc.factory, "sess-1")
    chain_now(svc)
    kept = _head(db_url)  # watched by the insider
    issuance(svc.factory, "sess-2")
    chain_now(svc)
    cli(kofu_home, "checkpoint", "--db", db_url)  # the operator's routine
    sql(db_url, "DELETE FROM audit_entries WHERE seq > :seq", params={"seq": kept["seq"]})
    _set_head(db_url, kept)
    code, out = cli(kofu_home, "verify", "--db", db_url)
    assert code == 1, out
    assert "truncated" in out and f"the chain ends at {kept['seq']}" in out


def test_T6_outcome_edited_and_every_hash_recomputed_is_named(db_url: str, kofu_home: Path) -> None:
    """T6: an outcome edited and every hash after it recomputed (SHA-256, as the insider can) with the
    head moved to match: the chain is keyed by a key outside the database, so the edit is named."""
    svc = center_service(kofu_home, db_url)
    issuance(svc.factory, "sess-1")
    chain_now(svc)
    chained = _read(db_url)
    edited = next(e for e in chained if e.action == "order.pay")
    prev = chained[edited.seq - 2].hash if edited.seq > 1 else "0" * 64
    for e in chained[edited.seq - 1 :]:
        forged = replace(e, outcome="cash_insufficient") if e.seq == edited.seq else e
        new_hash = link(prev, forged.body(), None)
        sql(
            db_url,
            "UPDATE audit_entries SET outcome = :outcome, prev_hash = :prev, hash = :hash WHERE seq = :seq",
            params={"outcome": forged.outcome, "prev": prev, "hash": new_hash, "seq": e.seq},
        )
        prev = new_hash
    sql(db_url, "UPDATE audit_head SET hash = :hash WHERE id = 1", params={"hash": prev})
    code, out = cli(kofu_home, "verify", "--db", db_url)
    assert code == 1, out
    assert f"entry {edited.seq}: altered" in out


def test_T6_rewrite_after_a_checkpoint_is_named_rewritten(sqlite_url: str, kofu_home: Path) -> None:
    """T6: a checkpointed entry whose hash is no longer the one noted outside the database."""
    svc = center_service(kofu_home, sqlite_url)
    issuance(svc.factory, "sess-1")
    chain_now(svc)
    assert cli(kofu_home, "checkpoint", "--db", sqlite_url)[0] == 0
    last = _read(sqlite_url)[-1]
    sql(
        sqlite_url, "UPDATE audit_entries SET hash = :h WHERE seq = :s", params={"h": "f" * 64, "s": last.seq}
    )
    code, out = cli(kofu_home, "verify", "--db", sqlite_url)
    assert code == 1 and f"entry {last.seq}: rewritten" in out, out


def _pending_row(at: str, action: str, subject_: str) -> dict[str, str]:
    return {
        "at": at,
        "actor": tagged("terminal", TERMINAL),
        "action": action,
        "subject": subject_,
        "outcome": "allowed",
    }


def test_T6_backdated_row_put_into_pending_is_refused_and_reported(db_url: str, kofu_home: Path) -> None:
    """T6: a row inserted by hand into audit_pending (dated an hour back, a void that never happened)
    is not linked as a decision: the chainer refuses it, says so in the chain, and verify names it."""
    svc = center_service(kofu_home, db_url)
    oid = issuance(svc.factory, "sess-1")
    chain_now(svc)
    forged = _pending_row(utc_text(NOON - timedelta(hours=1)), "order.void", subject(order=oid))
    sql(
        db_url,
        "INSERT INTO audit_pending (at, actor, action, subject, outcome) "
        "VALUES (:at, :actor, :action, :subject, :outcome)",
        params=forged,
    )
    chain_now(svc)
    linked = entries(db_url)
    assert not [e for e in linked if e["action"] == "order.void"], "the chainer linked a row nobody recorded"
    assert [e["outcome"] for e in linked if e["action"] == "audit.refused"] == ["forged"]
    code, out = cli(kofu_home, "verify", "--db", db_url)
    assert code == 1 and "inserted" in out, out


def test_T6_copy_of_a_recorded_row_is_refused_as_replayed(sqlite_url: str, kofu_home: Path) -> None:
    """T6: a copy of a real pending row (its worker's MAC and all) is linked once, the copy refused."""
    svc = center_service(kofu_home, sqlite_url)
    audit = attached(svc.factory)
    assert audit is not None
    with transaction(svc.factory) as session:
        audit.append(
            session, AuditEvent(tagged("terminal", TERMINAL), "order.pay", "order:x1", "allowed"), NOON
        )
    columns = [c for c in sql(sqlite_url, "SELECT * FROM audit_pending")[0] if c != "id"]
    names = ", ".join(columns)
    sql(sqlite_url, f"INSERT INTO audit_pending ({names}) SELECT {names} FROM audit_pending")
    chain_now(svc)
    linked = entries(sqlite_url)
    assert [e["subject"] for e in linked if e["action"] == "order.pay"] == ["order:x1"]
    assert [e["outcome"] for e in linked if e["action"] == "audit.refused"] == ["replayed"]


def test_T6_trigger_dropping_pending_rows_during_a_charged_issuance_is_caught(
    db_url: str, kofu_home: Path
) -> None:
    """T6: a trigger drops every row on its way into audit_pending while a whole charged issuance runs,
    then is dropped itself; the chain alone looks whole. The worker's tally names the rows it recorded
    that never arrived, and reconcile names the charged order without its decisions."""
    svc = center_service(kofu_home, db_url)
    issuance(svc.factory, "sess-0")
    swallow_pending_inserts(db_url)
    oid = issuance(svc.factory, "sess-1")
    drop_swallow(db_url)
    issuance(svc.factory, "sess-2")
    chain_now(svc)
    assert not [e for e in entries(db_url) if str(oid) in e["subject"]]
    code, out = cli(kofu_home, "verify", "--db", db_url)
    assert code == 1, out
    assert "suppressed" in out and "5..8" in out
    code, out = cli(kofu_home, "reconcile", "--db", db_url)
    assert code == 1, out
    assert f"order {oid} charged" in out and "order.pay" in out and "3 charged orders" in out


def test_T6_times_only_move_forward_along_the_chain(sqlite_url: str, kofu_home: Path) -> None:
    """T6: a decision dated before the chain's last entry (a worker clock stepped back) is chained at that
    entry's time: no entry is dated before the one it follows."""
    svc = center_service(kofu_home, sqlite_url)
    issuance(svc.factory, "sess-late", now=NOON + timedelta(minutes=10))
    chain_now(svc)
    issuance(svc.factory, "sess-early", now=NOON)
    chain_now(svc)
    times = [e["at"] for e in entries(sqlite_url)]
    assert times == sorted(times)
    assert cli(kofu_home, "verify", "--db", sqlite_url)[0] == 0


def test_T6_checkpoint_file_edited_is_named(sqlite_url: str, kofu_home: Path) -> None:
    """The checkpoint file's lines are signed and linked: an edited line is named, not trusted."""
    svc = center_service(kofu_home, sqlite_url)
    issuance(svc.factory, "sess-1")
    chain_now(svc)
    assert cli(kofu_home, "checkpoint", "--db", sqlite_url)[0] == 0
    assert cli(kofu_home, "checkpoint", "--db", sqlite_url)[0] == 0
    path = kofu_home / "audit" / "checkpoints.jsonl"
    assert path.stat().st_mode & 0o077 == 0
    first, second = path.read_text().splitlines()
    path.write_text(first.replace('"seq":', '"seq":1') + "\n" + second + "\n")
    code, out = cli(kofu_home, "verify", "--db", sqlite_url)
    assert code == 1 and "checkpoints.jsonl line 1: its signature does not match" in out, out


# --- refusals and the municipal server's decisions, through the center's API -------------------------


@pytest.fixture(scope="module")
def made_village(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A village with every party's tables, and the JPKI's keys, made once for this module."""
    from kofu.center.app.schema import migrate_center_all
    from kofu.jpki.authority import init_authorities
    from kofu.jpki.schema import migrate_jpki
    from kofu.municipal.schema import migrate_municipal
    from kofu.registry.village import generate_village
    from kofu.verify.register import migrate_verify

    folder = tmp_path_factory.mktemp("t6-village")
    url = f"sqlite:///{folder / 'village.db'}"
    generate_village(url, 80, 11, "ohira", today=date.today(), count_cases=False)
    for migrate in (migrate_jpki, migrate_center_all, migrate_municipal, migrate_verify):
        migrate(url)
    init_authorities(folder / "jpki")
    return folder / "village.db", folder / "jpki"


@pytest.fixture
def kiosk(made_village: tuple[Path, Path], kofu_home: Path, tmp_path: Path) -> Iterator[Kiosk]:
    import shutil

    from kofu.jpki.authority import load_authorities

    village, keys = made_village
    shutil.copyfile(village, tmp_path / "world.db")
    shutil.copytree(keys, kofu_home / "keys" / "jpki")
    with kiosk_world(
        f"sqlite:///{tmp_path / 'world.db'}", kofu_home, load_authorities(kofu_home / "keys" / "jpki")
    ) as k:
        yield k


def _person(kiosk: Kiosk, case: str = "adult_resident") -> str:
    from kofu.registry.cases import find_person

    with kiosk.factory() as session:
        return find_person(session, case)


def test_T6_menus_quote_and_document_refusals_and_renders_are_audited(kiosk: Kiosk) -> None:
    """T6: the menu at the center and at the municipal server, a quote refused, a document refused, and
    the municipal server's render each leave an entry (the municipal server in its own log, which
    shares this test's database)."""
    session_id = kiosk.signed_in(kiosk.card(_person(kiosk)))
    menu = kiosk.center.get(
        f"/v1/sessions/{session_id}/menu", params={"terminal_id": TERMINAL, "municipality_code": OHIRA}
    )
    assert menu.status_code == 200, menu.text
    stranger = "044245-9999999"
    refused = kiosk.center.post(
        "/v1/orders/quote",
        json={
            **kiosk.steps(session_id),
            "municipality_code": OHIRA,
            "kind": "juminhyo",
            "copies": 1,
            "persons": [stranger],
        },
    )
    assert refused.status_code >= 400
    reason = refused.json()["reason"]
    quote = kiosk.center.post(
        "/v1/orders/quote",
        json={**kiosk.steps(session_id), "municipality_code": OHIRA, "kind": "juminhyo", "copies": 1},
    )
    assert quote.status_code == 200, quote.text
    order_id = quote.json()["order_id"]
    unpaid = kiosk.center.post(f"/v1/orders/{order_id}/document", json=kiosk.steps(session_id))
    assert unpaid.status_code == 409 and unpaid.json()["reason"] == "order_state_conflict"
    paid = kiosk.center.post(f"/v1/orders/{order_id}/pay", json={**kiosk.steps(session_id), "cash": 300})
    assert paid.status_code == 200, paid.text
    document = kiosk.center.post(f"/v1/orders/{order_id}/document", json=kiosk.steps(session_id))
    assert document.status_code == 200, document.text

    decisions = kiosk.decisions()
    actions = {(a, o) for a, _s, o in decisions}
    assert ("session.menu", "allowed") in actions
    assert ("municipal.menu", "allowed") in actions
    assert ("order.quote", reason) in actions
    assert ("order.render", "order_state_conflict") in {(a, o) for a, s, o in decisions if order_id in s}
    assert ("municipal.render", "allowed") in {(a, o) for a, s, o in decisions if order_id in s}
    number = document.headers["x-kofu-document-number"]
    assert any(a == "municipal.render" and f"document:{number}" in s for a, s, _o in decisions)


def test_T6_a_document_asked_again_is_an_audited_refusal(kiosk: Kiosk) -> None:
    """T6: the second document of a delivered order is refused and leaves an entry saying so."""
    session_id = kiosk.signed_in(kiosk.card(_person(kiosk)))
    quote = kiosk.center.post(
        "/v1/orders/quote",
        json={**kiosk.steps(session_id), "municipality_code": OHIRA, "kind": "juminhyo", "copies": 1},
    )
    order_id = quote.json()["order_id"]
    paid = kiosk.center.post(f"/v1/orders/{order_id}/pay", json={**kiosk.steps(session_id), "cash": 300})
    assert paid.status_code == 200, paid.text
    first = kiosk.center.post(f"/v1/orders/{order_id}/document", json=kiosk.steps(session_id))
    assert first.status_code == 200, first.text
    again = kiosk.center.post(f"/v1/orders/{order_id}/document", json=kiosk.steps(session_id))
    assert again.status_code == 409 and again.json()["reason"] == "order_state_conflict"
    refusals = [
        o for a, s, o in kiosk.decisions() if a == "order.render" and order_id in s and o != "allowed"
    ]
    assert refusals == ["order_state_conflict"]


def test_T6_rate_limit_refusals_are_audited(kiosk: Kiosk) -> None:
    """T6: a terminal refused by its authentication rate limit (429) leaves an entry per refusal."""
    reply = kiosk.center.post("/v1/sessions", json={"terminal_id": TERMINAL, "request_key": uuid.uuid4().hex})
    session_id = reply.json()["session_id"]
    body = {"terminal_id": TERMINAL, "certificate_b64": "AAAA", "signature_b64": "AAAA"}
    statuses = [
        kiosk.center.post(f"/v1/sessions/{session_id}/authenticate", json=body).status_code for _ in range(33)
    ]
    assert statuses.count(429) >= 2, statuses
    limited = [d for d in kiosk.decisions() if d[2] == "rate_limited"]
    assert len(limited) == statuses.count(429)
    assert {a for a, _s, _o in limited} == {"auth.rate_limited"}


def test_T6_registration_refusals_are_audited(kiosk: Kiosk) -> None:
    """T6: a usage registration refused at the center (no signing challenge asked) leaves an entry."""
    session_id = kiosk.signed_in(kiosk.card(_person(kiosk)))
    body = {
        "terminal_id": TERMINAL,
        "municipality_code": OHIRA,
        "signing_certificate_b64": "AAAA",
        "signature_b64": "AAAA",
    }
    reply = kiosk.center.post(f"/v1/sessions/{session_id}/registration", json=body)
    assert reply.status_code >= 400
    reason = reply.json()["reason"]
    assert ("registration.file", reason) in {(a, o) for a, _s, o in kiosk.decisions()}
