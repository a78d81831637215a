"""Repository reads and office writes: LAG-1, LAG-2, REG-1, DAY-1, card links, consistent snapshots."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from registry_support import TODAY, Village
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kofu.db import transaction
from kofu.registry import repository
from kofu.registry.cards import card_record, cards_of, link_card
from kofu.registry.cases import find_person
from kofu.registry.changes import (
    abolish_seal,
    file_address_change,
    file_koseki_notification,
    file_tax_declaration,
    reflect_change,
)
from kofu.registry.errors import RegistryError
from kofu.registry.holders import card_holder
from kofu.registry.models import Person, UsageRegistration
from kofu.registry.records import PersonRecord, PersonSnapshot
from kofu.registry.usage import decide_usage_registration, file_usage_registration
from kofu.rules.calendar import newest_fiscal_year

FY = newest_fiscal_year(TODAY)


def _snapshot(village: Village, pid: str) -> PersonSnapshot:
    snap = repository.read_snapshot(village.engine, pid)
    assert snap is not None
    return snap


def test_lag1_pending_address_change_is_never_read_as_current(village: Village) -> None:
    """LAG-1 / INC-5: a filed move stays pending; reads give the reflected address and flag the change."""
    with village.session() as s, s.begin():
        pid = find_person(s, "adult_resident", today=TODAY)
        before = repository.person(s, pid)
        assert before is not None and before.address is not None
        new = "宮城県黒川郡大衡村大衡字平林999番地"
        change = file_address_change(s, pid, address=new, since=TODAY, notified_on=TODAY)
    snap = _snapshot(village, pid)
    assert snap.person.address == before.address  # never the pending one
    assert snap.has_pending("address", person_id=pid)
    with village.session() as s:
        assert repository.has_pending_change(s, pid, "address")
    with village.session() as s, s.begin():
        reflect_change(s, change, on=TODAY)
    after = _snapshot(village, pid)
    assert not after.has_pending()
    assert after.person.address is not None
    assert after.person.address.address == new
    assert after.person.address.previous_address == before.address.address
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        reflect_change(s, change, on=TODAY)
    assert err.value.code == "change_already_reflected"


def test_lag1_pending_changes_of_household_and_register_members_are_in_the_snapshot(village: Village) -> None:
    """LAG-1: a 住民票 of the household must see a member's pending move, not only the requester's."""
    with village.session() as s:
        head = find_person(s, "household_head_with_members", today=TODAY)
        members = repository.household_members(s, head)
    other = next(m for m in members if m.person_id != head)
    with village.session() as s, s.begin():
        file_address_change(
            s, other.person_id, address="宮城県黒川郡大衡村大森字新田1番地", since=TODAY, notified_on=TODAY
        )
    snap = _snapshot(village, head)
    assert snap.has_pending("address", person_id=other.person_id)
    assert not snap.has_pending("address", person_id=head)


def test_lag1_generated_pending_changes_are_pending(village: Village) -> None:
    """LAG-1: the village's own pending address change, seal abolition and register notification."""
    for case, kind in (
        ("pending_address_change", "address"),
        ("seal_abolition_pending", "seal_abolition"),
        ("koseki_pending", "koseki"),
    ):
        with village.session() as s:
            pid = find_person(s, case, today=TODAY)
        assert _snapshot(village, pid).has_pending(kind, person_id=pid), case


def test_inc4_seal_abolition_is_pending_then_abolished(village: Village) -> None:
    """INC-4: after reflection the seal reads as abolished; before, the abolition is flagged as pending."""
    with village.session() as s, s.begin():
        pid = find_person(s, "adult_resident", today=TODAY)
        change = abolish_seal(s, pid, on=TODAY)
    snap = _snapshot(village, pid)
    assert snap.seal is not None and snap.seal.is_registered
    assert snap.has_pending("seal_abolition")
    with village.session() as s, s.begin():
        reflect_change(s, change, on=TODAY)
    snap = _snapshot(village, pid)
    assert snap.seal is not None and not snap.seal.is_registered
    assert snap.seal.abolished_on == TODAY
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        abolish_seal(s, pid, on=TODAY)
    assert err.value.code == "no_seal_registration"


def test_lag2_pending_tax_declaration_then_reflected(village: Village) -> None:
    """LAG-2: a declaration for a fiscal year is pending until reflected, then the record is amended."""
    with village.session() as s:
        pid = find_person(s, "tax_pending", today=TODAY)
    snap = _snapshot(village, pid)
    assert snap.tax_pending(FY)
    assert not snap.tax_pending(FY - 1)
    with village.session() as s, s.begin():
        pid2 = find_person(s, "adult_resident", today=TODAY)
        old = repository.tax_year(s, pid2, FY)
        assert old is not None
        change = file_tax_declaration(
            s, pid2, fiscal_year=FY, filed_on=TODAY, amounts={"other_earnings": old.other_earnings + 500_000}
        )
    assert _snapshot(village, pid2).tax_pending(FY)
    with village.session() as s:
        same = repository.tax_year(s, pid2, FY)
    assert same == old  # the pending amounts are not read as current
    with village.session() as s, s.begin():
        reflect_change(s, change, on=TODAY)
        new = repository.tax_year(s, pid2, FY)
    assert new is not None
    assert new.other_earnings == old.other_earnings + 500_000
    assert new.total_earnings == new.salary_earnings + new.pension_earnings + new.other_earnings
    assert not _snapshot(village, pid2).tax_pending(FY)
    with village.session() as s, s.begin(), pytest.raises(RegistryError):
        file_tax_declaration(s, pid2, fiscal_year=FY, filed_on=TODAY, amounts={"tax_total": 0})


def test_koseki_notification_reflects_as_an_event(village: Village) -> None:
    """LAG-1: a register notification appears in 身分事項 only once reflected."""
    with village.session() as s, s.begin():
        pid = find_person(s, "adult_resident", today=TODAY)
        before = repository.register_of(s, pid)
        assert before is not None
        n = len(before.member(pid).events)  # type: ignore[union-attr]
        change = file_koseki_notification(s, pid, event="adoption", event_date=TODAY, filed_on=TODAY)
    snap = _snapshot(village, pid)
    assert snap.has_pending("koseki") and len(snap.koseki.member(pid).events) == n  # type: ignore[union-attr]
    with village.session() as s, s.begin():
        reflect_change(s, change, on=TODAY)
    member = _snapshot(village, pid).koseki.member(pid)  # type: ignore[union-attr]
    assert member is not None and len(member.events) == n + 1 and member.events[-1].kind == "adoption"


def test_REG_1_once_per_person_held_by_the_database(village: Village) -> None:
    """REG-1: at most one pending or approved registration per person, even for two filings that both
    passed the check at once (say the old and the renewed card at two kiosks); a refused one may be
    followed by a new filing."""
    with village.session() as s:
        pending = find_person(s, "nonresident_honseki_pending", today=TODAY)
        refused = find_person(s, "nonresident_honseki_refused", today=TODAY)
        pending_fk = s.scalar(select(Person.id).where(Person.person_id == pending))
    with village.session() as s, s.begin(), pytest.raises(IntegrityError):
        s.add(UsageRegistration(person_fk=pending_fk, filed_on=TODAY, status="pending"))
        s.flush()
    with village.session() as s, s.begin():
        file_usage_registration(s, refused, filed_on=TODAY)
    assert _snapshot(village, refused).usage.status == "pending"  # type: ignore[union-attr]


def test_reg1_usage_registration_statuses(village: Village) -> None:
    """REG-1: non-resident 本籍 holders file once; pending until decided; residents need none."""
    with village.session() as s:
        registered = find_person(s, "nonresident_honseki_registered", today=TODAY)
        unregistered = find_person(s, "nonresident_honseki_unregistered", today=TODAY)
        pending = find_person(s, "nonresident_honseki_pending", today=TODAY)
        resident = find_person(s, "adult_resident", today=TODAY)
        assert repository.usage_registration(s, registered).status == "approved"  # type: ignore[union-attr]
        assert repository.usage_registration(s, unregistered) is None
        assert repository.usage_registration(s, pending).status == "pending"  # type: ignore[union-attr]
    with village.session() as s, s.begin():
        file_usage_registration(s, unregistered, filed_on=TODAY)
    assert _snapshot(village, unregistered).usage.status == "pending"  # type: ignore[union-attr]
    for pid, code in (
        (unregistered, "already_registered"),
        (registered, "already_registered"),
        (resident, "not_required"),
    ):
        with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
            file_usage_registration(s, pid, filed_on=TODAY)
        assert err.value.code == code
    with village.session() as s, s.begin():
        decide_usage_registration(s, unregistered, approve=True, on=TODAY)
    usage = _snapshot(village, unregistered).usage
    assert usage is not None and usage.status == "approved" and usage.decided_on == TODAY
    with village.session() as s, s.begin(), pytest.raises(RegistryError):
        decide_usage_registration(s, unregistered, approve=False, on=TODAY)


def test_day1_card_issue_and_continued_use_dates(village: Village) -> None:
    """DAY-1: the registry keeps the issue date and the continued-use date of each credential."""
    with village.session() as s:
        issued = find_person(s, "card_issued_today", today=TODAY)
        continued = find_person(s, "continued_use_today", today=TODAY)
        assert any(c.issued_on == TODAY for c in cards_of(s, issued))
        assert any(c.continued_use_on == TODAY for c in cards_of(s, continued))
        adult = find_person(s, "adult_resident", today=TODAY)
        assert all(c.issued_on < TODAY and c.continued_use_on != TODAY for c in cards_of(s, adult))


def test_link_card_card_record_and_person_by_serial(village: Village) -> None:
    """Interfaces: link_card → card_record → person_by_serial, for a card and a phone credential."""
    auth, sign, phone = 7_000_000_000_001, 7_000_000_000_002, 7_000_000_000_003
    with village.session() as s, s.begin():
        pid = find_person(s, "adult_resident", today=TODAY)
        link_card(s, pid, auth_serial=auth, sign_serial=sign, issued_on=TODAY)
        link_card(s, pid, auth_serial=phone, sign_serial=None, issued_on=TODAY, credential="phone")
    with village.session() as s:
        rec = card_record(s, auth)
        assert rec is not None and (rec.person_id, rec.issued_on, rec.credential) == (pid, TODAY, "card")
        assert rec.continued_use_on is None
        assert card_record(s, phone).credential == "phone"  # type: ignore[union-attr]
        assert card_record(s, 123) is None
        # RFC 5280 serials reach 160 bits; past 64 they cannot be stored, so they are simply unknown
        for serial in (2**63, 2**159, -1):
            assert card_record(s, serial) is None
            assert repository.person_by_serial(s, serial) is None
        by_card, by_phone = repository.person_by_serial(s, auth), repository.person_by_serial(s, phone)
        assert by_card is not None and by_phone is not None
        assert by_card.person_id == by_phone.person_id == pid
    for kwargs, code in (
        ({"auth_serial": auth, "sign_serial": None}, "serial_already_linked"),
        ({"auth_serial": 5, "sign_serial": sign}, "serial_already_linked"),
        ({"auth_serial": 6, "sign_serial": None, "credential": "watch"}, "bad_request"),
    ):
        with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
            link_card(s, pid, issued_on=TODAY, **kwargs)
        assert err.value.code == code
    with village.session() as s, s.begin(), pytest.raises(RegistryError) as err:
        link_card(s, "044245-9999999", auth_serial=8, sign_serial=None, issued_on=TODAY)
    assert err.value.code == "person_unknown"


def test_card_holder_for_residents_and_non_residents(village: Village) -> None:
    with village.session() as s:
        pid = find_person(s, "former_surname", today=TODAY)
        holder = card_holder(s, pid)
        p = repository.person(s, pid)
        assert holder is not None and p is not None and p.address is not None
        assert holder.address == p.address.address
        assert holder.name == f"{p.family_name}\u3000{p.given_name}"
        nonres = find_person(s, "nonresident_honseki_registered", today=TODAY)
        h2 = card_holder(s, nonres)
        fuhyo = repository.fuhyo(s, nonres)
        assert h2 is not None and fuhyo and h2.address == fuhyo[-1].address
        dead = find_person(s, "deceased", today=TODAY)
        assert card_holder(s, dead) is None


def test_household_members_exclude_removed_persons_and_list_the_head_first(village: Village) -> None:
    """CRT-1: the household is its current residents; moved-out and deceased persons are not in it."""
    with village.session() as s:
        head = find_person(s, "household_head_with_members", today=TODAY)
        members = repository.household_members(s, head)
        assert members[0].person_id == head and members[0].is_head
        assert len(members) >= 2
        assert all(m.status == "resident" and m.household_no == members[0].household_no for m in members)
        hh = repository.household(s, head)
        assert hh is not None and hh.has_member(head)
        assert repository.household_members(s, find_person(s, "deceased", today=TODAY)) == ()


def test_registers_large_closed_and_pre_conversion(village: Village) -> None:
    """CRT-4 inputs: a large current register; closed and pre-conversion registers keep their status."""
    with village.session() as s:
        big = repository.register_of(s, find_person(s, "large_register", today=TODAY))
        assert big is not None and big.status == "current" and len(big.members) >= 9
        assert big.honseki.startswith("宮城県黒川郡大衡村")
        assert all(e.kind for m in big.members for e in m.events)
        pid = find_person(s, "closed_register_member", today=TODAY)
        statuses = {r.status for r in [repository.register_of(s, pid)] if r is not None}
        assert statuses  # the person has a register here
        from kofu.registry.models import Koseki, KosekiMember

        closed = s.scalars(
            select(Koseki.status)
            .join(KosekiMember, KosekiMember.koseki_fk == Koseki.id)
            .join(Person, Person.id == KosekiMember.person_fk)
            .where(Person.person_id == pid)
        ).all()
        assert "closed" in closed
        pre = repository.register_of(s, find_person(s, "pre_conversion_member", today=TODAY))
        assert pre is not None


def test_crt1_records_never_carry_juminhyo_code_or_my_number(village: Village) -> None:
    """CRT-1: 住民票コード and 個人番号 are stored but no record leaving the registry holds them."""
    with village.session() as s:
        pid = find_person(s, "adult_resident", today=TODAY)
        code, number = s.execute(
            select(Person.juminhyo_code, Person.kojin_bango).where(Person.person_id == pid)
        ).one()
    assert code and number
    snap = _snapshot(village, pid)
    text = repr(snap)
    assert code not in text and number not in text
    names = {f.name for f in dataclasses.fields(PersonRecord)}
    assert not names & {"juminhyo_code", "kojin_bango"}


def test_snapshot_is_one_consistent_read(village: Village, monkeypatch: pytest.MonkeyPatch) -> None:
    """INC-4/INC-5: a change committed while a snapshot is being read does not appear half-way in it."""
    from kofu.db import session_factory

    with village.session() as s:
        pid = find_person(s, "adult_resident", today=TODAY)
    original_seal = repository.seal
    writes: list[int] = []

    def seal_then_concurrent_write(session, person_id):  # type: ignore[no-untyped-def]
        result = original_seal(session, person_id)
        if not writes:  # another worker moves the person and reflects it, mid-snapshot
            with transaction(session_factory(village.engine)) as other:
                change = file_address_change(
                    other,
                    person_id,
                    address="宮城県黒川郡大衡村駒場字沢田5番地",
                    since=TODAY,
                    notified_on=TODAY,
                )
                reflect_change(other, change, on=TODAY)
                abolish_seal(other, person_id, on=TODAY + timedelta(days=1))
            writes.append(change)
        return result

    monkeypatch.setattr(repository, "seal", seal_then_concurrent_write)
    snap = repository.read_snapshot(village.engine, pid)
    assert writes and snap is not None
    # Read before the write: old address; read after the write inside the same snapshot: no pending change.
    assert (
        snap.person.address is not None and snap.person.address.address != "宮城県黒川郡大衡村駒場字沢田5番地"
    )
    assert not snap.has_pending()
    monkeypatch.setattr(repository, "seal", original_seal)
    fresh = _snapshot(village, pid)
    assert fresh.person.address.address == "宮城県黒川郡大衡村駒場字沢田5番地"  # type: ignore[union-attr]
    assert fresh.has_pending("seal_abolition")


def test_unknown_person_reads_as_none(village: Village) -> None:
    with village.session() as s:
        assert repository.person(s, "044245-0000000") is None
        assert repository.snapshot(s, "nobody") is None
        assert repository.person_by_serial(s, 1) is None
        assert repository.tax_year(s, "nobody", FY) is None
        with pytest.raises(RegistryError):
            file_address_change(
                s, "nobody", address="x", since=date(2026, 1, 1), notified_on=date(2026, 1, 1)
            )
