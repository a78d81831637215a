"""A refusal's sentences name the municipality's own hours and dates (HRS-1, HRS-2, HRS-3).

Tested with both bundled rulebooks: a Kitayama resident is told Kitayama's 09:00–17:00, not Ōhira's.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from kofu.rules.hours import Service
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook, bundled_path, load_rulebook
from kofu.rules.wording import sentences

OHIRA, KITAYAMA = load_rulebook("ohira"), load_rulebook("kitayama")


def _kitayama_with_office_koseki() -> Rulebook:
    """Kitayama with its 戸籍 on its office window (HRS-2 is configurable per kind; its bundled book
    keeps every kind on HRS-1, and the registration is never office-limited)."""
    text = bundled_path("kitayama").read_text(encoding="utf-8")
    text = text.replace(
        '[kinds.koseki]\nfee = 450\nwindow = "HRS-1"', '[kinds.koseki]\nfee = 450\nwindow = "HRS-2"'
    )
    assert 'window = "HRS-2"' in text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kitayama.toml"
        path.write_text(text, encoding="utf-8")
        return load_rulebook(str(path))


KITAYAMA_OFFICE = _kitayama_with_office_koseki()


@pytest.mark.parametrize("reason", [Reason.CLOSED_HOURS, Reason.OFFICE_HOURS_ONLY, Reason.YEAR_END_CLOSURE])
def test_HRS_1_HRS_2_HRS_3_the_plain_sentence_names_no_municipalitys_hours(reason: Reason) -> None:
    """Without a rulebook (a kiosk, a center) the sentence states no one municipality's hours or dates."""
    assert not re.search(r"[0-9０-９]", reason.ja) and not re.search(r"[0-9]", reason.en)


@pytest.mark.parametrize(
    ("book", "service", "reason", "ja", "en"),
    [
        (OHIRA, Kind.JUMINHYO, Reason.CLOSED_HOURS, "午前6時30分から午後11時まで", "06:30 to 23:00"),
        (OHIRA, Kind.KOSEKI, Reason.OFFICE_HOURS_ONLY, "午前8時30分から午後5時15分まで", "08:30 to 17:15"),
        (KITAYAMA_OFFICE, Kind.KOSEKI, Reason.OFFICE_HOURS_ONLY, "午前9時から午後5時まで", "09:00 to 17:00"),
        (KITAYAMA, Kind.KOSEKI, Reason.CLOSED_HOURS, "午前6時30分から午後11時まで", "06:30 to 23:00"),
        (OHIRA, Kind.JUMINHYO, Reason.YEAR_END_CLOSURE, "12月29日から1月3日まで", "29 December to 3 January"),
    ],
)
def test_HRS_1_HRS_2_HRS_3_sentences_state_the_rulebooks_hours(
    book: Rulebook, service: Service, reason: Reason, ja: str, en: str
) -> None:
    said_ja, said_en = sentences(reason, book, service)
    assert ja in said_ja and en in said_en
    assert said_ja.startswith(reason.ja.rstrip("。"))


def test_HRS_2_kitayama_states_its_own_office_and_name() -> None:
    """Kitayama's office-hours refusal names Kitayama's town office (町), not Ōhira's village office."""
    said_ja, said_en = sentences(Reason.OFFICE_HOURS_ONLY, KITAYAMA_OFFICE, Kind.KOSEKI)
    assert "北山町役場" in said_ja and "大衡" not in said_ja
    assert "Kitayama" in said_en


def test_other_reasons_keep_their_sentences() -> None:
    assert sentences(Reason.UNDER_15, KITAYAMA, Kind.JUMINHYO) == (Reason.UNDER_15.ja, Reason.UNDER_15.en)
