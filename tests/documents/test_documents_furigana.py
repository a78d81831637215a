"""Issue 24 item 5, 氏名の振り仮名: the 戸籍's 【氏の振り仮名】【名の振り仮名】, the 住民票's 旧氏 reading.

documents.md: since 2025-05-26 the 戸籍 records each person's 氏名の振り仮名 (in katakana), and a 住民票 that
prints a 旧氏 prints the 旧氏's 振り仮名 with it. Expected readings are read from the registry's persons
table here, not from the composer's records.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from doc_support import page_texts, write
from kofu.chaos.judge import Request, judge_pages, read_registry
from kofu.db import make_engine
from kofu.documents.content import Content, JuminhyoContent, KosekiContent
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.documents.names import katakana
from kofu.municipal.compose import Choice, Issuance, compose
from kofu.registry.cases import find_person
from kofu.registry.models import Koseki, KosekiMember, Person
from kofu.registry.records import PersonSnapshot
from kofu.registry.repository import read_snapshot
from kofu.registry.schema import migrate_registry
from kofu.registry.village import generate_village
from kofu.rules.furigana import READINGS_SINCE, member_has_reading, readings_printed
from kofu.rules.kinds import Kind
from kofu.rules.paging import make_document_number
from kofu.rules.rulebook import Rulebook
from kofu.verify.key import VerifierKey

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('village') / 'registry.db'}"
    migrate_registry(url)
    generate_village(url, 200, 1, today=TODAY, count_cases=False)
    yield url


def issue(rulebook: Rulebook, on: date = TODAY) -> Issuance:
    return Issuance(
        rulebook=rulebook,
        issued_on=on,
        unique_number=make_document_number(rulebook.code, on, 1),
        order_id="order-1",
        requester_cert_digest=hashlib.sha256(b"requester").hexdigest(),
    )


def snap(url: str, person_id: str) -> PersonSnapshot:
    found = read_snapshot(make_engine(url), person_id)
    assert found is not None
    return found


def person_for(url: str, case: str) -> str:
    with Session(make_engine(url)) as session:
        return find_person(session, case, today=TODAY)


def hiragana_to_katakana(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in s)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_of(content: Content, doc_keys: SealingKeys, verifier: VerifierKey, path: Path) -> list[str]:
    return page_texts(write(path, "doc.pdf", render_and_seal(content, doc_keys, verifier.public)))


def register_rows(url: str, person_id: str) -> tuple[Koseki, list[tuple[KosekiMember, Person | None]]]:
    """The person's current register and its members with their linked persons, straight from the tables."""
    with Session(make_engine(url), expire_on_commit=False) as session:
        me = session.scalars(select(Person).where(Person.person_id == person_id)).one()
        k = session.scalars(
            select(Koseki)
            .join(KosekiMember, KosekiMember.koseki_fk == Koseki.id)
            .where(KosekiMember.person_fk == me.id, Koseki.status == "current", ~KosekiMember.removed)
        ).one()
        rows = session.execute(
            select(KosekiMember, Person)
            .outerjoin(Person, Person.id == KosekiMember.person_fk)
            .where(KosekiMember.koseki_fk == k.id)
            .order_by(KosekiMember.seq)
        ).all()
        return k, [(m, p) for m, p in rows]


def a_register_with_early_removals(url: str, rulebook: Rulebook) -> PersonSnapshot:
    """A printable register holding a member removed before 2025-05-26 and members with readings."""
    with Session(make_engine(url)) as session:
        ids = session.scalars(select(Person.person_id).where(Person.status == "resident")).all()
    for person_id in ids:
        s = snap(url, person_id)
        k = s.koseki
        if k is None or k.status != "current" or len(k.members) < 3:
            continue
        early = any(m.removed and m.removed_on and m.removed_on < READINGS_SINCE for m in k.members)
        if early and isinstance(compose(s, Choice(Kind.KOSEKI), issue(rulebook)), KosekiContent):
            return s
    raise LookupError("no register with a member removed before 2025-05-26 in the village")


def test_koseki_prints_the_uji_reading_once_and_each_members_name_reading_issue24_5(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """【氏の振り仮名】 once, under the 筆頭者's 氏名; 【名の振り仮名】 after each 【名】, in katakana;
    none for a member who had left the register before 2025-05-26 (never given a reading)."""
    s = a_register_with_early_removals(village, rulebook)
    content = compose(s, Choice(Kind.KOSEKI), issue(rulebook))
    assert isinstance(content, KosekiContent)
    text = squash("".join(pages_of(content, doc_keys, verifier, tmp_path)))
    k, rows = register_rows(village, s.person.person_id)
    uji = next(p.family_kana for _, p in rows if p is not None and p.family_name == k.hittousha_family)
    assert text.count("【氏の振り仮名】") == 1
    assert f"{squash(k.hittousha_family)}{squash(k.hittousha_given)}【氏の振り仮名】" in text
    assert f"【氏の振り仮名】{hiragana_to_katakana(uji)}" in text
    with_reading = 0
    for member, person in rows:
        removed_early = member.removed_on is not None and member.removed_on < READINGS_SINCE
        if person is not None and not removed_early:
            with_reading += 1
            reading = squash(hiragana_to_katakana(person.given_kana))
            # the 除籍 mark stands in the left column of the row after 【名】
            assert re.search(f"【名】{member.given_name}(除籍)?【名の振り仮名】{reading}", text), (
                member.given_name
            )
        else:
            assert not re.search(f"【名】{member.given_name}(除籍)?【名の振り仮名】", text), member.given_name
    assert 0 < with_reading < len(rows)
    assert text.count("【名の振り仮名】") == with_reading


def test_koseki_readings_are_printed_only_from_2025_05_26_issue24_5(village: str, rulebook: Rulebook) -> None:
    """The law came into force on 2025-05-26: a register certified the day before carries no reading."""
    s = snap(village, person_for(village, "large_register"))
    before = compose(s, Choice(Kind.KOSEKI), issue(rulebook, date(2025, 5, 25)))
    since = compose(s, Choice(Kind.KOSEKI), issue(rulebook, READINGS_SINCE))
    assert isinstance(before, KosekiContent) and isinstance(since, KosekiContent)
    assert before.family_kana is None and all(p.name_kana is None for p in before.persons)
    assert since.family_kana and any(p.name_kana for p in since.persons)
    assert (readings_printed(date(2025, 5, 25)), readings_printed(READINGS_SINCE)) == (False, True)
    assert member_has_reading(None) and member_has_reading(READINGS_SINCE)
    assert not member_has_reading(date(2025, 5, 25))


def test_a_register_records_readings_in_katakana_issue24_5() -> None:
    """The registry keeps ふりがな in hiragana; the 戸籍 records 振り仮名 in katakana."""
    assert katakana("たかはし　ゆうゔぃ") == "タカハシ　ユウヴィ"
    assert katakana("ヴァン\u3000アン") == "ヴァン\u3000アン"  # a foreign reading is katakana already
    assert katakana("すゞき・ゝー") == "スヾキ・ヽー"


def test_juminhyo_prints_the_kyuuji_reading_with_the_kyuuji_issue24_5(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """The 旧氏 in brackets after the name, its 振り仮名 in brackets after the name's ふりがな above it."""
    s = snap(village, person_for(village, "former_surname"))
    p = s.person
    assert p.former_surname and p.former_surname_kana
    content = compose(s, Choice(Kind.JUMINHYO), issue(rulebook))
    assert isinstance(content, JuminhyoContent)
    me = next(m for m in content.members if m.name == p.name)
    assert me.kyuuji_kana == p.former_surname_kana
    assert all(m.kyuuji_kana is None for m in content.members if m.kyuuji is None)
    pages = pages_of(content, doc_keys, verifier, tmp_path)
    lines = [squash(line) for page in pages for line in page.splitlines()]
    reading = squash(f"{p.family_kana}{p.given_kana}（{p.former_surname_kana}）")
    assert any(line.endswith(reading) for line in lines), reading
    assert squash(f"{p.name}（旧氏　{p.former_surname}）") in squash("".join(pages))
    before = compose(s, Choice(Kind.JUMINHYO), issue(rulebook, date(2025, 5, 25)))
    assert isinstance(before, JuminhyoContent) and all(m.kyuuji_kana is None for m in before.members)


def test_the_paper_judge_reads_no_reading_as_a_strangers_name_issue24_5(
    village: str, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey, tmp_path: Path
) -> None:
    """The chaos and incident judge passes a 戸籍 and a 住民票 that now print readings."""
    registry = read_registry(sessionmaker(make_engine(village)))
    s = a_register_with_early_removals(village, rulebook)
    koseki = compose(s, Choice(Kind.KOSEKI), issue(rulebook))
    assert isinstance(koseki, KosekiContent)
    pages = pages_of(koseki, doc_keys, verifier, tmp_path)
    assert "【名の振り仮名】" in "".join(pages)
    assert judge_pages(pages, Request(s.person.person_id, "koseki", option="whole"), registry) == []
    kyuuji = snap(village, person_for(village, "former_surname"))
    juminhyo = compose(kyuuji, Choice(Kind.JUMINHYO), issue(rulebook))
    assert isinstance(juminhyo, JuminhyoContent)
    pages = pages_of(juminhyo, doc_keys, verifier, tmp_path)
    assert judge_pages(pages, Request(kyuuji.person.person_id, "juminhyo"), registry) == []
