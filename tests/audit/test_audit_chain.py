"""The chain rules on their own (pure): hashing, and random tamperings each detected and named (audit)."""

from __future__ import annotations

from dataclasses import replace

from audit_helpers import T0, event
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.audit.entry import GENESIS, AuditEntry, AuditEvent, chained, link, subject, tagged, token, utc_text
from kofu.audit.verifier import Head, verify_chain


def build(n: int, key: bytes | None = None) -> tuple[list[AuditEntry], Head]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        entry = chained(i, utc_text(T0), event(i), prev, key)
        entries.append(entry)
        prev = entry.hash
    return entries, Head(n, prev, None if n == 0 else key is not None)


def test_audit_hash_is_sha256_of_prev_hash_then_canonical_json() -> None:
    import hashlib
    import hmac

    e = chained(1, "2026-04-01T03:00:00.000000Z", event(1), GENESIS, None)
    body = (
        b'{"action":"order.pay","actor":"terminal:T-SEJ-0001","at":"2026-04-01T03:00:00.000000Z",'
        b'"outcome":"allowed","seq":1,"subject":"order:ord-00001"}'
    )
    assert e.body() == body
    assert e.hash == hashlib.sha256(bytes(32) + body).hexdigest()
    keyed = chained(1, e.at, event(1), GENESIS, b"k" * 32)
    assert keyed.hash == hmac.new(b"k" * 32, bytes(32) + body, hashlib.sha256).hexdigest()


def test_audit_SEC_4_free_text_never_lands_verbatim() -> None:
    """SEC-4: a name or address given where an id belongs is kept only as a digest."""
    for text in ("大衡 花子", "宮城県黒川郡大衡村大衡字平林62", "Taro Yamada", "x' OR 1=1 --"):
        assert text not in token(text) and token(text).startswith("h:")
        assert text not in subject(person=text, session=text, staff=text)
    assert tagged("serial", 0x1A2B) == "serial:1a2b"
    assert token("044245-0000123") == "044245-0000123"


def test_audit_event_refuses_unsafe_fields() -> None:
    import pytest

    with pytest.raises(ValueError):
        AuditEvent("terminal:T-1", "order.pay", "order:1 大衡花子", "allowed")
    with pytest.raises(ValueError):
        AuditEvent("terminal:T-1", "Order Pay", "", "allowed")


def test_audit_utc_text_normalises_zones() -> None:
    from datetime import timedelta, timezone

    jst = T0.astimezone(timezone(timedelta(hours=9)))
    assert utc_text(jst) == utc_text(T0) == "2026-04-01T03:00:00.000000Z"


TAMPERINGS = ("alter", "alter_hash", "delete", "swap", "truncate", "move")


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=25),
    how=st.sampled_from(TAMPERINGS),
    data=st.data(),
    keyed=st.booleans(),
)
def test_audit_any_random_tampering_is_detected_and_named(
    n: int, how: str, data: st.DataObject, keyed: bool
) -> None:
    """Hypothesis: alter / delete / swap / truncate / move any entry; verify names the tampered one."""
    key = b"\x07" * 32 if keyed else None
    entries, head = build(n, key)
    assert verify_chain(entries, head, key).ok
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    seq = i + 1
    if how == "alter":
        field = data.draw(st.sampled_from(["at", "actor", "action", "subject", "outcome", "prev_hash"]))
        new = data.draw(st.text(alphabet="abcdef0123456789:", min_size=1, max_size=64))
        if getattr(entries[i], field) == new:
            new += "0"
        entries[i] = AuditEntry(**{**entries[i].__dict__, field: new})
        named = {seq}
    elif how == "alter_hash":
        entries[i] = replace(entries[i], hash=link(GENESIS, b"forged", None))
        named = {seq}
    elif how == "delete":
        del entries[i]
        named = {seq}
    elif how == "swap":
        j = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != i), label="other")
        a, b = entries[i], entries[j]
        entries[i], entries[j] = replace(b, seq=a.seq), replace(a, seq=b.seq)
        named = {seq, j + 1}
    elif how == "truncate":
        entries = entries[:i]
        named = {seq}
    else:  # move an entry to a seq past the end
        entries[i] = replace(entries[i], seq=n + 5)
        named = {seq}
    report = verify_chain(entries, head, key)
    assert not report.ok
    assert named <= report.named, (how, named, report.problems)


def test_audit_reordered_entry_names_where_it_was_written() -> None:
    entries, head = build(6)
    entries[1], entries[4] = replace(entries[4], seq=2), replace(entries[1], seq=5)
    problems = verify_chain(entries, head, None).problems
    assert [(p.seq, p.kind, p.detail) for p in problems] == [
        (2, "reordered", "holds the entry written as 5"),
        (5, "reordered", "holds the entry written as 2"),
    ]


def test_audit_missing_head_is_named() -> None:
    entries, _ = build(3)
    assert [p.kind for p in verify_chain(entries, None, None).problems] == ["head"]


def test_audit_SEC_4_person_is_kept_only_as_a_registry_id() -> None:
    """SEC-4: a person subject is a registry id (code-number); a romanised name becomes a digest."""
    assert subject(person="044245-0000123") == "person:044245-0000123"
    assert "Yamada" not in subject(person="Yamada")
