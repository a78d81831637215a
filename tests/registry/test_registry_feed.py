"""The change feed: the village's events applied all or nothing, each event ID once, pending until the
time it takes effect (LAG-1, LAG-2: the affected kinds are refused meanwhile), then reflected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from registry_support import TODAY, Village
from sqlalchemy import func, select
from typer.testing import CliRunner

from kofu.registry import feed, repository
from kofu.registry.cases import find_person
from kofu.registry.facts import person_facts
from kofu.registry.feed import FeedRefused, apply_events, reflect_due_now
from kofu.registry.feed_events import read_events
from kofu.registry.models import Change, Person, PersonStop, TaxRecord
from kofu.rules.calendar import JST
from kofu.rules.eligibility import check_fiscal_year, check_kiosk_stop, check_pending_change
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=JST)
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
HEADER = "event_id,kind,person_id,effective_at,address,fiscal_year,salary_income,event,event_date,place"


def _csv(path: Path, *rows: str, encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def _apply(village: Village, path: Path, now: datetime = NOW) -> object:
    events, problems = read_events(path)
    assert not problems, problems
    return apply_events(village.engine, events, now=now, by="core-system")


def _persons(village: Village) -> tuple[str, str, str]:
    with village.session() as s:
        head = find_person(s, "household_head_with_members", today=TODAY)
        other = next(m.person_id for m in repository.household_members(s, head) if m.person_id != head)
        adult = find_person(s, "adult_resident", today=TODAY)
    return head, other, adult


def _fed(village: Village) -> int:
    with village.session() as s:
        return s.scalar(select(func.count()).select_from(Change).where(Change.event_id.is_not(None))) or 0


def test_feed_a_due_move_is_reflected_and_a_future_move_out_is_pending_until_its_time(
    village: Village, tmp_path: Path
) -> None:
    """LAG-1: a move-out filed for tomorrow makes the household's 住民票 refused today (never the old
    state), and is reflected when its time comes; a move effective today is reflected at once."""
    head, other, adult = _persons(village)
    new = "宮城県黒川郡大衡村大衡字平林10番地"
    path = _csv(
        tmp_path / "events.csv",
        f"e-1,move_within,{adult},{TODAY.isoformat()},{new},,,,,",
        f"e-2,move_out,{other},{TOMORROW},,,,,,",
    )
    report = _apply(village, path)
    assert (report.filed, report.reflected, report.pending) == (2, 1, 1)  # type: ignore[attr-defined]
    moved = repository.read_snapshot(village.engine, adult)
    assert moved is not None and moved.person.address is not None and moved.person.address.address == new
    snap = repository.read_snapshot(village.engine, head)
    assert snap is not None
    assert check_pending_change(person_facts(snap), Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    assert reflect_due_now(village.engine, NOW + timedelta(hours=1)) == 0  # not yet its time
    assert reflect_due_now(village.engine, NOW + timedelta(days=1)) == 1
    after = repository.read_snapshot(village.engine, head)
    assert after is not None and after.household is not None
    assert not after.household.has_member(other)
    assert check_pending_change(person_facts(after), Kind.JUMINHYO) is None
    with village.session() as s:
        assert s.scalar(select(Person.status).where(Person.person_id == other)) == "moved_out"


def test_feed_is_idempotent_by_event_id_and_refuses_an_id_reused_for_other_content(
    village: Village, tmp_path: Path
) -> None:
    _, _, adult = _persons(village)
    line = f"e-7,move_within,{adult},{TODAY.isoformat()},宮城県黒川郡大衡村大森字新田1番地,,,,,"
    path = _csv(tmp_path / "a.csv", line)
    assert _apply(village, path).filed == 1  # type: ignore[attr-defined]
    again = _apply(village, path)
    assert (again.filed, again.already_applied) == (0, 1)  # type: ignore[attr-defined]
    other = _csv(tmp_path / "b.csv", line.replace("新田1番地", "新田2番地"))
    events, _ = read_events(other)
    with pytest.raises(FeedRefused) as err:
        apply_events(village.engine, events, now=NOW, by="core-system")
    assert "applied with other content" in err.value.problems[0].reason
    assert _fed(village) == 1


def test_feed_a_bad_value_names_its_line_and_field_and_nothing_is_applied(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "bad.csv",
        f"e-1,move_within,044245-0000001,{TODAY.isoformat()},宮城県黒川郡大衡村1番地,,,,,",
        '"e-2",move_within,044245-0000001,2026-02-30,"宮城県黒川郡大衡村\n2番地",,,,,',
        "e-3,tax_declaration,044245-0000001,2026-07-01,,20x6,,,,",
        "e-4,wedding,044245-0000001,2026-07-01,,,,,,",
        "e-1,death,044245-0000002,2026-07-01,,,,,,",
    )
    _, problems = read_events(path)
    where = {(p.line, p.field) for p in problems}
    # line 3 holds a field spanning two lines: the next record starts on line 5
    assert {(3, "effective_at"), (5, "fiscal_year"), (6, "kind"), (7, "event_id")} <= where, problems


def test_feed_a_refusal_of_one_event_refuses_the_whole_file(village: Village, tmp_path: Path) -> None:
    _, _, adult = _persons(village)
    path = _csv(
        tmp_path / "events.csv",
        f"e-1,move_within,{adult},{TODAY.isoformat()},宮城県黒川郡大衡村大衡1番地,,,,,",
        f"e-2,seal_abolition,044245-9999999,{TODAY.isoformat()},,,,,,",
    )
    events, _ = read_events(path)
    with pytest.raises(FeedRefused) as err:
        apply_events(village.engine, events, now=NOW, by="core-system")
    assert (err.value.problems[0].line, err.value.problems[0].field) == (3, "person_id")
    assert _fed(village) == 0
    snap = repository.read_snapshot(village.engine, adult)
    assert snap is not None and snap.person.address is not None
    assert snap.person.address.address != "宮城県黒川郡大衡村大衡1番地"


def test_feed_jsonl_and_cp932_files_are_read(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    rows = [
        {
            "event_id": "j-1",
            "kind": "death",
            "person_id": "044245-0000001",
            "effective_at": "2026-07-01T10:00",
        },
        {
            "event_id": "j-2",
            "kind": "support_measure_start",
            "person_id": "044245-0000002",
            "effective_at": "2026-07-01",
        },
    ]
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    events, problems = read_events(jsonl)
    assert not problems and [e.event.kind for e in events] == ["death", "support_measure_start"]
    assert events[0].event.effective_at == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # Japan time
    sjis = _csv(
        tmp_path / "sjis.csv",
        "s-1,move_within,044245-0000001,2026-07-01,宮城県黒川郡大衡村髙森1番地,,,,,",
        encoding="cp932",
    )
    events, problems = read_events(sjis)
    assert not problems and "髙森" in events[0].event.address  # type: ignore[union-attr]


def test_feed_a_tax_declaration_withholds_its_year_until_reflected_lag2(
    village: Village, tmp_path: Path
) -> None:
    with village.session() as s:
        person_id, fy = s.execute(
            select(Person.person_id, TaxRecord.fiscal_year)
            .join(TaxRecord, TaxRecord.person_fk == Person.id)
            .where(Person.status == "resident")
            .order_by(TaxRecord.fiscal_year.desc(), Person.id)
        ).first()  # type: ignore[misc]
    path = _csv(tmp_path / "tax.csv", f"t-1,tax_declaration,{person_id},{TOMORROW},,{fy},4000000,,,")
    _apply(village, path)
    snap = repository.read_snapshot(village.engine, person_id)
    assert snap is not None
    assert check_fiscal_year(person_facts(snap), fy, (fy,)) is Reason.TAX_DECLARATION_PENDING
    reflect_due_now(village.engine, NOW + timedelta(days=1))
    with village.session() as s:
        salary = s.scalar(
            select(TaxRecord.salary_income)
            .join(Person, Person.id == TaxRecord.person_fk)
            .where(Person.person_id == person_id, TaxRecord.fiscal_year == fy)
        )
    assert salary == 4_000_000


def test_feed_a_support_measure_stops_the_person_from_the_time_it_takes_effect(
    village: Village, tmp_path: Path
) -> None:
    head, other, _ = _persons(village)
    path = _csv(tmp_path / "sm.csv", f"s-1,support_measure_start,{other},{TODAY.isoformat()},,,,,,")
    _apply(village, path)
    snap = repository.read_snapshot(village.engine, head)
    assert snap is not None
    assert check_kiosk_stop(person_facts(snap), Kind.JUMINHYO, (other,)) is Reason.NOT_AVAILABLE_AT_KIOSK
    with village.session() as s:
        assert s.scalar(select(PersonStop.set_by)) == "core-system"


def test_feed_cli_reports_line_and_field_then_applies(village: Village, tmp_path: Path) -> None:
    from kofu.registry.cli import app

    _, _, adult = _persons(village)
    runner = CliRunner()
    bad = _csv(tmp_path / "bad.csv", f"c-1,move_within,{adult},someday,宮城県黒川郡大衡村1番地,,,,,")
    out = runner.invoke(app, ["apply", str(bad), "--db", village.url])
    assert out.exit_code == 2 and "bad.csv, line 2, field effective_at" in out.output
    assert "nothing was applied" in out.output and _fed(village) == 0
    good = _csv(
        tmp_path / "good.csv", f"c-1,move_within,{adult},{TODAY.isoformat()},宮城県黒川郡大衡村1番地,,,,,"
    )
    out = runner.invoke(app, ["apply", str(good), "--db", village.url])
    assert out.exit_code == 0, out.output
    assert "filed 1 (move_within 1)" in out.output and _fed(village) == 1


def test_feed_events_survive_a_csv_export_and_import(
    village: Village, tmp_path: Path, sqlite_url: str
) -> None:
    """The journal's event columns (ID, effective time, digest, the household joined, no person yet for a
    newcomer) round-trip through the CSV files."""
    from kofu.db import make_engine
    from kofu.registry.csvio import export_csv, import_csv
    from kofu.registry.schema import migrate_registry

    head, other, _ = _persons(village)
    _apply(village, _csv(tmp_path / "e.csv", f"x-1,move_out,{other},{TOMORROW},,,,,,"))
    snap = repository.read_snapshot(village.engine, head)
    assert snap is not None and snap.household is not None
    move_in = {
        "event_id": "x-2",
        "kind": "move_in",
        "person_id": "044245-0900001",
        "effective_at": TOMORROW,
        "family_name": "林",
        "family_kana": "ハヤシ",
        "given_name": "一",
        "given_kana": "ハジメ",
        "birth_date": "1980-01-01",
        "sex": "male",
        "address": snap.household.address,
        "previous_address": "東京都港区芝公園4丁目2番8号",
        "household_no": snap.household.household_no,
        "relationship": "同居人",
    }
    (tmp_path / "in.jsonl").write_text(json.dumps(move_in, ensure_ascii=False), encoding="utf-8")
    _apply(village, tmp_path / "in.jsonl")
    export_csv(village.engine, tmp_path / "first")
    target = sqlite_url.replace("kofu.db", "copy.db")
    migrate_registry(target)
    engine = make_engine(target)
    try:
        import_csv(engine, tmp_path / "first")
        export_csv(engine, tmp_path / "second")
        with engine.connect() as conn:
            due = conn.scalar(select(Change.effective_at).where(Change.event_id == "x-1"))
            newcomer = conn.execute(
                select(Change.person_fk, Change.household_fk).where(Change.event_id == "x-2")
            )
            person_fk, household_fk = newcomer.one()
    finally:
        engine.dispose()
    assert due == datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), JST)
    assert person_fk is None and household_fk is not None
    first = (tmp_path / "first" / "changes.csv").read_bytes()
    assert first == (tmp_path / "second" / "changes.csv").read_bytes()


def test_feed_a_foreign_residents_status_change_is_pending_then_printed_lag1(
    village: Village, tmp_path: Path
) -> None:
    """在留資格の変更: until reflected the 住民票 is refused, never printed with the old status."""
    with village.session() as s:
        pid = s.scalar(select(Person.person_id).where(Person.nationality.is_not(None)).order_by(Person.id))
    assert pid is not None
    rows = [
        {
            "event_id": "f-1",
            "kind": "foreign_status_change",
            "person_id": pid,
            "effective_at": TOMORROW,
            "residence_status": "永住者",
        }
    ]
    feed = tmp_path / "f.jsonl"
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    _apply(village, feed)
    snap = repository.read_snapshot(village.engine, pid)
    assert snap is not None
    assert check_pending_change(person_facts(snap), Kind.JUMINHYO) is Reason.RECORD_CHANGE_PENDING
    reflect_due_now(village.engine, NOW + timedelta(days=1))
    after = repository.read_snapshot(village.engine, pid)
    assert after is not None and after.person.foreign is not None
    assert (after.person.foreign.residence_status, after.person.foreign.residence_until) == ("永住者", None)
    assert check_pending_change(person_facts(after), Kind.JUMINHYO) is None


def test_feed_events_that_cannot_be_reflected_are_refused_when_filed_and_ends_twice_do_no_harm(
    village: Village, tmp_path: Path
) -> None:
    """An event that could never be reflected (a tax year the person has no record of) refuses the file
    at once, so no stuck change blocks the later files; a second ending of one registration (a death
    after a move-out) and an end of a support measure never begun change nothing and block nothing."""
    head, other, adult = _persons(village)
    bad = _csv(tmp_path / "tax.csv", f"t-9,tax_declaration,{adult},{TODAY.isoformat()},,1999,1,,,")
    events, _ = read_events(bad)
    with pytest.raises(FeedRefused) as err:
        apply_events(village.engine, events, now=NOW, by="core-system")
    problem = err.value.problems[0]
    assert problem.line == 2 and "tax_record_unknown" in problem.reason  # named by its line, when filed
    rows = [
        f"d-1,move_out,{other},{TODAY.isoformat()},,,,,,",
        f"d-2,death,{other},{TODAY.isoformat()},,,,,,",
        f"d-3,support_measure_end,{head},{TODAY.isoformat()},,,,,,",
    ]
    report = _apply(village, _csv(tmp_path / "ends.csv", *rows))
    assert report.reflected == 3  # type: ignore[attr-defined]
    with village.session() as s:
        assert s.scalar(select(Person.status).where(Person.person_id == other)) == "moved_out"
        assert s.scalar(select(func.count()).select_from(PersonStop)) == 0


def test_feed_two_files_filing_the_same_new_event_at_once_apply_it_once(
    village: Village, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same event posted twice at once: the later file finds it only at commit (a unique key); it is
    read again and counted as applied, never an error (the race is forced: the first look sees nothing)."""
    _, _, adult = _persons(village)
    new = "宮城県黒川郡大衡村大森字新田3番地"
    path = _csv(tmp_path / "a.csv", f"e-9,move_within,{adult},{TOMORROW},{new},,,,,")
    assert _apply(village, path).filed == 1  # type: ignore[attr-defined]
    real_known = feed._known
    looks: list[int] = []

    def blind_first_look(session: object, event_ids: list[str]) -> dict[str, str]:
        looks.append(1)
        return {} if len(looks) == 1 else real_known(session, event_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(feed, "_known", blind_first_look)
    again = _apply(village, path)
    assert (again.filed, again.already_applied) == (0, 1)  # type: ignore[attr-defined]
    assert _fed(village) == 1


def test_feed_a_register_event_lands_in_the_current_register_never_a_kaisei_genkoseki(
    village: Village,
) -> None:
    """A person also recorded in a 改製原戸籍 (a row made after their current one): the 届出 is written to
    the current register, and a person recorded only in an old register is refused when filing."""
    from kofu.registry import changes
    from kofu.registry.models import Koseki, KosekiEvent, KosekiMember

    with village.session() as s:
        live = s.scalars(
            select(KosekiMember)
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .join(Person, Person.id == KosekiMember.person_fk)
            .where(Koseki.status == "current", KosekiMember.removed.is_(False), Person.status == "resident")
        ).first()
        assert live is not None
        person = s.get(Person, live.person_fk)
        assert person is not None
        old = Koseki(
            koseki_no="K-OLD-0000001",
            honseki_place="宮城県黒川郡大衡村大衡",
            honseki_lot="1番地",
            hittousha_family=person.family_name,
            hittousha_given=person.given_name,
            made_on=TODAY - timedelta(days=9000),
            status="pre_conversion",
        )
        s.add(old)
        s.flush()
        copy = KosekiMember(
            koseki_fk=old.id,
            person_fk=live.person_fk,
            seq=1,
            given_name=live.given_name,
            birth_date=live.birth_date,
            sex=live.sex,
            relationship=live.relationship,
            removed=False,
        )
        s.add(copy)
        s.flush()
        assert copy.id > live.id
        change = changes.file_koseki_notification(
            s, person.person_id, event="adoption", event_date=TODAY, filed_on=TODAY
        )
        changes.reflect_change(s, change, on=TODAY)
        written = s.scalars(select(KosekiEvent.member_fk).where(KosekiEvent.kind == "adoption")).all()
        assert written == [live.id]
        s.rollback()


def test_feed_a_move_out_records_the_day_the_registration_ended(village: Village, tmp_path: Path) -> None:
    """A move-out reflected from the feed dates the end of the registration (a later 賦課 of a year the
    person was registered on 1 January needs it)."""
    _, _, adult = _persons(village)
    _apply(village, _csv(tmp_path / "out.csv", f"e-out,move_out,{adult},{TODAY.isoformat()},,,,,,"))
    with village.session() as s:
        ended = s.scalar(select(Person.status_changed_on).where(Person.person_id == adult))
    assert ended == TODAY
