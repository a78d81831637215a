"""The composer: one consistent registry snapshot → content, field by field, refusing stale records.

INC-4 (abolished seal), INC-5 / LAG-1 (pending change), LAG-2 (pending tax declaration), INC-6 (旧氏),
CRT-1 (household only; never 住民票コード or 個人番号), CRT-4 (current register only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from doc_support import run, write
from kofu.db import make_engine
from kofu.documents import codec
from kofu.documents.content import (
    Content,
    FuhyoContent,
    JuminhyoContent,
    KazeiContent,
    KosekiContent,
    KosekiEvent,
)
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.documents.names import wareki, wareki_fw
from kofu.municipal.compose import Choice, Issuance, compose
from kofu.registry.cases import CASES, find_person
from kofu.registry.facts import person_facts
from kofu.registry.models import Person
from kofu.registry.records import KosekiRecord, PendingChange, PersonSnapshot
from kofu.registry.repository import read_snapshot
from kofu.registry.schema import migrate_registry
from kofu.registry.village import generate_village
from kofu.rules.calendar import JST
from kofu.rules.decision import Allowed, Decision, Refused
from kofu.rules.facts import CardFacts
from kofu.rules.kinds import Kind
from kofu.rules.menu import OPTION_WHOLE, Request, decide, menu
from kofu.rules.paging import make_document_number
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook, load_rulebook
from kofu.verify.key import VerifierKey

TODAY = date(2026, 11, 20)
OFFICE_HOURS = datetime(2026, 11, 20, 10, 0, tzinfo=JST)  # a Friday, an office day (HRS-1, HRS-2)
CARD = CardFacts(credential="card", handed_over_on=date(2024, 4, 1))


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('village') / 'registry.db'}"
    migrate_registry(url)
    generate_village(url, 200, 1, today=TODAY, count_cases=False)
    yield url


def person_for(url: str, case: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return find_person(session, case, today=TODAY)
    finally:
        engine.dispose()


def snap(url: str, person_id: str) -> PersonSnapshot:
    found = read_snapshot(make_engine(url), person_id)
    assert found is not None
    return found


def issue(rulebook: Rulebook, serial: int = 1) -> Issuance:
    return Issuance(
        rulebook=rulebook,
        issued_on=TODAY,
        unique_number=make_document_number(rulebook.code, TODAY, serial),
        order_id=f"order-{serial}",
        requester_cert_digest=hashlib.sha256(b"requester").hexdigest(),
    )


def codes_in_registry(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(Person.juminhyo_code, Person.kojin_bango)).all()
    finally:
        engine.dispose()
    return {c for row in rows for c in row if c}


def test_juminhyo_matches_the_registry_field_by_field_with_kyuuji_inc6_crt1(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    person_id = person_for(village, "former_surname")
    s = snap(village, person_id)
    content = compose(s, Choice(Kind.JUMINHYO), issue(rulebook))
    assert isinstance(content, JuminhyoContent)
    assert s.household is not None
    assert [m.name for m in content.members] == [m.name for m in s.household.members]
    for entry, record in zip(content.members, s.household.members, strict=True):
        assert entry.kyuuji == record.former_surname
        assert entry.birth_date == record.birth_date
        assert entry.relationship == record.relationship
    assert content.whole_household and all(m.honseki is None for m in content.members)
    me = next(m for m in content.members if m.name == s.person.name)
    assert me.kyuuji  # the case's point: a registered 旧氏

    pdf = write(tmp_path, "j.pdf", render_and_seal(content, doc_keys, verifier.public))
    text = re.sub(r"\s+", "", run("pdftotext", "-layout", str(pdf), "-").stdout.decode())
    assert re.sub(r"\s+", "", f"{me.name}（旧氏　{me.kyuuji}）") in text
    codes = codes_in_registry(village)
    assert codes, "the registry holds 住民票コード and 個人番号"
    assert not any(code in text for code in codes)  # CRT-1: never printed


def test_chosen_members_and_options_are_applied_crt1(village: str, rulebook: Rulebook) -> None:
    person_id = person_for(village, "household_head_with_members")
    s = snap(village, person_id)
    content = compose(s, Choice(Kind.JUMINHYO, members=(person_id,), with_householder=False), issue(rulebook))
    assert isinstance(content, JuminhyoContent)
    assert [m.name for m in content.members] == [s.person.name]
    assert not content.whole_household and content.householder is None
    assert all(m.relationship is None for m in content.members)
    assert content.header.certification == rulebook.certification(Kind.JUMINHYO, "partial")
    assert s.household is not None
    other = snap(village, person_for(village, "adult_resident"))
    assert other.household is not None and other.household.household_no != s.household.household_no
    refused = compose(s, Choice(Kind.JUMINHYO, members=(person_id, other.person.person_id)), issue(rulebook))
    assert refused == Refused(Reason.NOT_IN_HOUSEHOLD)


@pytest.mark.parametrize(
    ("status", "reason"),
    [("closed", Reason.REGISTER_CLOSED), ("pre_conversion", Reason.REGISTER_PRE_CONVERSION)],
)
def test_only_a_current_register_is_printed_crt4(
    status: str, reason: Reason, village: str, rulebook: Rulebook
) -> None:
    s = snap(village, person_for(village, "large_register"))
    assert s.koseki is not None
    assert isinstance(compose(s, Choice(Kind.FUHYO), issue(rulebook)), FuhyoContent)
    old = dataclasses.replace(s, koseki=dataclasses.replace(s.koseki, status=status))
    assert compose(old, Choice(Kind.KOSEKI), issue(rulebook)) == Refused(reason)
    assert compose(old, Choice(Kind.FUHYO), issue(rulebook)) == Refused(reason)


@pytest.mark.parametrize(
    ("case", "kind", "reason"),
    [
        ("seal_abolished", Kind.INKAN, Reason.SEAL_ABOLISHED),  # INC-4
        ("seal_abolition_pending", Kind.INKAN, Reason.RECORD_CHANGE_PENDING),  # INC-4, LAG-1
        ("pending_address_change", Kind.JUMINHYO, Reason.RECORD_CHANGE_PENDING),  # INC-5, LAG-1
        ("koseki_pending", Kind.KOSEKI, Reason.RECORD_CHANGE_PENDING),  # LAG-1
        ("no_seal", Kind.INKAN, Reason.NO_SEAL_REGISTRATION),
    ],
)
def test_stale_or_unprintable_records_are_refused_never_printed_inc4_inc5_lag1(
    case: str, kind: Kind, reason: Reason, village: str, rulebook: Rulebook
) -> None:
    result = compose(snap(village, person_for(village, case)), Choice(kind), issue(rulebook))
    assert result == Refused(reason)


def test_pending_tax_declaration_refuses_that_year_only_lag2(village: str, rulebook: Rulebook) -> None:
    s = snap(village, person_for(village, "tax_pending"))
    years = [c.fiscal_year for c in s.pending if c.kind == "tax_declaration" and c.fiscal_year]
    assert years
    result = compose(s, Choice(Kind.KAZEI, fiscal_year=years[0]), issue(rulebook))
    assert result == Refused(Reason.TAX_DECLARATION_PENDING)
    other = [t.fiscal_year for t in s.tax_years if t.fiscal_year not in years]
    offered = rulebook.fiscal_years(TODAY)
    other = [y for y in other if y in offered]
    if other:
        content = compose(s, Choice(Kind.KAZEI, fiscal_year=other[0]), issue(rulebook))
        assert isinstance(content, KazeiContent)
        record = s.tax_year(other[0])
        assert record is not None and content.taxes.total == record.tax_total


def test_a_large_register_composes_every_member_and_spans_sheets_pag1(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    s = snap(village, person_for(village, "large_register"))
    content = compose(s, Choice(Kind.KOSEKI), issue(rulebook, 2))
    assert isinstance(content, KosekiContent)
    assert s.koseki is not None
    assert [p.name for p in content.persons] == [m.given_name for m in s.koseki.members]
    assert content.hittousha == s.koseki.hittousha
    pdf = write(tmp_path, "k.pdf", render_and_seal(content, doc_keys, verifier.public))
    assert "Signature is Valid" in run("pdfsig", str(pdf)).stdout.decode()


def _mixed_register_household(url: str, rulebook: Rulebook) -> PersonSnapshot:
    """A resident whose household holds members of more than one 戸籍 (e.g. parents and a married child),
    and whose 住民票 can be printed today."""
    for s in _snapshots(url):
        mixed = s.household is not None and len({m.honseki for m in s.household.members}) > 1
        if mixed and not isinstance(compose(s, Choice(Kind.JUMINHYO), issue(rulebook)), Refused):
            return s
    raise LookupError("the village has no household of members with different 本籍")


def test_juminhyo_prints_each_members_own_honseki_and_hittousha_crt1(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """本籍・筆頭者 belong to each person: a household of two registers prints each member's own."""
    s = _mixed_register_household(village, rulebook)
    assert s.household is not None
    content = compose(s, Choice(Kind.JUMINHYO, with_honseki=True), issue(rulebook))
    assert isinstance(content, JuminhyoContent)
    for entry, record in zip(content.members, s.household.members, strict=True):
        assert (entry.honseki, entry.hittousha) == (record.honseki, record.hittousha)
    pdf = write(tmp_path, "j.pdf", render_and_seal(content, doc_keys, verifier.public))
    text = re.sub(r"\s+", "", run("pdftotext", "-layout", str(pdf), "-").stdout.decode())
    for record in s.household.members:
        assert record.honseki is not None and record.hittousha is not None
        assert re.sub(r"\s+", "", record.honseki) in text
        assert re.sub(r"\s+", "", record.hittousha) in text
    without = compose(s, Choice(Kind.JUMINHYO), issue(rulebook))
    assert isinstance(without, JuminhyoContent)
    assert all(m.honseki is None and m.hittousha is None for m in without.members)


def test_kazei_prints_each_years_per_capita_levies_and_the_villages_levy_name_crt3(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """令和5年度 carries the 復興 surcharge (3,500 / 2,700), 令和6年度 the 森林環境税 instead (3,000 / 2,200 +
    1,000); the municipal levy of a village is 村民税, not 市町村民税."""
    taxed = next(
        s
        for s in _snapshots(village)
        if all((t := s.tax_year(fy)) is not None and not t.non_taxable for fy in (2023, 2024))
        and not s.pending
    )
    years = {}
    for fy in (2023, 2024):
        content = compose(taxed, Choice(Kind.KAZEI, fiscal_year=fy), issue(rulebook))
        assert isinstance(content, KazeiContent), content
        years[fy] = content.taxes
    assert (years[2023].municipal_per_capita, years[2023].prefectural_per_capita) == (3_500, 2_700)
    assert years[2023].forest_environment == 0
    assert (years[2024].municipal_per_capita, years[2024].prefectural_per_capita) == (3_000, 2_200)
    assert years[2024].forest_environment == 1_000
    content = compose(taxed, Choice(Kind.KAZEI, fiscal_year=2024), issue(rulebook))
    assert isinstance(content, KazeiContent)
    pdf = write(tmp_path, "k.pdf", render_and_seal(content, doc_keys, verifier.public))
    text = run("pdftotext", "-layout", str(pdf), "-").stdout.decode()
    assert "村民税" in text and "市町村民税" not in text and "森林環境税" in text


@pytest.mark.parametrize("case", ["seal_abolition_pending", "pending_address_change", "koseki_pending"])
@pytest.mark.parametrize("kind", list(Kind))
def test_what_the_menu_offers_is_not_refused_as_pending_after_payment_lag1_inc4_inc5(
    case: str, kind: Kind, village: str, rulebook: Rulebook
) -> None:
    """LAG-1, INC-4, INC-5: a pending change is decided once; compose never refuses what the menu offered.

    A pending seal abolition (INC-4) holds back the seal certificate only: it changes no address
    (INC-5) and no register (LAG-1), so 住民票 and 附票 stay printable."""
    s = snap(village, person_for(village, case))
    offered = menu(rulebook, person_facts(s), CARD, kind, OFFICE_HOURS)
    composed = compose(s, Choice(kind), issue(rulebook))
    if isinstance(offered, Allowed):
        assert composed != Refused(Reason.RECORD_CHANGE_PENDING), (case, kind)


def test_a_pending_seal_abolition_refuses_the_seal_certificate_only_inc4(
    village: str, rulebook: Rulebook
) -> None:
    """INC-4: the seal certificate is refused until the abolition is reflected; the 住民票 is printed."""
    s = snap(village, person_for(village, "seal_abolition_pending"))
    assert not s.has_pending("address") and not s.has_pending("koseki")
    assert compose(s, Choice(Kind.INKAN), issue(rulebook)) == Refused(Reason.RECORD_CHANGE_PENDING)
    assert menu(rulebook, person_facts(s), CARD, Kind.INKAN, OFFICE_HOURS) == Refused(
        Reason.RECORD_CHANGE_PENDING
    )
    assert isinstance(compose(s, Choice(Kind.JUMINHYO), issue(rulebook)), JuminhyoContent)


# What compose checks itself of the rules; hours, age, DAY-1 and ELG-4 are decided before it is called.
_PRINTING_RULES = frozenset(
    {
        Reason.NOT_RESIDENT,
        Reason.NOT_IN_HOUSEHOLD,
        Reason.NOT_IN_REGISTER,
        Reason.REGISTER_CLOSED,
        Reason.REGISTER_PRE_CONVERSION,
        Reason.SEAL_ABOLISHED,
        Reason.NO_SEAL_REGISTRATION,
        Reason.NOT_RESIDENT_ON_JAN_1,
        Reason.TAX_DECLARATION_PENDING,
        Reason.RECORD_CHANGE_PENDING,
    }
)


def _request_and_choice(kind: Kind, offered: Decision) -> tuple[Request, Choice]:
    """The whole household / register / own certificate, and the newest year the menu offers (kazei)."""
    years = offered.choices.fiscal_years if isinstance(offered, Allowed) else ()
    year = years[0] if years else (rulebook_years[0] if kind is Kind.KAZEI else None)
    options = (OPTION_WHOLE,) if kind is Kind.KOSEKI else ()
    return Request(kind, fiscal_year=year, options=options), Choice(kind, fiscal_year=year)


rulebook_years = load_rulebook("ohira").fiscal_years(TODAY)


@pytest.mark.parametrize("case", CASES)
def test_the_menu_and_compose_decide_on_the_same_facts_for_every_case_lag1_lag2_crt1_crt4(
    case: str, village: str, rulebook: Rulebook
) -> None:
    """LAG-1, LAG-2, CRT-1..4: for every demo case and kind, what `decide` allows compose prints, and
    what `decide` refuses for a printing rule compose refuses too (one translation of the registry)."""
    s = snap(village, person_for(village, case))
    facts = person_facts(s)
    for kind in Kind:
        offered = menu(rulebook, facts, CARD, kind, OFFICE_HOURS)
        request, choice = _request_and_choice(kind, offered)
        decision = decide(rulebook, facts, CARD, request, OFFICE_HOURS)
        composed = compose(s, choice, issue(rulebook))
        if isinstance(decision, Allowed):
            assert not isinstance(composed, Refused), (case, kind, composed)
        elif decision.reason in _PRINTING_RULES:
            assert isinstance(composed, Refused), (case, kind, decision)


def test_the_facts_read_removed_members_and_others_pending_changes_as_the_rules_mean_crt4_lag2_inc4(
    village: str, rulebook: Rulebook
) -> None:
    """CRT-4: a removed (除籍) member is not chosen; LAG-2: only the person's own pending declaration
    holds back a year; INC-4: only the person's own pending seal abolition holds back the seal."""
    big = snap(village, person_for(village, "large_register"))
    assert big.koseki is not None
    last = big.koseki.members[-1]
    assert last.person_id is not None and last.person_id in person_facts(big).register_member_ids
    members = (*big.koseki.members[:-1], dataclasses.replace(last, removed=True))
    removed = dataclasses.replace(big, koseki=dataclasses.replace(big.koseki, members=members))
    assert last.person_id not in person_facts(removed).register_member_ids

    s = snap(village, person_for(village, "household_head_with_members"))
    assert s.household is not None
    other = next(m.person_id for m in s.household.members if m.person_id != s.person.person_id)
    year = rulebook_years[0]
    theirs = (
        PendingChange(1, other, "tax_declaration", TODAY, year),
        PendingChange(2, other, "seal_abolition", TODAY, None),
    )
    facts = person_facts(dataclasses.replace(s, pending=theirs))
    assert year not in facts.tax_pending_years and not facts.pending_seal_abolition
    mine = tuple(dataclasses.replace(c, person_id=s.person.person_id) for c in theirs)
    facts = person_facts(dataclasses.replace(s, pending=mine))
    assert year in facts.tax_pending_years and facts.pending_seal_abolition


def test_a_member_who_moved_alone_holds_back_the_households_juminhyo_in_the_menu_too_inc5_lag1(
    village: str, rulebook: Rulebook
) -> None:
    """INC-5, LAG-1: a member whose address is not yet the household's (the household change is not
    reflected) is never printed with the old address, and the menu refuses before the cash is taken."""
    s = snap(village, person_for(village, "household_head_with_members"))
    assert s.household is not None
    moved = next(m for m in s.household.members if m.person_id != s.person.person_id)
    assert moved.address is not None
    elsewhere = dataclasses.replace(
        moved, address=dataclasses.replace(moved.address, address="大衡村大衡字新町９９")
    )
    members = tuple(elsewhere if m is moved else m for m in s.household.members)
    stale = dataclasses.replace(s, household=dataclasses.replace(s.household, members=members))
    assert compose(stale, Choice(Kind.JUMINHYO), issue(rulebook)) == Refused(Reason.RECORD_CHANGE_PENDING)
    assert menu(rulebook, person_facts(stale), CARD, Kind.JUMINHYO, OFFICE_HOURS) == Refused(
        Reason.RECORD_CHANGE_PENDING
    )


def _snapshots(url: str) -> Iterator[PersonSnapshot]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ids = session.scalars(select(Person.person_id)).all()
    finally:
        engine.dispose()
    for person_id in ids:
        yield snap(url, person_id)


def _register_where(url: str, rulebook: Rulebook, found: Callable[[KosekiRecord], bool]) -> PersonSnapshot:
    """A person whose current register (printable today) satisfies `found`."""
    for s in _snapshots(url):
        k = s.koseki
        if k is not None and k.status == "current" and found(k):
            kinds = (Kind.KOSEKI, Kind.FUHYO)
            if not any(isinstance(compose(s, Choice(kind), issue(rulebook)), Refused) for kind in kinds):
                return s
    raise LookupError("no such register in the village")


def _removed_by(reason: str) -> Callable[[KosekiRecord], bool]:
    return lambda k: any(m.removed and m.removed_reason == reason for m in k.members)


def _pdf_text(content: Content, doc_keys: SealingKeys, verifier: VerifierKey, path: Path) -> str:
    """The text of every page, without blanks; pages are still apart (form feed)."""
    pdf = write(path, "doc.pdf", render_and_seal(content, doc_keys, verifier.public))
    return re.sub(r"[^\S\f]+", "", run("pdftotext", "-layout", str(pdf), "-").stdout.decode())


@pytest.mark.parametrize("reason", ["婚姻", "死亡"])
def test_fuhyo_shows_a_departed_member_erased_with_reason_and_date_crt5(
    reason: str,
    village: str,
    rulebook: Rulebook,
    doc_keys: SealingKeys,
    verifier: VerifierKey,
    tmp_path: Path,
) -> None:
    """CRT-5: a member who left the register (婚姻) or died is shown 消除 with the reason and the date, with
    the addresses the 附票 held until then and none after; the others are not erased."""
    s = _register_where(village, rulebook, _removed_by(reason))
    assert s.koseki is not None
    content = compose(s, Choice(Kind.FUHYO), issue(rulebook))
    assert isinstance(content, FuhyoContent)
    text = _pdf_text(content, doc_keys, verifier, tmp_path)
    for member, record in zip(content.members, s.koseki.members, strict=True):
        assert member.removed == record.removed
        assert (member.removed_on, member.removed_reason) == (record.removed_on, record.removed_reason)
        assert member.addresses, f"{member.name} has no address on the 附票"
        if record.removed_on is not None:
            assert all(a.since <= record.removed_on for a in member.addresses)
    gone = next(m for m in content.members if m.removed_reason == reason)
    assert gone.removed_on is not None
    assert f"消除{reason}{wareki(gone.removed_on)}" in text
    assert text.count("消除") == sum(1 for m in content.members if m.removed)
    assert codec.decode(codec.encode(content)) == content  # the back's encrypted copy carries the 消除


def test_fuhyo_prints_the_kyuuji_the_registry_holds_crt5_inc6(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """CRT-5, INC-6: a member with a registered 旧氏 is printed with it on the 附票, as on the 住民票."""
    s = _register_where(
        village,
        rulebook,
        lambda k: any(m.former_surname for m in k.members),
    )
    assert s.koseki is not None
    content = compose(s, Choice(Kind.FUHYO), issue(rulebook))
    assert isinstance(content, FuhyoContent)
    assert [m.kyuuji for m in content.members] == [m.former_surname for m in s.koseki.members]
    me = next(m for m in content.members if m.kyuuji)
    text = _pdf_text(content, doc_keys, verifier, tmp_path)
    assert re.sub(r"\s+", "", f"{me.name}（旧氏　{me.kyuuji}）") in text


def test_a_generated_fuhyo_starts_at_birth_or_at_the_registers_making_crt5(village: str) -> None:
    """CRT-5: a child born into a register has a 附票 address from the day of birth; every other member
    of a current register has one from the day the register was made (or earlier)."""
    checked, seen = 0, set()
    for s in _snapshots(village):
        k = s.koseki
        if k is None or k.status != "current" or k.koseki_no in seen:
            continue
        seen.add(k.koseki_no)
        for m in k.members:
            assert m.fuhyo, f"{m.given_name} of {k.koseki_no} has no 附票 line"
            first = min(f.since for f in m.fuhyo)
            if m.spouse_role is None and m is not k.members[0]:  # a child born into the register
                assert first == m.birth_date, (k.koseki_no, m.given_name)
                checked += 1
            elif k.made_on is not None:
                assert first <= max(k.made_on, m.birth_date), (k.koseki_no, m.given_name)
    assert checked > 10


def _items(event: KosekiEvent) -> list[str]:
    return [item.label for item in event.items]


def test_koseki_shows_a_removal_by_its_event_with_the_new_honseki_crt4(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """CRT-4 (付録第22号): a child who left by marriage is marked 除籍 and shows the 婚姻 with 【新本籍】; no
    【除籍日】 block (no item of the format); a 婚姻 carries its date once (no 【届出日】 beside 【婚姻日】);
    【従前戸籍】, 【新本籍】 and the issue date are full-width like the rest of the register."""
    s = _register_where(village, rulebook, _removed_by("婚姻"))
    assert s.koseki is not None
    content = compose(s, Choice(Kind.KOSEKI), issue(rulebook))
    assert isinstance(content, KosekiContent)
    gone = next(
        p for p, m in zip(content.persons, s.koseki.members, strict=True) if m.removed_reason == "婚姻"
    )
    assert gone.removed
    marriage = next(e for e in gone.events if e.title == "婚姻")
    assert "新本籍" in _items(marriage)
    for person in content.persons:
        for event in person.events:
            assert "除籍日" not in _items(event)
            if event.title == "婚姻":
                assert _items(event).count("婚姻日") == 1 and "届出日" not in _items(event)
            for item in event.items:
                if item.label in ("従前戸籍", "新本籍"):
                    assert item.text and not re.search(r"[0-9]", item.text), item.text
    text = _pdf_text(content, doc_keys, verifier, tmp_path)
    assert "【除籍日】" not in text and "【新本籍】" in text
    fronts = [p for p in text.split("\f") if p and "（裏面）" not in p]  # the back is no register
    assert wareki_fw(TODAY) in fronts[-1] and not any(wareki(TODAY) in page for page in fronts)


def test_koseki_records_the_spouses_death_under_the_survivor_crt4(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """CRT-4 (付録第22号): a death shows under the deceased (死亡) and under the surviving spouse as
    配偶者の死亡 【配偶者の死亡日】."""
    s = _register_where(
        village, rulebook, lambda k: any(m.removed_reason == "死亡" and m.spouse_role for m in k.members)
    )
    assert s.koseki is not None
    content = compose(s, Choice(Kind.KOSEKI), issue(rulebook))
    assert isinstance(content, KosekiContent)
    pairs = list(zip(content.persons, s.koseki.members, strict=True))
    dead = next(m for _, m in pairs if m.removed_reason == "死亡" and m.spouse_role)
    survivor = next(p for p, m in pairs if m.spouse_role and m is not dead)
    entry = next(e for e in survivor.events if e.title == "配偶者の死亡")
    assert [(i.label, i.on) for i in entry.items] == [("配偶者の死亡日", dead.removed_on)]
    text = _pdf_text(content, doc_keys, verifier, tmp_path)
    assert "配偶者の死亡【配偶者の死亡日】" in text


def test_a_foreign_residents_juminhyo_prints_nationality_and_residence_items_where_chosen(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """documents.md: for foreign residents, 国籍・地域 and 在留資格・在留期間 are options (offered only to a
    household with a foreign resident), the 通称 is printed where registered, and the name is the
    registered one, in the alphabet."""
    foreigners = [s for s in _snapshots(village) if s.person.foreign is not None and s.household is not None]
    assert foreigners, "the village has no foreign resident"
    s = next((f for f in foreigners if f.person.foreign and f.person.foreign.alias), foreigners[0])
    f = s.person.foreign
    assert f is not None and s.person.honseki is None  # a foreign national has no 戸籍
    offer = menu(rulebook, person_facts(s), CARD, Kind.JUMINHYO, OFFICE_HOURS)
    assert isinstance(offer, Allowed) and {"nationality", "residence"} <= set(offer.choices.options)
    chosen = Choice(Kind.JUMINHYO, with_nationality=True, with_residence=True)
    content = compose(s, chosen, issue(rulebook))
    assert isinstance(content, JuminhyoContent)
    entry = content.members[0]
    assert entry.nationality == f.nationality and entry.residence is not None
    assert entry.residence.status == f.residence_status and entry.alias == f.alias
    pdf = write(tmp_path, "j.pdf", render_and_seal(content, doc_keys, verifier.public))
    text = re.sub(r"\s+", "", run("pdftotext", "-layout", str(pdf), "-").stdout.decode())
    for item in ("国籍・地域", f.nationality, "在留資格", f.residence_status or "", s.person.family_name):
        assert re.sub(r"\s+", "", item) in text, item
    if f.alias:
        assert "通称" in text and re.sub(r"\s+", "", f.alias) in text
    plain = compose(s, Choice(Kind.JUMINHYO), issue(rulebook))
    assert isinstance(plain, JuminhyoContent)
    assert plain.members[0].nationality is None and plain.members[0].residence is None
    japanese = next(x for x in _snapshots(village) if x.household and not person_facts(x).household_foreign)
    offer = menu(rulebook, person_facts(japanese), CARD, Kind.JUMINHYO, OFFICE_HOURS)
    assert isinstance(offer, Allowed) and "nationality" not in offer.choices.options
