"""Every refusal the demo cards provoke at the kiosk reaches the screen as a sentence (issue 5).

Each demo card of `kofu.demo.cards` is used as a visitor would: the refusal is read on the page in
Japanese and in English, and the session then ends cleanly. Rules a demo card cannot provoke through the
page are not faked here (see the report: ELG-4 and ELG-6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import pytest
from e2e_content import snapshot
from e2e_deployment import OHIRA, Deployment
from e2e_kiosk import serve_kiosk
from e2e_page import KioskPage
from playwright.sync_api import Page, expect

from kofu.kiosk.messages import KioskEvent
from kofu.rules.calendar import JST
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import load_rulebook
from kofu.rules.wording import sentences


@dataclass(frozen=True)
class Refusal:
    """A demo card, what the person asks for (None: nothing yet) and the refusal they must read."""

    rule: str
    card: str
    kind: Kind | None
    reason: Reason


REFUSALS = (
    Refusal("ELG-2", "under-15", Kind.JUMINHYO, Reason.UNDER_15),
    Refusal("ELG-2", "honseki-registered", Kind.JUMINHYO, Reason.NOT_RESIDENT),  # residents only
    Refusal("ELG-3", "household-head", Kind.KOSEKI, Reason.NOT_HONSEKI),
    Refusal("CRT-2", "household-head", Kind.INKAN, Reason.NO_SEAL_REGISTRATION),
    Refusal("INC-4", "seal-abolished", Kind.INKAN, Reason.SEAL_ABOLISHED),
    Refusal("LAG-1", "moving", Kind.JUMINHYO, Reason.RECORD_CHANGE_PENDING),
    Refusal("DAY-1", "issued-today", None, Reason.CARD_ISSUED_TODAY),
    Refusal("PIN-2", "blocked", None, Reason.PIN_BLOCKED),
)


def _refused_kind(kp: KioskPage, kind: Kind, reason: Reason) -> None:
    """The kind's button says why it is refused, in its municipality's words (its hours, HRS-1/HRS-2);
    tapping it says it again, and the screen stays."""
    button = kp.page.get_by_test_id(f"kind-{kind}")
    expect(button).to_have_class(re.compile("refused"))
    expect(button).to_contain_text(sentences(reason, load_rulebook("ohira"), kind)[0])
    kp.tap(f"kind-{kind}")
    kp.expect_message(reason.ja)
    expect(kp.page.locator("#message")).to_have_attribute("data-code", reason.value)
    kp.expect_screen("kind")


@pytest.mark.parametrize("case", REFUSALS, ids=[f"{r.rule}-{r.card}-{r.reason}" for r in REFUSALS])
def test_e2e_refusal_screen_ELG_2_ELG_3_CRT_2_INC_4_LAG_1_DAY_1_PIN_2(
    case: Refusal, page: Page, deployment: Deployment, shots: Path
) -> None:
    with serve_kiosk(deployment) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        kp.start_with(deployment.card_index(case.card))
        if case.reason is Reason.PIN_BLOCKED:  # PIN-2: refused as soon as the card is read, with the way out
            kp.expect_screen("take")
            kp.expect_message(case.reason.ja, "市区町村の窓口", "本人確認書類")
            kp.shot("14-pin-blocked")
        elif case.kind is None:  # refused by the center when the card signs in
            kp.expect_screen("pin")
            kp.enter_pin("1234")
            kp.expect_screen("take")
            kp.expect_message(case.reason.ja)
            kp.shot(f"13-refusal-{case.rule}")
        else:
            kp.expect_screen("pin")
            kp.enter_pin("1234")
            kp.expect_screen("municipality")
            kp.tap(f"muni-{OHIRA}")
            kp.expect_screen("kind")
            _refused_kind(kp, case.kind, case.reason)
            kp.shot(f"13-refusal-{case.rule}-{case.reason}")
        kp.tap("lang")
        kp.expect_message(case.reason.en)
        kp.tap("lang")
        kp.expect_message(case.reason.ja)  # a tap while the page waits for an answer is ignored
        if kp.page.get_by_test_id("cancel").count():
            kp.tap("cancel")
        kp.expect_screen("take")
        expect(page.get_by_test_id("alarm-card")).to_be_visible()
        kp.tap("take-card")
        kp.expect_screen("idle")
        assert kiosk.printer.spooled == []


def test_e2e_tax_pending_year_withheld_LAG_2(page: Page, deployment: Deployment) -> None:
    """The fiscal year with a declaration not yet reflected cannot be chosen; the other years can.

    The menu leaves the pending year out (kofu.rules.menu) and says why: a sentence under the years.
    """
    card = deployment.card("tax-pending")
    snap = snapshot(deployment.paths.registry("ohira"), card["person"])
    pending = {c.fiscal_year for c in snap.pending if c.kind == "tax_declaration"}
    recorded = {t.fiscal_year for t in snap.tax_years}  # CRT-3: only years with a record here are offered
    offered = load_rulebook("ohira").fiscal_years(deployment.clock().astimezone(JST).date())
    assert pending and pending <= set(offered), "the demo card has a pending declaration of an offered year"
    assert (recorded - pending) & set(offered), "the demo card has another year to choose"
    with serve_kiosk(deployment) as kiosk:
        kp = KioskPage(page, kiosk.url)
        kp.sign_in(deployment.card_index("tax-pending"))
        kp.choose(OHIRA, "kazei")
        for year in offered:
            shown = year in recorded and year not in pending
            expect(page.get_by_test_id(f"fy-{year}")).to_have_count(1 if shown else 0)
        expect(page.get_by_test_id("menu-note")).to_have_text(Reason.TAX_YEAR_PENDING.ja)
        kp.tap("cancel")
        kp.expect_screen("take")
        kp.tap("take-card")
        kp.expect_screen("idle")


def test_e2e_hours_refusals_HRS_1_HRS_2(page: Page, deployment: Deployment, clock: None, shots: Path) -> None:
    """On a Saturday the family register and its 附票 are refused (HRS-2) while the 住民票 is not; at 23:30
    every kind is refused (HRS-1). The municipal servers' clock is moved; the rest keeps real time."""
    with serve_kiosk(deployment) as kiosk:
        kp = KioskPage(page, kiosk.url, shots)
        deployment.clock.saturday_noon()
        kp.sign_in(deployment.card_index("resident"))
        kp.tap(f"muni-{OHIRA}")
        kp.expect_screen("kind")
        expect(page.get_by_test_id("kind-juminhyo")).not_to_have_class(re.compile("refused"))
        _refused_kind(kp, Kind.KOSEKI, Reason.OFFICE_HOURS_ONLY)
        _refused_kind(kp, Kind.FUHYO, Reason.OFFICE_HOURS_ONLY)
        kp.shot("13-refusal-HRS-2")
        kp.tap("cancel")
        kp.expect_screen("take")
        kp.tap("take-card")
        kp.expect_screen("idle")

        deployment.clock.set_jst(deployment.clock().astimezone(JST).date(), time(23, 30))
        kp.sign_in(deployment.card_index("resident"))
        kp.tap(f"muni-{OHIRA}")
        kp.expect_screen("kind")
        for kind in Kind:
            expect(page.get_by_test_id(f"kind-{kind}")).to_have_class(re.compile("refused"))
        _refused_kind(kp, Kind.JUMINHYO, Reason.CLOSED_HOURS)
        kp.tap("cancel")
        kp.expect_screen("take")
        kp.expect_message(KioskEvent.CANCELLED.ja)
        kp.tap("take-card")
        kp.expect_screen("idle")
