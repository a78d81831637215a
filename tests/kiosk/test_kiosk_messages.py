"""Every refusal of the rulebook and every kiosk event reaches the screen as a sentence."""

import pytest

from kofu.kiosk.api_models import Message
from kofu.kiosk.messages import KioskEvent
from kofu.rules.reasons import Reason


@pytest.mark.parametrize("code", [*Reason, *KioskEvent], ids=str)
def test_every_reason_and_event_becomes_a_screen_message(code: Reason | KioskEvent) -> None:
    message = Message.of(code)
    assert message.code == code.value
    assert message.ja and message.en


@pytest.mark.parametrize("event", [KioskEvent.REGISTERED, KioskEvent.PIN_RESET_HELP], ids=str)
def test_pin_2_reg_1_kiosk_sentences_name_no_one_municipality(event: KioskEvent) -> None:
    """PIN-2, REG-1: a kiosk serves every municipality's residents and holds no rulebook, so its own
    sentences name no municipality's kind (村/町/市), office or section: the person's own is meant."""
    from kofu.rules.rulebook import bundled_rulebooks

    for book in bundled_rulebooks().values():
        for word in (book.name, book.office, book.department, book.name_en):
            assert word not in event.ja and word not in event.en
    assert not any(f"{kind}で" in event.ja for kind in "村町市")
    assert "village" not in event.en.lower()


def test_the_page_keeps_no_copy_of_the_rules() -> None:
    """The kiosk page draws what the menu says: no era arithmetic of its own (平成1年度 for 1989 where
    平成元年度 is meant) and no test of a certificate kind; the labels come with the menu."""
    from pathlib import Path

    import kofu.kiosk

    page = (Path(kofu.kiosk.__file__).parent / "static" / "kiosk.js").read_text(encoding="utf-8")
    for era in ("令和", "平成", "昭和"):
        assert era not in page
    for kind in ("juminhyo", "inkan", "kazei", "koseki", "fuhyo"):
        assert f'"{kind}"' not in page


def test_crt_3_the_menu_line_carries_its_fiscal_year_labels() -> None:
    """CRT-3: fiscal years are labelled by the rules' wareki (元年 for an era's first year)."""
    from kofu.municipal.service import year_choices

    labels = {y.year: (y.label_ja, y.label_en) for y in year_choices((2025, 2019, 1989))}
    assert labels == {
        2025: ("令和7年度", "FY2025"),
        2019: ("令和元年度", "FY2019"),
        1989: ("平成元年度", "FY1989"),
    }


def test_pin_2_the_lock_help_promises_no_reset_kofu_cannot_do() -> None:
    """PIN-2: the self-service reset at a store kiosk is not built yet, so the help after a lock sends the
    person to the office only; it must not promise a kiosk reset that would then fail them."""
    help_ = KioskEvent.PIN_RESET_HELP
    assert "窓口" in help_.ja and "office" in help_.en
    for promise in ("キオスク", "コンビニ", "アプリ"):
        assert promise not in help_.ja
    for promise in ("kiosk", "app"):
        assert promise not in help_.en.lower().split()
