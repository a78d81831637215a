"""The composer: one consistent registry snapshot → content, field by field, refusing stale records.

INC-4 (abolished seal), INC-5 / LAG-1 (pending change), LAG-2 (pending tax declaration), INC-6 (旧氏),
CRT-1 (household only; never 住民票コード or 個人番号), CRT-4 (current register only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from doc_support import run, write
from kofu.db import make_engine
from kofu.documents.content import FuhyoContent, JuminhyoContent, KazeiContent, KosekiContent
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.municipal.compose import Choice, Issuance, compose
from kofu.registry.cases import find_person
from kofu.registry.models import Person
from kofu.registry.records import PersonSnapshot
from kofu.registry.repository import read_snapshot
from kofu.registry.schema import migrate_registry
from kofu.registry.village import generate_village
from kofu.rules.decision import Refused
from kofu.rules.kinds import Kind
from kofu.rules.paging import make_document_number
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook
from kofu.verify.key import VerifierKey

TODAY = date(2026, 11, 20)


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
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ids = session.scalars(select(Person.person_id)).all()
    finally:
        engine.dispose()
    for person_id in ids:
        s = snap(url, person_id)
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
    engine = make_engine(village)
    try:
        with Session(engine) as session:
            ids = session.scalars(select(Person.person_id)).all()
    finally:
        engine.dispose()
    taxed = next(
        s
        for s in (snap(village, i) for i in ids)
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
