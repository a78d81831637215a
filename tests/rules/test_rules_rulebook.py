"""The rulebook TOML: bundled Ōhira and Kitayama, validation errors, demo vs production."""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from kofu.rules.kinds import Kind
from kofu.rules.lgcode import check_digit, is_valid_code
from kofu.rules.rulebook import (
    Rulebook,
    RulebookError,
    bundled_path,
    bundled_rulebooks,
    load_rulebook,
    parse_rulebook,
)

OHIRA_TEXT = bundled_path("ohira").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "town.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_ohira_is_the_seed_village(ohira: Rulebook) -> None:
    assert (ohira.name, ohira.code, ohira.prefecture) == ("大衡村", "044245", "宮城県")
    assert (ohira.office, ohira.department) == ("大衡村役場", "住民生活課")
    assert (ohira.mayor_title, ohira.seal_text) == ("大衡村長", "大衡村長之印")
    assert ohira.mayor_name
    assert ohira.demo and ohira.sample_mark == "見本"
    assert load_rulebook() == ohira  # the default


@pytest.mark.parametrize(
    ("kind", "fee", "window"),
    [
        (Kind.JUMINHYO, 200, "HRS-1"),
        (Kind.INKAN, 200, "HRS-1"),
        (Kind.KAZEI, 200, "HRS-1"),
        (Kind.KOSEKI, 450, "HRS-2"),
        (Kind.FUHYO, 200, "HRS-2"),
    ],
)
def test_FEE_1_HRS_1_HRS_2_ohira_fees_and_windows(ohira: Rulebook, kind: Kind, fee: int, window: str) -> None:
    assert ohira.fee(kind) == fee
    assert ohira.window_for(kind).id == window


def test_HRS_1_HRS_2_HRS_3_ohira_windows(ohira: Rulebook) -> None:
    hrs1, hrs2 = ohira.windows["HRS-1"], ohira.windows["HRS-2"]
    assert (hrs1.start, hrs1.end, hrs1.office_days_only) == (time(6, 30), time(23, 0), False)
    assert (hrs2.start, hrs2.end, hrs2.office_days_only) == (time(8, 30), time(17, 15), True)
    assert ohira.registration_window == "HRS-1"  # REG-1 is not limited by HRS-2
    assert (ohira.year_end_start, ohira.year_end_end) == ((12, 29), (1, 3))


def test_HRS_5_ohira_maintenance_windows_are_data(ohira: Rulebook) -> None:
    assert ohira.maintenance
    for window in ohira.maintenance:
        assert window.start.utcoffset() is not None and window.end > window.start
        assert window.note_ja and window.note_en
        assert window.municipality_code == "044245"


@pytest.mark.parametrize(
    ("kind", "variant", "sentence"),
    [
        (Kind.JUMINHYO, "whole", "この写しは、世帯全員の住民票の原本と相違ないことを証明する。"),
        (Kind.JUMINHYO, "partial", "この写しは、世帯の一部の住民票の原本と相違ないことを証明する。"),
        (Kind.INKAN, "default", "この写しは、登録されている印影と相違ないことを証明する。"),
        (Kind.KAZEI, "default", "上記のとおり証明する。"),
        (Kind.KOSEKI, "whole", "これは、戸籍に記録されている事項の全部を証明した書面である。"),
        (
            Kind.KOSEKI,
            "individual",
            "これは、戸籍中の一部の者について記録されている事項の全部を証明した書面である。",
        ),
        (Kind.FUHYO, "default", "この写しは、戸籍の附票の原本と相違ないことを証明する。"),
    ],
)
def test_certification_sentences(ohira: Rulebook, kind: Kind, variant: str, sentence: str) -> None:
    assert ohira.certification(kind, variant) == sentence


def test_certification_unknown_variant_without_default(ohira: Rulebook) -> None:
    with pytest.raises(KeyError):
        ohira.certification(Kind.KOSEKI, "nonsense")
    assert ohira.certification(Kind.INKAN, "whatever") == ohira.certification(Kind.INKAN)


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (date(2026, 5, 31), (2025, 2024, 2023, 2022, 2021)),
        (date(2026, 6, 1), (2026, 2025, 2024, 2023, 2022)),
        (date(2026, 1, 5), (2025, 2024, 2023, 2022, 2021)),
    ],
)
def test_CRT_3_last_five_fiscal_years(ohira: Rulebook, today: date, years: tuple[int, ...]) -> None:
    assert ohira.fiscal_years(today) == years


def test_kitayama_is_a_second_fictional_municipality(kitayama: Rulebook, ohira: Rulebook) -> None:
    assert kitayama.name == "北山町" and kitayama.code != ohira.code
    assert is_valid_code(kitayama.code) and kitayama.code.startswith("99")
    assert kitayama.demo and kitayama.sample_mark == "見本"
    assert not kitayama.offers(Kind.INKAN) and kitayama.offers(Kind.KOSEKI)


@pytest.mark.parametrize(
    ("five", "digit"),
    [("04424", 5), ("13101", 6), ("01100", 2), ("99301", 8), ("11000", 1), ("04000", 2)],
)
def test_local_government_code_check_digit(five: str, digit: int) -> None:
    assert check_digit(five) == digit
    assert is_valid_code(f"{five}{digit}")
    assert not is_valid_code(f"{five}{(digit + 1) % 10}")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('code = "044245"', 'code = "044246"', "wrong check digit .*044245"),
        ('code = "044245"', 'code = "44245"', "not a 6-digit"),
        ('code = "044245"', 'code = "０４４２４５"', "not a 6-digit"),
        ("[kinds.fuhyo]", "[kinds.jumin]", "unknown kind 'jumin'"),
        ('window = "HRS-2"          #', 'window = "HRS-9"  #', "unknown window 'HRS-9'"),
        ("fee = 450", "fee = -1", "kinds.koseki.fee"),
        ('start = "06:30"', 'start = "6:30"', "HH:MM"),
        ('end = "23:00"', 'end = "05:00"', "end must be after start"),
        ('year_end_start = "12-29"', 'year_end_start = "13-01"', "not a day of the year"),
        ("demo = true", 'demo = "yes"', "demo: must be true or false"),
        ("demo = true", "demo = true\ncolour = 1", "unknown key"),
        ('mayor_name = "高森 一郎"', 'mayor_name = ""', "municipality.mayor_name"),
        ("end = 2026-01-18T06:00:00+09:00", "end = 2026-01-17T06:00:00+09:00", "end must be after start"),
        ("schema = 1", "schema = 2", "unsupported schema"),
    ],
)
def test_invalid_rulebooks_fail_with_clear_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in OHIRA_TEXT
    path = write(tmp_path, OHIRA_TEXT.replace(old, new, 1))
    with pytest.raises(RulebookError, match=message) as caught:
        load_rulebook(path)
    assert "town.toml" in str(caught.value)


def test_HRS_2_REG_1_registration_window_cannot_be_limited_to_office_days(tmp_path: Path) -> None:
    """The usage registration is filed whenever the service is open: an office-days window is refused."""
    text = OHIRA_TEXT.replace('[registration]\nwindow = "HRS-1"', '[registration]\nwindow = "HRS-2"')
    assert text != OHIRA_TEXT
    with pytest.raises(RulebookError, match=r"registration\.window.*office days"):
        load_rulebook(write(tmp_path, text))


def test_HRS_2_REG_1_bundled_registration_windows_every_open_day() -> None:
    for book in bundled_rulebooks().values():
        assert not book.windows[book.registration_window].office_days_only, book.name


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="not valid TOML"):
        load_rulebook(write(tmp_path, "demo = = true"))
    with pytest.raises(RulebookError, match="bundled name"):
        load_rulebook(str(tmp_path / "nope.toml"))


def test_local_maintenance_datetime_is_japan_time(tmp_path: Path) -> None:
    text = OHIRA_TEXT.replace("start = 2026-01-18T00:00:00+09:00", "start = 2026-01-17T22:00:00")
    book = load_rulebook(write(tmp_path, text))
    assert book.maintenance[0].start.utcoffset() is not None
    assert book.maintenance[0].start.isoformat().startswith("2026-01-17T22:00:00+09:00")


PRODUCTION_KEYS = '\n[keys]\ndocument_signing_key = "keys/doc.key"\ndocument_signing_cert = "keys/doc.crt"\n'


def test_production_rulebook_must_name_its_keys(tmp_path: Path) -> None:
    text = OHIRA_TEXT.replace("demo = true", "demo = false")
    with pytest.raises(RulebookError, match="must name its own keys"):
        load_rulebook(write(tmp_path, text))
    book = load_rulebook(write(tmp_path, text + PRODUCTION_KEYS))
    assert not book.demo and book.sample_mark is None
    assert book.keys is not None
    assert book.keys.key_path == tmp_path / "keys" / "doc.key"
    assert book.keys.cert_path == tmp_path / "keys" / "doc.crt"


def test_bundled_demo_file_cannot_claim_production() -> None:
    bundled_dir = bundled_path("ohira").parent
    data = tomllib.loads(OHIRA_TEXT)
    assert data["demo"] is True
    data["demo"] = False
    data["keys"] = {"document_signing_key": "k.pem", "document_signing_cert": "c.pem"}
    with pytest.raises(RulebookError, match="bundled demo rulebook"):
        parse_rulebook(data, source=bundled_dir / "ohira.toml")


def test_fictional_municipality_cannot_be_production(tmp_path: Path) -> None:
    text = bundled_path("kitayama").read_text(encoding="utf-8").replace("demo = true", "demo = false")
    with pytest.raises(RulebookError, match="fictional"):
        load_rulebook(write(tmp_path, text + PRODUCTION_KEYS))


def test_bundled_rulebooks_by_code(ohira: Rulebook, kitayama: Rulebook) -> None:
    assert bundled_rulebooks() == {"044245": ohira, kitayama.code: kitayama}


def test_rulebook_is_hashable_and_immutable(ohira: Rulebook) -> None:
    assert {ohira, load_rulebook("ohira")} == {ohira}
    with pytest.raises(TypeError):
        ohira.kinds[Kind.KOSEKI] = ohira.kinds[Kind.JUMINHYO]  # type: ignore[index]
    with pytest.raises(AttributeError):
        ohira.demo = False  # type: ignore[misc]


def test_FEE_1_a_copy_limit_above_the_services_ceiling_is_refused(tmp_path: Path) -> None:
    """FEE-1: a rulebook cannot allow more copies per request than the service carries (one ceiling)."""
    from kofu.rules.copies import COPIES_CEILING

    assert f"max_copies = {COPIES_CEILING}" in OHIRA_TEXT
    path = write(
        tmp_path, OHIRA_TEXT.replace(f"max_copies = {COPIES_CEILING}", f"max_copies = {COPIES_CEILING + 1}")
    )
    with pytest.raises(RulebookError, match="max_copies"):
        load_rulebook(path)


def test_the_verification_address_and_period_are_the_rulebooks(ohira: Rulebook, kitayama: Rulebook) -> None:
    """Where a receiver verifies a certificate, and for how long after issue, is the municipality's choice."""
    for book in (ohira, kitayama):
        assert book.verification.url == "https://verify.kofu.example/"
        assert book.verification.days == 92
        assert book.verification.until(date(2026, 1, 5)) == date(2026, 4, 7)


def test_a_rulebook_sets_its_own_verification(tmp_path: Path) -> None:
    text = OHIRA_TEXT.replace(
        'verify_url = "https://verify.kofu.example/"', 'verify_url = "https://kakunin.example.jp/kofu/"'
    ).replace("verifiable_days = 92", "verifiable_days = 30")
    assert text != OHIRA_TEXT
    book = load_rulebook(write(tmp_path, text))
    assert book.verification.url == "https://kakunin.example.jp/kofu/"
    assert book.verification.until(date(2026, 1, 5)) == date(2026, 2, 4)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('verify_url = "https://verify.kofu.example/"', 'verify_url = "http://verify.example/"', "https"),
        ('verify_url = "https://verify.kofu.example/"', 'verify_url = ""', "verification.verify_url"),
        ("verifiable_days = 92", "verifiable_days = 0", "verification.verifiable_days"),
        ("verifiable_days = 92", "verifiable_days = 92\nwhere = 1", "unknown key"),
    ],
)
def test_bad_verification_fails_with_clear_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in OHIRA_TEXT
    with pytest.raises(RulebookError, match=message):
        load_rulebook(write(tmp_path, OHIRA_TEXT.replace(old, new, 1)))
