"""The change feed's kinds that add to a record (issue 25 item 1): each is refused at filing when it could
never be reflected, pending until its time (LAG-1, LAG-2: the kinds it affects are refused meanwhile),
then reflected; CSV (one column per field of any kind) and JSON Lines alike."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from registry_support import TODAY, Village
from sqlalchemy import select

from kofu.registry import repository
from kofu.registry.cases import find_person
from kofu.registry.facts import person_facts
from kofu.registry.feed import FeedRefused, FeedReport, apply_events, reflect_due_now
from kofu.registry.feed_events import read_events
from kofu.registry.models import Koseki, KosekiMember, Person, TaxRecord
from kofu.registry.taxcalc import assess
from kofu.rules.calendar import JST
from kofu.rules.eligibility import check_fiscal_year, check_pending_change, check_seal
from kofu.rules.facts import PersonFacts
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=JST)
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
LATER = NOW + timedelta(days=1)


def _write(path: Path, rows: list[Mapping[str, Any]]) -> Path:
    """The rows as JSON Lines (.jsonl) or as CSV whose columns are the union of the rows' fields."""
    if path.suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
        return path
    header = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(header), *(",".join(str(r.get(h, "")) for h in header) for r in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


def _event(event_id: str, kind: str, person_id: str, when: str = TOMORROW, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "kind": kind, "person_id": person_id, "effective_at": when, **fields}


def _apply(village: Village, path: Path) -> FeedReport:
    events, problems = read_events(path)
    assert not problems, problems
    return apply_events(village.engine, events, now=NOW, by="core-system")


def _refused(village: Village, path: Path) -> list[tuple[int, str, str]]:
    events, problems = read_events(path)
    if problems:
        return [(p.line, p.field, p.reason) for p in problems]
    with pytest.raises(FeedRefused) as err:
        apply_events(village.engine, events, now=NOW, by="core-system")
    return [(p.line, p.field, p.reason) for p in err.value.problems]


def _facts(village: Village, person_id: str) -> PersonFacts:
    snap = repository.read_snapshot(village.engine, person_id)
    assert snap is not None
    return person_facts(snap)


def _case(village: Village, case: str) -> str:
    with village.session() as s:
        return find_person(s, case, today=TODAY)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_feed_seal_registration_is_pending_until_its_time_then_certified(
    village: Village, tmp_path: Path, suffix: str
) -> None:
    """印鑑登録: until reflected the 印鑑登録証明書 is refused record_change_pending (never "no seal");
    then the person holds a registered seal with its number and an impression made from their surname."""
    pid = _case(village, "no_seal")
    path = _write(
        tmp_path / f"seal{suffix}", [_event("r-1", "seal_registration", pid, registration_no="R-1")]
    )
    assert _apply(village, path).pending == 1
    before = _facts(village, pid)
    assert check_seal(before) is Reason.RECORD_CHANGE_PENDING
    assert check_pending_change(before, Kind.INKAN) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, LATER) == 1
    snap = repository.read_snapshot(village.engine, pid)
    assert snap is not None and snap.seal is not None and snap.seal.is_registered
    assert snap.seal.registration_no == "R-1" and snap.seal.png.startswith(b"\x89PNG")
    after = person_facts(snap)
    assert check_seal(after) is None and check_pending_change(after, Kind.INKAN) is None


def test_feed_seal_registration_refused_when_filed_if_it_could_never_be_reflected(
    village: Village, tmp_path: Path
) -> None:
    """A second live registration, a taken number, a minor and a bad size refuse the file by line."""
    holder, minor, free = (_case(village, c) for c in ("adult_resident", "under_15", "no_seal"))
    rows = [
        _event("r-1", "seal_registration", holder, registration_no="R-9"),
        _event("r-2", "seal_registration", minor, registration_no="R-8"),
        _event("r-3", "seal_registration", free, registration_no="R-7"),
        _event("r-4", "seal_registration", free, registration_no="R-7"),
    ]
    refused = _refused(village, _write(tmp_path / "seal.csv", rows))
    assert [(line, field) for line, field, _ in refused] == [
        (2, "person_id"),
        (3, "person_id"),
        (5, "person_id"),
    ]
    assert "seal_already_registered" in refused[0][2] and "under_15" in refused[1][2]
    bad = _event("r-5", "seal_registration", free, registration_no="R-6", size_mm=40)
    assert [(line, field) for line, field, _ in _refused(village, _write(tmp_path / "b.csv", [bad]))] == [
        (2, "size_mm")
    ]


def _newest_year_and_person(village: Village) -> tuple[str, int, int]:
    """A resident registered here for years: their id, newest tax year, and the oldest year they lack."""
    with village.session() as s:
        pid = find_person(s, "adult_resident", today=TODAY)
        years = sorted(
            s.scalars(
                select(TaxRecord.fiscal_year)
                .join(Person, Person.id == TaxRecord.person_fk)
                .where(Person.person_id == pid)
            )
        )
        arrived = s.scalar(select(Person.became_resident_on).where(Person.person_id == pid))
    assert arrived is not None and arrived.year < years[0] - 1, "a resident long before their oldest record"
    return pid, years[-1], years[0] - 1


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_feed_tax_assessment_withholds_its_year_until_reflected_lag2(
    village: Village, tmp_path: Path, suffix: str
) -> None:
    """賦課: a year first assessed and a year assessed again are both refused tax_declaration_pending until
    reflected (never "not resident on 1 January", never the old amounts), then hold the computed record."""
    pid, newest, new_year = _newest_year_and_person(village)
    rows = [
        _event("a-1", "tax_assessment", pid, fiscal_year=new_year, salary_income=3_000_000),
        _event("a-2", "tax_assessment", pid, fiscal_year=newest, pension_income=2_000_000, spouse="spouse"),
    ]
    _apply(village, _write(tmp_path / f"tax{suffix}", rows))
    for fy in (new_year, newest):
        assert check_fiscal_year(_facts(village, pid), fy, (fy,)) is Reason.TAX_DECLARATION_PENDING
    assert reflect_due_now(village.engine, LATER) == 2
    after = _facts(village, pid)
    assert all(check_fiscal_year(after, fy, (fy,)) is None for fy in (new_year, newest))
    with village.session() as s:
        birth = s.scalar(select(Person.birth_date).where(Person.person_id == pid))
        record = s.scalar(
            select(TaxRecord)
            .join(Person, Person.id == TaxRecord.person_fk)
            .where(Person.person_id == pid, TaxRecord.fiscal_year == new_year)
        )
        assert birth is not None and record is not None
        expected = assess(
            fiscal_year=new_year,
            salary_income=3_000_000,
            pension_income=0,
            other_earnings=0,
            age=new_year - 1 - birth.year,
            social_insurance=0,
            life_insurance=0,
            has_spouse=False,
            dependants=0,
        )
        assert (record.salary_income, record.tax_total) == (3_000_000, expected.tax_total)
        assert record.address_jan1
        again = s.scalar(
            select(TaxRecord)
            .join(Person, Person.id == TaxRecord.person_fk)
            .where(Person.person_id == pid, TaxRecord.fiscal_year == newest)
        )
        assert again is not None and (again.salary_income, again.pension_income) == (0, 2_000_000)
        assert again.ded_spouse > 0


def test_feed_tax_assessment_of_a_year_the_person_was_not_registered_is_refused_when_filed(
    village: Village, tmp_path: Path
) -> None:
    pid, _, _ = _newest_year_and_person(village)
    with village.session() as s:
        arrived = s.scalar(select(Person.became_resident_on).where(Person.person_id == pid))
    assert arrived is not None
    row = _event("a-9", "tax_assessment", pid, fiscal_year=arrived.year - 1, salary_income=1)
    refused = _refused(village, _write(tmp_path / "tax.csv", [row]))
    assert refused[0][:2] == (2, "person_id") and "not_resident_on_jan_1" in refused[0][2]
    bad = _event("a-8", "tax_assessment", pid, fiscal_year=2026, spouse="two")
    assert [(line, field) for line, field, _ in _refused(village, _write(tmp_path / "b.csv", [bad]))] == [
        (2, "spouse")
    ]


def _head_and_member(village: Village) -> tuple[str, str]:
    with village.session() as s:
        head = find_person(s, "household_head_with_members", today=TODAY)
        other = next(m.person_id for m in repository.household_members(s, head) if m.person_id != head)
    return head, other


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_feed_name_change_refuses_every_certificate_printing_the_name_until_reflected(
    village: Village, tmp_path: Path, suffix: str
) -> None:
    """氏名変更: until reflected the person's own kinds and the household's 住民票 are refused
    record_change_pending, never printed with the old name; another member's own kinds are not."""
    head, other = _head_and_member(village)
    row = _event("n-1", "name_change", other, given_name="花子", given_kana="ハナコ")
    _apply(village, _write(tmp_path / f"name{suffix}", [row]))
    own, heads = _facts(village, other), _facts(village, head)
    assert all(check_pending_change(own, kind) is Reason.RECORD_CHANGE_PENDING for kind in Kind)
    assert check_pending_change(heads, Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    assert check_pending_change(heads, Kind.KAZEI) is None
    assert reflect_due_now(village.engine, LATER) == 1
    snap = repository.read_snapshot(village.engine, head)
    assert snap is not None and snap.household is not None
    member = next(m for m in snap.household.members if m.person_id == other)
    assert (member.given_name, member.given_kana) == ("花子", "ハナコ")
    assert check_pending_change(person_facts(snap), Kind.JUMINHYO) is None


def test_feed_name_change_needs_a_name_with_its_kana_and_a_resident(village: Village, tmp_path: Path) -> None:
    _, other = _head_and_member(village)
    with village.session() as s:
        gone = find_person(s, "moved_out", today=TODAY)
    rows = [
        _event("n-1", "name_change", other, family_name="山田"),
        _event("n-2", "name_change", other),
    ]
    problems = _refused(village, _write(tmp_path / "bad.csv", rows))
    assert [line for line, _, _ in problems] == [2, 3] and "change together" in problems[0][2]
    row = _event("n-3", "name_change", gone, family_name="山田", family_kana="ヤマダ")
    assert "not_resident" in _refused(village, _write(tmp_path / "gone.jsonl", [row]))[0][2]


def _household_no(village: Village, person_id: str) -> str:
    snap = repository.read_snapshot(village.engine, person_id)
    assert snap is not None and snap.household is not None
    return snap.household.household_no


def test_feed_household_change_refuses_both_households_juminhyo_until_reflected(
    village: Village, tmp_path: Path
) -> None:
    """世帯変更: a member heads a new household at the same address, then joins the old one again; each
    time both households' 住民票 are refused record_change_pending until it is reflected."""
    head, other = _head_and_member(village)
    old = _household_no(village, head)
    _apply(village, _write(tmp_path / "split.csv", [_event("h-1", "household_change", other)]))
    for pid in (head, other):
        assert check_pending_change(_facts(village, pid), Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    assert check_pending_change(_facts(village, other), Kind.INKAN) is None
    assert reflect_due_now(village.engine, LATER) == 1
    new = _household_no(village, other)
    snap = repository.read_snapshot(village.engine, other)
    assert snap is not None and snap.household is not None and new != old
    assert [m.person_id for m in snap.household.members] == [other] and snap.household.head is not None
    assert check_pending_change(person_facts(snap), Kind.JUMINHYO) is None
    assert other not in _facts(village, head).household_member_ids
    back = _event("h-2", "household_change", other, (TODAY + timedelta(days=2)).isoformat())
    back |= {"household_no": old, "relationship": "子"}
    _apply(village, _write(tmp_path / "back.jsonl", [back]))
    for pid in (head, other):  # the household joined has no member filed: it is refused all the same
        assert check_pending_change(_facts(village, pid), Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, LATER + timedelta(days=1)) == 1
    back_in = _facts(village, head)
    assert other in back_in.household_member_ids and check_pending_change(back_in, Kind.JUMINHYO) is None


def test_feed_household_change_refused_when_filed_if_it_could_never_be_reflected(
    village: Village, tmp_path: Path
) -> None:
    """An unknown household, one at another address (a move comes first), a head leaving members."""
    head, other = _head_and_member(village)
    elsewhere = _household_no(village, _case(village, "adult_resident"))
    assert elsewhere != _household_no(village, head)
    rows = [
        _event("h-1", "household_change", other, household_no="044245-H9999999", relationship="子"),
        _event("h-2", "household_change", other, household_no=elsewhere, relationship="同居人"),
        _event("h-3", "household_change", head),
    ]
    refused = _refused(village, _write(tmp_path / "bad.csv", rows))
    codes = [reason.split(":")[0] for _, _, reason in refused]
    assert codes == ["household_unknown", "address_differs", "head_with_members"]


def _parent_in_register_here(village: Village) -> str:
    """A resident head of a household with members whose register is here, still in it."""
    with village.session() as s:
        return s.scalars(
            select(Person.person_id)
            .join(KosekiMember, KosekiMember.person_fk == Person.id)
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .where(
                Person.status == "resident",
                Person.relationship == "世帯主",
                KosekiMember.removed.is_(False),
                Koseki.status == "current",
            )
            .order_by(Person.id)
        ).first()  # type: ignore[return-value]


def test_feed_birth_creates_nobody_until_reflected_then_joins_household_and_register(
    village: Village, tmp_path: Path
) -> None:
    """出生: until reflected the child exists nowhere and the household's 住民票 and the register's
    certificates are refused record_change_pending; then the child is a resident of the parent's household
    and address (異動事由 出生) and a member of the parent's register with a 出生 身分事項 and a 附票 line."""
    parent = _parent_in_register_here(village)
    born = (TODAY - timedelta(days=3)).isoformat()
    row = _event("b-1", "birth", "044245-0900001", parent_id=parent, given_name="陽翔", given_kana="ハルト")
    row |= {"birth_date": born, "sex": "male", "koseki_relationship": "長男", "place": "宮城県仙台市"}
    _apply(village, _write(tmp_path / "birth.csv", [row]))
    assert repository.read_snapshot(village.engine, "044245-0900001") is None
    facts = _facts(village, parent)
    assert "044245-0900001" not in facts.household_member_ids + facts.register_member_ids
    for kind in (Kind.JUMINHYO, Kind.KOSEKI):
        assert check_pending_change(facts, kind) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, LATER) == 1
    child = repository.read_snapshot(village.engine, "044245-0900001")
    assert child is not None and child.person.address is not None and child.koseki is not None
    assert (child.person.address.reason, child.person.address.since.isoformat()) == ("出生", born)
    parent_snap = repository.read_snapshot(village.engine, parent)
    assert parent_snap is not None and parent_snap.person.address is not None
    assert child.person.address.address == parent_snap.person.address.address
    assert child.household is not None and child.household.has_member(parent)
    member = next(m for m in child.koseki.members if m.person_id == "044245-0900001")
    assert [(e.kind, e.place) for e in member.events] == [("birth", "宮城県仙台市")]
    assert [f.address for f in member.fuhyo] == [child.person.address.address]
    after = person_facts(parent_snap)
    assert all(check_pending_change(after, kind) is None for kind in (Kind.JUMINHYO, Kind.KOSEKI))


def test_feed_move_in_records_its_dates_and_former_address_and_refuses_the_household_joined(
    village: Village, tmp_path: Path
) -> None:
    """転入: a newcomer heading a new household (effective today, reflected at once) carries 住民となった
    年月日, 住所を定めた年月日 and 従前の住所; one joining an existing household tomorrow makes its
    住民票 refused record_change_pending until then, and nothing of them is visible meanwhile."""
    head, _ = _head_and_member(village)
    here = repository.read_snapshot(village.engine, head)
    assert here is not None and here.household is not None and here.household.address is not None
    names = {"family_name": "佐藤", "family_kana": "サトウ", "given_name": "健", "given_kana": "ケン"}
    person = {
        **names,
        "birth_date": "1990-04-01",
        "sex": "male",
        "previous_address": "東京都港区芝公園4丁目2番8号",
    }
    alone = _event("m-1", "move_in", "044245-0900002", TODAY.isoformat(), **person)
    alone |= {
        "address": "宮城県黒川郡大衡村大衡字平林99番地",
        "since": (TODAY - timedelta(days=2)).isoformat(),
    }
    joining = _event(
        "m-2", "move_in", "044245-0900003", **{**person, "given_name": "花", "given_kana": "ハナ"}
    )
    joining |= {"address": here.household.address, "household_no": here.household.household_no}
    joining |= {"relationship": "同居人", "sex": "female"}
    report = _apply(village, _write(tmp_path / "in.jsonl", [alone, joining]))
    assert (report.reflected, report.pending) == (1, 1)
    snap = repository.read_snapshot(village.engine, "044245-0900002")
    assert snap is not None and snap.person.address is not None and snap.household is not None
    assert snap.person.became_resident_on == TODAY
    assert snap.person.address.since == TODAY - timedelta(days=2)
    assert snap.person.address.previous_address == "東京都港区芝公園4丁目2番8号"
    assert snap.household.head is not None and snap.household.head.person_id == "044245-0900002"
    assert repository.read_snapshot(village.engine, "044245-0900003") is None
    assert check_pending_change(_facts(village, head), Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, LATER) == 1
    after = _facts(village, head)
    assert "044245-0900003" in after.household_member_ids
    assert check_pending_change(after, Kind.JUMINHYO) is None


def test_feed_birth_and_move_in_refused_when_filed_if_they_could_never_be_reflected(
    village: Village, tmp_path: Path
) -> None:
    """A person ID already taken (or filed), a parent who is no resident, a register here with no 続柄,
    a household at another address than the newcomer's."""
    parent = _parent_in_register_here(village)
    gone = _case(village, "moved_out")
    child = {"given_name": "陽", "given_kana": "ヒナタ", "birth_date": TODAY.isoformat(), "sex": "female"}
    newcomer = {"family_name": "林", "family_kana": "ハヤシ", "given_name": "一", "given_kana": "ハジメ"}
    newcomer |= {"birth_date": "1980-01-01", "sex": "male", "previous_address": "東京都"}
    newcomer |= {"address": "宮城県黒川郡大衡村1番地"}
    rows = [
        _event("x-1", "birth", parent, parent_id=parent, koseki_relationship="長女", **child),
        _event("x-2", "birth", "044245-0900011", parent_id=gone, **child),
        _event("x-3", "birth", "044245-0900012", parent_id=parent, **child),
        _event("x-4", "move_in", "044245-0900013", **newcomer),
        _event("x-5", "move_in", "044245-0900013", **newcomer),
        _event(
            "x-6",
            "move_in",
            "044245-0900014",
            household_no=_household_no(village, parent),
            relationship="子",
            **newcomer,
        ),
    ]
    refused = _refused(village, _write(tmp_path / "bad.csv", rows))
    codes = [(line, reason.split(":")[0]) for line, _, reason in refused]
    assert codes == [
        (2, "person_exists"),
        (3, "not_resident"),
        (4, "bad_request"),
        (6, "person_exists"),
        (7, "address_differs"),
    ]


def _register_members(village: Village) -> tuple[str, str]:
    """A register here with its 筆頭者 and an adult child, both living, neither spouse: (head, child)."""
    adult = TODAY.replace(year=TODAY.year - 19)
    with village.session() as s:
        rows = s.execute(
            select(Person.person_id, KosekiMember.koseki_fk, KosekiMember.seq, KosekiMember.spouse_role)
            .join(KosekiMember, KosekiMember.person_fk == Person.id)
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .where(Koseki.status == "current", KosekiMember.removed.is_(False), Person.status == "resident")
            .order_by(KosekiMember.koseki_fk, KosekiMember.seq)
        ).all()
        births = {pid: born for pid, born in s.execute(select(Person.person_id, Person.birth_date))}
    heads = {r.koseki_fk: r.person_id for r in rows if r.seq == 1}
    child = next(
        r
        for r in rows
        if r.seq > 1 and r.spouse_role is None and r.koseki_fk in heads and births[r.person_id] <= adult
    )
    return heads[child.koseki_fk], child.person_id


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_feed_koseki_separation_makes_a_register_of_their_own_when_reflected(
    village: Village, tmp_path: Path, suffix: str
) -> None:
    """分籍: until reflected the register's certificates are refused record_change_pending; then the child
    is 除籍 (分籍) from it with 【新本籍】 and heads a new register here (戸籍編製) carrying their 出生 entry
    and a 分籍 entry with 【従前戸籍】, their 附票 beginning at their address."""
    head, child = _register_members(village)
    row = _event("k-1", "koseki_separation", child, honseki_place="宮城県黒川郡大衡村大衡字平林")
    _apply(village, _write(tmp_path / f"sep{suffix}", [row | {"honseki_lot": "5番地"}]))
    for pid in (head, child):
        assert check_pending_change(_facts(village, pid), Kind.KOSEKI) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, LATER) == 1
    old = repository.read_snapshot(village.engine, head)
    new = repository.read_snapshot(village.engine, child)
    assert old is not None and old.koseki is not None and new is not None and new.koseki is not None
    left = next(m for m in old.koseki.members if m.person_id == child)
    assert left.removed and left.events[-1].kind == "separation"
    assert left.events[-1].new_register == "宮城県黒川郡大衡村大衡字平林5番地"
    assert new.koseki.koseki_no != old.koseki.koseki_no and new.koseki.honseki_lot == "5番地"
    assert [m.person_id for m in new.koseki.members] == [child]
    own = new.koseki.members[0]
    assert [e.kind for e in own.events][-1] == "separation" and own.events[-1].previous_register
    assert new.person.address is not None and [f.address for f in own.fuhyo] == [new.person.address.address]
    assert new.person.honseki == "宮城県黒川郡大衡村大衡字平林5番地"
    for snap in (old, new):
        assert check_pending_change(person_facts(snap), Kind.KOSEKI) is None


def test_feed_koseki_separation_refused_when_filed_for_the_hittousha_or_a_minor(
    village: Village, tmp_path: Path
) -> None:
    head, _ = _register_members(village)
    minor = _case(village, "under_15")
    place = {"honseki_place": "宮城県黒川郡大衡村大衡", "honseki_lot": "1番地"}
    rows = [
        _event("k-1", "koseki_separation", head, **place),
        _event("k-2", "koseki_separation", minor, **place),
    ]
    refused = _refused(village, _write(tmp_path / "bad.jsonl", rows))
    assert [reason.split(":")[0] for _, _, reason in refused] == ["cannot_separate", "under_18"]
