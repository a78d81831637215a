"""The synthetic village: deterministic, every case present, plausible records, vocabulary complete."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from registry_support import PERSONS, SEED, TODAY, Village
from typer.testing import CliRunner

from kofu.registry import cases, vocabulary
from kofu.registry.generator import generate_rows, my_number_check_digit
from kofu.registry.repository import read_snapshot


def test_same_seed_same_records_other_seed_other_records() -> None:
    a = generate_rows(150, 5, TODAY)
    b = generate_rows(150, 5, TODAY)
    c = generate_rows(150, 6, TODAY)
    assert a.tables == b.tables
    assert a.tables["persons"] != c.tables["persons"]


@pytest.mark.parametrize("persons", [1, 37, 150, 301])
def test_exactly_the_requested_number_of_persons(persons: int) -> None:
    rows = generate_rows(persons, 3, TODAY)
    assert len(rows.tables["persons"]) == persons
    assert len({p["person_id"] for p in rows.tables["persons"]}) == persons


def test_every_case_appears_in_a_small_village(village: Village) -> None:
    """Every case the rules and incident tests need exists at 300 persons, on both engines."""
    with village.session() as session:
        missing = [c for c in cases.CASES if cases.count_case(session, c, today=TODAY) == 0]
    assert missing == []


def test_every_case_appears_for_other_seeds_and_kitayama(sqlite_url: str) -> None:
    from kofu.registry.village import generate_village

    summary = generate_village(sqlite_url, 250, 29, "kitayama", today=date(2027, 3, 1))
    assert [c for c, n in summary.cases.items() if n == 0] == []
    assert summary.persons == 250


def test_find_person_returns_a_person_showing_the_case(village: Village) -> None:
    with village.session() as session:
        pid = cases.find_person(session, "under_15", today=TODAY)
        snap = read_snapshot(village.engine, pid)
        assert snap is not None
        born = snap.person.birth_date
        assert (TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))) < 15
        with pytest.raises(cases.UnknownCase):
            cases.find_person(session, "no_such_case", today=TODAY)


def test_households_ages_and_registers_are_plausible() -> None:
    rows = generate_rows(PERSONS, SEED, TODAY).tables
    sizes = Counter(p["household_fk"] for p in rows["persons"] if p["status"] == "resident")
    assert min(sizes.values()) >= 1 and max(sizes.values()) <= 9
    assert 1.8 <= sum(sizes.values()) / len(sizes) <= 3.5
    heads = Counter(p["household_fk"] for p in rows["persons"] if p["relationship"] == "世帯主")
    assert all(heads[h] == 1 for h in sizes), "every household has exactly one head"
    for p in rows["persons"]:
        assert p["birth_date"] < TODAY
    statuses = Counter(k["status"] for k in rows["koseki"])
    assert statuses["current"] and statuses["closed"] and statuses["pre_conversion"]
    events = Counter(e["kind"] for e in rows["koseki_events"])
    assert events["birth"] and events["marriage"] and events["death"]
    years = {t["fiscal_year"] for t in rows["tax_records"]}
    assert len(years) >= 5


def test_tax_records_add_up() -> None:
    for t in generate_rows(PERSONS, SEED, TODAY).tables["tax_records"]:
        parts = t["city_income_levy"] + t["city_per_capita"] + t["pref_income_levy"] + t["pref_per_capita"]
        forest = 1_000 if t["fiscal_year"] >= 2024 and not t["non_taxable"] else 0  # 森林環境税, 令和6年度 on
        assert t["tax_total"] == parts + forest
        if t["non_taxable"]:
            assert t["tax_total"] == 0
        assert t["total_earnings"] == t["salary_earnings"] + t["pension_earnings"] + t["other_earnings"]
        assert t["taxable_base"] == max(0, t["total_earnings"] - t["ded_total"]) // 1000 * 1000


def test_my_numbers_carry_a_valid_check_digit() -> None:
    # Published example: 12345678901 has check digit 8.
    assert my_number_check_digit("12345678901") == 8
    for p in generate_rows(100, 2, TODAY).tables["persons"]:
        n = p["kojin_bango"]
        assert len(n) == 12 and int(n[-1]) == my_number_check_digit(n[:11])


def test_rare_kanji_occur_and_every_generated_character_is_in_the_vocabulary() -> None:
    tables = generate_rows(PERSONS, SEED, TODAY).tables
    allowed = vocabulary.all_characters() | set("0123456789-　")
    rare = [p for p in tables["persons"] if any(c in p["family_name"] for c in "髙﨑𠮷")]
    assert rare, "rare kanji names appear"
    assert len(rare) < PERSONS * 0.1, "and stay rare"
    texts = [
        *(
            p[k] or ""
            for p in tables["persons"]
            for k in ("family_name", "given_name", "family_kana", "given_kana")
        ),
        *(a["address"] for a in tables["addresses"]),
        *(k["honseki_place"] + k["honseki_lot"] for k in tables["koseki"]),
        *(m["given_name"] + (m["father_name"] or "") + m["relationship"] for m in tables["koseki_members"]),
        *(f["address"] for f in tables["fuhyo_entries"]),
    ]
    unknown = {c for t in texts for c in t} - allowed
    assert unknown == set()


def test_cli_generate_prints_summary_and_refuses_a_non_empty_registry(sqlite_url: str) -> None:
    from kofu.registry.cli import app

    runner = CliRunner()
    args = [
        "generate",
        "--persons",
        "120",
        "--seed",
        "4",
        "--db",
        sqlite_url,
        "--today",
        "2026-07-01",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "persons per case" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "registry_not_empty" in again.output
    bad = runner.invoke(app, ["generate", "--municipality", "atlantis", "--db", sqlite_url])
    assert bad.exit_code == 2 and "unknown municipality" in bad.output
    nonsense = runner.invoke(app, ["generate", "--db", "nonsense"])
    assert nonsense.exit_code == 2 and "not a database URL" in nonsense.output


@pytest.mark.parametrize("key", sorted(vocabulary.MUNICIPALITIES))
def test_generated_municipalities_match_the_bundled_rulebooks(key: str) -> None:
    """Person ids and addresses use the same code, prefecture and name as the municipality's rulebook."""
    from kofu.rules.rulebook import load_rulebook

    book = load_rulebook(key)
    m = vocabulary.MUNICIPALITIES[key]
    assert m.code == book.code
    assert m.prefix.startswith(book.prefecture) and m.prefix.endswith(book.name)


def test_crt3_tax_records_only_for_years_resident_on_1_january() -> None:
    """CRT-3 input: a record for fiscal year N only if the person lived here on 1 January N (that address)."""
    tables = generate_rows(PERSONS, SEED, TODAY).tables
    persons = {p["id"]: p for p in tables["persons"]}
    history: dict[int, list[tuple[date, str]]] = {}
    for a in tables["addresses"]:
        history.setdefault(a["person_fk"], []).append((a["since"], a["address"]))
    assert tables["tax_records"]
    for t in tables["tax_records"]:
        jan1 = date(t["fiscal_year"], 1, 1)
        p = persons[t["person_fk"]]
        assert p["became_resident_on"] is not None and p["became_resident_on"] <= jan1
        in_force = [addr for since, addr in sorted(history[p["id"]]) if since <= jan1]
        assert in_force and t["address_jan1"] == in_force[-1]


def test_foreign_residents_are_generated_with_their_items_and_no_family_register() -> None:
    """About 3% of residents are foreign nationals: a name in the alphabet with its reading, 国籍・地域,
    在留資格 (a period and its end unless permanent), sometimes a 通称, and no 本籍 (no 戸籍)."""
    tables = generate_rows(1000, SEED, TODAY).tables
    foreign = [p for p in tables["persons"] if p["nationality"] is not None]
    assert 0.01 * 1000 <= len(foreign) <= 0.04 * 1000
    in_register = {m["person_fk"] for m in tables["koseki_members"]}
    for p in foreign:
        assert p["status"] == "resident" and p["honseki"] is None and p["id"] not in in_register
        assert p["family_name"].isascii() and p["family_kana"] and p["residence_status"]
        assert (
            (p["residence_period"] is None)
            == (p["residence_until"] is None)
            == (p["residence_status"] == "永住者")
        )
    assert any(p["alias"] for p in foreign) and not all(p["alias"] for p in foreign)
    japanese = [p for p in tables["persons"] if p["nationality"] is None]
    assert all(p[k] is None for p in japanese for k in ("residence_status", "alias"))
