"""Eligibility and the menu: ELG-2..4, ELG-6, CRT-1..5, REG-1, DAY-1, LAG-1, LAG-2."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.rules.calendar import JST
from kofu.rules.decision import Allowed, Decision, Refused
from kofu.rules.eligibility import needs_usage_registration
from kofu.rules.facts import CardFacts, PersonFacts
from kofu.rules.kinds import Kind
from kofu.rules.menu import (
    OPTION_HONSEKI,
    OPTION_INDIVIDUAL,
    OPTION_SETAI_NUSHI,
    OPTION_WHOLE,
    Conditions,
    Request,
    certification_variant,
    decide,
    menu,
    registration,
)
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook, load_rulebook

OHIRA = load_rulebook("ohira")
# Tuesday 2025-11-25, 10:00 JST: an office day inside HRS-1 and HRS-2.
NOW = datetime(2025, 11, 25, 10, 0, tzinfo=JST)
TODAY = NOW.date()

ME = "044245-0000001"
SPOUSE = "044245-0000002"
CHILD = "044245-0000003"
STRANGER = "044245-0000099"

RESIDENT = PersonFacts(
    person_id=ME,
    birth_date=date(1980, 6, 15),
    resident=True,
    honseki_here=True,
    household_member_ids=(SPOUSE, ME, CHILD),
    register_member_ids=(ME, SPOUSE, CHILD),
    register_status="current",
    seal="registered",
    resident_on_jan_1=frozenset(range(2015, 2026)),
)
CARD = CardFacts(credential="card", handed_over_on=date(2024, 4, 1))
PHONE = CardFacts(credential="phone", handed_over_on=date(2024, 4, 1))
NON_RESIDENT = replace(
    RESIDENT,
    resident=False,
    household_member_ids=(),
    seal="none",
    resident_on_jan_1=frozenset(),
    usage_registration="approved",
)


def reason_of(decision: Decision) -> Reason | None:
    return decision.reason if isinstance(decision, Refused) else None


def allowed(decision: Decision) -> Allowed:
    assert isinstance(decision, Allowed), decision
    return decision


# --- ELG-2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(2010, 11, 26), Reason.UNDER_15),  # 15 tomorrow
        (date(2010, 11, 25), None),  # 15 today
        (date(2011, 1, 1), Reason.UNDER_15),
    ],
)
@pytest.mark.parametrize("kind", list(Kind))
def test_ELG_2_under_15_refused_for_every_kind(birth: date, expected: Reason | None, kind: Kind) -> None:
    person = replace(RESIDENT, birth_date=birth)
    assert reason_of(menu(OHIRA, person, CARD, kind, NOW)) == expected


def test_ELG_2_age_is_counted_on_the_japan_date() -> None:
    person = replace(RESIDENT, birth_date=date(2010, 11, 26))
    # 2025-11-25 15:00 UTC is 2025-11-26 00:00 JST: the 15th birthday in Japan.
    at = datetime(2025, 11, 25, 21, 30, tzinfo=UTC)  # 06:30 JST on the birthday
    assert reason_of(menu(OHIRA, person, CARD, Kind.JUMINHYO, at)) is None
    assert reason_of(menu(OHIRA, person, CARD, Kind.JUMINHYO, at - timedelta(hours=8))) is not None


@settings(deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2012, 12, 31)))
def test_ELG_2_property_menu_agrees_with_age_rule(birth: date) -> None:
    person = replace(RESIDENT, birth_date=birth)
    years = TODAY.year - birth.year - ((TODAY.month, TODAY.day) < (birth.month, birth.day))
    assert menu(OHIRA, person, CARD, Kind.JUMINHYO, NOW).ok == (years >= 15)


@pytest.mark.parametrize("kind", [Kind.JUMINHYO, Kind.INKAN, Kind.KAZEI])
def test_ELG_2_non_residents_get_no_residence_certificates(kind: Kind) -> None:
    assert reason_of(menu(OHIRA, NON_RESIDENT, CARD, kind, NOW)) == Reason.NOT_RESIDENT


# --- ELG-3 / ELG-4 / CRT-4 / CRT-5 -------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.KOSEKI, Kind.FUHYO])
@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (RESIDENT, None),
        (replace(RESIDENT, honseki_here=False), Reason.NOT_HONSEKI),
        (NON_RESIDENT, None),
        (replace(NON_RESIDENT, usage_registration="none"), Reason.USAGE_REGISTRATION_REQUIRED),
        (replace(NON_RESIDENT, usage_registration="pending"), Reason.USAGE_REGISTRATION_PENDING),
        (replace(NON_RESIDENT, honseki_here=False), Reason.NOT_HONSEKI),
        (replace(RESIDENT, register_status="closed"), Reason.REGISTER_CLOSED),
        (replace(RESIDENT, register_status="pre_conversion"), Reason.REGISTER_PRE_CONVERSION),
        (replace(RESIDENT, register_member_ids=(SPOUSE,)), Reason.NOT_IN_REGISTER),
    ],
)
def test_ELG_3_ELG_4_CRT_4_CRT_5_family_register_eligibility(
    kind: Kind, person: PersonFacts, expected: Reason | None
) -> None:
    assert reason_of(menu(OHIRA, person, CARD, kind, NOW)) == expected


def test_CRT_4_fee_and_choices() -> None:
    offer = allowed(menu(OHIRA, RESIDENT, CARD, Kind.KOSEKI, NOW))
    assert offer.fee == 450
    assert offer.choices.members == (ME, SPOUSE, CHILD)
    assert offer.choices.options == (OPTION_WHOLE, OPTION_INDIVIDUAL)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request(Kind.KOSEKI, options=(OPTION_WHOLE,)), None),
        (Request(Kind.KOSEKI, subject_ids=(SPOUSE,), options=(OPTION_INDIVIDUAL,)), None),
        (Request(Kind.KOSEKI, subject_ids=(STRANGER,), options=(OPTION_INDIVIDUAL,)), Reason.NOT_IN_REGISTER),
        (Request(Kind.KOSEKI, options=(OPTION_INDIVIDUAL,)), Reason.BAD_REQUEST),
        (Request(Kind.KOSEKI, options=(OPTION_WHOLE, OPTION_INDIVIDUAL)), Reason.BAD_REQUEST),
        (Request(Kind.KOSEKI, subject_ids=(ME,), options=(OPTION_WHOLE,)), Reason.BAD_REQUEST),
        (Request(Kind.FUHYO, subject_ids=(CHILD,), options=(OPTION_HONSEKI,)), None),
        (Request(Kind.FUHYO, subject_ids=(STRANGER,)), Reason.NOT_IN_REGISTER),
    ],
)
def test_CRT_4_CRT_5_same_register_only(request_: Request, expected: Reason | None) -> None:
    assert reason_of(decide(OHIRA, RESIDENT, CARD, request_, NOW)) == expected


def test_CRT_4_CRT_5_HRS_2_koseki_and_fuhyo_refused_out_of_office_hours() -> None:
    saturday = datetime(2025, 11, 22, 10, 0, tzinfo=JST)
    assert reason_of(menu(OHIRA, RESIDENT, CARD, Kind.KOSEKI, saturday)) == Reason.OFFICE_HOURS_ONLY
    assert reason_of(menu(OHIRA, RESIDENT, CARD, Kind.FUHYO, saturday)) == Reason.OFFICE_HOURS_ONLY
    assert reason_of(menu(OHIRA, RESIDENT, CARD, Kind.JUMINHYO, saturday)) is None


# --- CRT-1 ---------------------------------------------------------------------------------------


def test_CRT_1_juminhyo_menu_lists_household_own_first() -> None:
    offer = allowed(menu(OHIRA, RESIDENT, CARD, Kind.JUMINHYO, NOW))
    assert offer.fee == 200
    assert offer.choices.members == (ME, SPOUSE, CHILD)
    assert offer.choices.options == (OPTION_SETAI_NUSHI, OPTION_HONSEKI)
    assert offer.choices.max_copies == 10


@pytest.mark.parametrize(
    ("subjects", "expected"),
    [
        ((), None),
        ((ME,), None),
        ((SPOUSE, CHILD), None),
        ((STRANGER,), Reason.NOT_IN_HOUSEHOLD),
        ((ME, STRANGER), Reason.NOT_IN_HOUSEHOLD),
        ((ME, ME), Reason.BAD_REQUEST),
    ],
)
def test_CRT_1_own_household_only(subjects: tuple[str, ...], expected: Reason | None) -> None:
    assert reason_of(decide(OHIRA, RESIDENT, CARD, Request(Kind.JUMINHYO, subjects), NOW)) == expected


def test_CRT_1_unknown_option_is_bad_request() -> None:
    request = Request(Kind.JUMINHYO, options=("kojin_bango",))
    assert reason_of(decide(OHIRA, RESIDENT, CARD, request, NOW)) == Reason.BAD_REQUEST


# --- CRT-2 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seal", "subjects", "expected"),
    [
        ("registered", (), None),
        ("registered", (ME,), None),
        ("registered", (SPOUSE,), Reason.NOT_OWN_SEAL),
        ("abolished", (), Reason.SEAL_ABOLISHED),
        ("none", (), Reason.NO_SEAL_REGISTRATION),
    ],
)
def test_CRT_2_own_live_seal_registration_only(
    seal: str, subjects: tuple[str, ...], expected: Reason | None
) -> None:
    person = replace(RESIDENT, seal=seal)
    assert reason_of(decide(OHIRA, person, CARD, Request(Kind.INKAN, subjects), NOW)) == expected


def test_CRT_2_menu_offers_only_own() -> None:
    assert allowed(menu(OHIRA, RESIDENT, CARD, Kind.INKAN, NOW)).choices.members == (ME,)


# --- CRT-3 / LAG-2 --------------------------------------------------------------------------------


def test_CRT_3_menu_lists_last_five_fiscal_years() -> None:
    offer = allowed(menu(OHIRA, RESIDENT, CARD, Kind.KAZEI, NOW))
    assert offer.choices.fiscal_years == (2025, 2024, 2023, 2022, 2021)
    assert offer.choices.members == (ME,)


def test_CRT_3_LAG_2_menu_drops_years_not_registered_or_pending() -> None:
    person = replace(
        RESIDENT, resident_on_jan_1=frozenset({2023, 2024, 2025}), tax_pending_years=frozenset({2025})
    )
    offer = allowed(menu(OHIRA, person, CARD, Kind.KAZEI, NOW))
    assert offer.choices.fiscal_years == (2024, 2023)


def test_LAG_2_menu_says_why_the_latest_year_is_missing() -> None:
    """LAG-2: a year held back by a pending declaration is not dropped silently: the menu carries a note."""
    pending = replace(RESIDENT, tax_pending_years=frozenset({2025}))
    offer = allowed(menu(OHIRA, pending, CARD, Kind.KAZEI, NOW))
    assert offer.choices.fiscal_years == (2024, 2023, 2022, 2021)
    assert offer.choices.note is Reason.TAX_YEAR_PENDING
    assert offer.choices.note.ja and offer.choices.note.en
    assert allowed(menu(OHIRA, RESIDENT, CARD, Kind.KAZEI, NOW)).choices.note is None
    moved_in = replace(RESIDENT, resident_on_jan_1=frozenset({2024, 2025}))  # CRT-3, not LAG-2: no note
    assert allowed(menu(OHIRA, moved_in, CARD, Kind.KAZEI, NOW)).choices.note is None
    assert allowed(menu(OHIRA, pending, CARD, Kind.JUMINHYO, NOW)).choices.note is None


@pytest.mark.parametrize(
    ("person", "fy", "expected"),
    [
        (RESIDENT, 2025, None),
        (RESIDENT, 2021, None),
        (RESIDENT, 2020, Reason.FISCAL_YEAR_NOT_OFFERED),  # sixth year back
        (RESIDENT, 2026, Reason.FISCAL_YEAR_NOT_OFFERED),  # not yet
        (replace(RESIDENT, resident_on_jan_1=frozenset({2025})), 2024, Reason.NOT_RESIDENT_ON_JAN_1),
        (replace(RESIDENT, tax_pending_years=frozenset({2024})), 2024, Reason.TAX_DECLARATION_PENDING),
        (replace(RESIDENT, tax_pending_years=frozenset({2024})), 2025, None),
        (RESIDENT, None, Reason.BAD_REQUEST),
    ],
)
def test_CRT_3_LAG_2_fiscal_year_requests(
    person: PersonFacts, fy: int | None, expected: Reason | None
) -> None:
    request = Request(Kind.KAZEI, fiscal_year=fy)
    assert reason_of(decide(OHIRA, person, CARD, request, NOW)) == expected


def test_CRT_3_own_tax_certificate_only() -> None:
    request = Request(Kind.KAZEI, subject_ids=(SPOUSE,), fiscal_year=2025)
    assert reason_of(decide(OHIRA, RESIDENT, CARD, request, NOW)) == Reason.NOT_IN_HOUSEHOLD


@pytest.mark.parametrize(
    ("jan1", "pending", "expected"),
    [
        (frozenset({2010}), frozenset(), Reason.NOT_RESIDENT_ON_JAN_1),  # moved in after 1 Jan 2025
        (frozenset({2025}), frozenset({2025}), Reason.TAX_DECLARATION_PENDING),
    ],
)
def test_CRT_3_LAG_2_menu_refuses_when_no_year_is_left(
    jan1: frozenset[int], pending: frozenset[int], expected: Reason
) -> None:
    person = replace(RESIDENT, resident_on_jan_1=jan1, tax_pending_years=pending)
    assert reason_of(menu(OHIRA, person, CARD, Kind.KAZEI, NOW)) == expected


def test_CRT_3_new_fiscal_year_from_june() -> None:
    june = datetime(2026, 6, 1, 9, 0, tzinfo=JST)
    may = datetime(2026, 5, 29, 9, 0, tzinfo=JST)
    person = replace(RESIDENT, resident_on_jan_1=frozenset(range(2015, 2027)))
    assert allowed(menu(OHIRA, person, CARD, Kind.KAZEI, june)).choices.fiscal_years[0] == 2026
    assert allowed(menu(OHIRA, person, CARD, Kind.KAZEI, may)).choices.fiscal_years[0] == 2025


# --- DAY-1 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        (replace(CARD, handed_over_on=TODAY), Reason.CARD_ISSUED_TODAY),
        (replace(CARD, handed_over_on=TODAY - timedelta(days=1)), None),
        (replace(CARD, continued_use_on=TODAY), Reason.CONTINUED_USE_TODAY),
        (replace(CARD, continued_use_on=TODAY - timedelta(days=1)), None),
        (replace(PHONE, handed_over_on=TODAY), Reason.CARD_ISSUED_TODAY),
    ],
)
@pytest.mark.parametrize("kind", list(Kind))
def test_DAY_1_not_on_hand_over_or_continued_use_day(
    card: CardFacts, expected: Reason | None, kind: Kind
) -> None:
    assert reason_of(menu(OHIRA, RESIDENT, card, kind, NOW)) == expected


def test_DAY_1_uses_japan_date() -> None:
    card = replace(CARD, handed_over_on=date(2025, 11, 25))
    # 2025-11-25 21:30 UTC = 2025-11-26 06:30 JST: the next day in Japan, so allowed.
    assert (
        reason_of(menu(OHIRA, RESIDENT, card, Kind.JUMINHYO, datetime(2025, 11, 25, 21, 30, tzinfo=UTC)))
        is None
    )
    # 2025-11-24 22:00 UTC = 2025-11-25 07:00 JST: the issue day in Japan.
    late = datetime(2025, 11, 24, 22, 0, tzinfo=UTC)
    assert reason_of(menu(OHIRA, RESIDENT, card, Kind.JUMINHYO, late)) == Reason.CARD_ISSUED_TODAY


# --- LAG-1 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "blocked"),
    [
        ("pending_address_change", {Kind.JUMINHYO, Kind.INKAN, Kind.FUHYO}),
        ("pending_register_change", {Kind.KOSEKI, Kind.FUHYO, Kind.JUMINHYO, Kind.INKAN}),
        ("pending_seal_abolition", {Kind.INKAN}),  # INC-4: the seal certificate only
        ("household_address_stale", {Kind.JUMINHYO}),  # INC-5: the household's address
    ],
)
@pytest.mark.parametrize("kind", list(Kind))
def test_LAG_1_pending_change_refuses(pending: str, blocked: set[Kind], kind: Kind) -> None:
    person = replace(RESIDENT, **{pending: True})
    expected = Reason.RECORD_CHANGE_PENDING if kind in blocked else None
    assert reason_of(menu(OHIRA, person, CARD, kind, NOW)) == expected


# --- REG-1 / ELG-4 / ELG-6 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "needed"),
    [
        (replace(NON_RESIDENT, usage_registration="none"), True),
        (replace(NON_RESIDENT, usage_registration="pending"), True),
        (NON_RESIDENT, False),  # approved
        (RESIDENT, False),
        (replace(NON_RESIDENT, usage_registration="none", honseki_here=False), False),
    ],
)
def test_ELG_4_who_needs_the_usage_registration(person: PersonFacts, needed: bool) -> None:
    assert needs_usage_registration(person) is needed


@pytest.mark.parametrize(
    ("person", "card", "expected"),
    [
        (replace(NON_RESIDENT, usage_registration="none"), CARD, None),
        (replace(NON_RESIDENT, usage_registration="none"), PHONE, Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION),
        (replace(NON_RESIDENT, usage_registration="pending"), CARD, Reason.USAGE_REGISTRATION_PENDING),
        (NON_RESIDENT, CARD, Reason.ALREADY_REGISTERED),
        (RESIDENT, CARD, Reason.ALREADY_REGISTERED),
        (replace(NON_RESIDENT, usage_registration="none", honseki_here=False), CARD, Reason.NOT_HONSEKI),
        (
            replace(NON_RESIDENT, usage_registration="none", birth_date=date(2012, 1, 1)),
            CARD,
            Reason.UNDER_15,
        ),
        (
            replace(NON_RESIDENT, usage_registration="none"),
            replace(CARD, handed_over_on=TODAY),
            Reason.CARD_ISSUED_TODAY,
        ),
    ],
)
def test_REG_1_ELG_4_ELG_6_usage_registration(
    person: PersonFacts, card: CardFacts, expected: Reason | None
) -> None:
    decision = registration(OHIRA, person, card, NOW)
    assert reason_of(decision) == expected
    if expected is None:
        assert allowed(decision).fee == 0


def test_REG_1_HRS_1_HRS_2_registration_filed_whenever_the_service_is_open() -> None:
    """REG-1 is not limited by HRS-2: an office-day evening or a Saturday is fine, 23:30 is not (HRS-1)."""
    person = replace(NON_RESIDENT, usage_registration="none")
    evening = datetime(2025, 11, 25, 18, 0, tzinfo=JST)
    saturday = datetime(2025, 11, 22, 10, 0, tzinfo=JST)
    night = datetime(2025, 11, 25, 23, 30, tzinfo=JST)
    assert reason_of(registration(OHIRA, person, CARD, evening)) is None
    assert reason_of(registration(OHIRA, person, CARD, saturday)) is None
    assert reason_of(registration(OHIRA, person, CARD, night)) == Reason.CLOSED_HOURS


def test_ELG_5_phone_works_like_card_for_certificates() -> None:
    assert menu(OHIRA, RESIDENT, PHONE, Kind.JUMINHYO, NOW) == menu(OHIRA, RESIDENT, CARD, Kind.JUMINHYO, NOW)


# --- hours and copies through the menu -----------------------------------------------------------


def test_HRS_menu_applies_conditions() -> None:
    down = Conditions(municipality_up=False)
    assert reason_of(menu(OHIRA, RESIDENT, CARD, Kind.JUMINHYO, NOW, down)) == Reason.MUNICIPALITY_UNAVAILABLE
    night = datetime(2025, 11, 25, 23, 30, tzinfo=JST)
    assert reason_of(menu(OHIRA, RESIDENT, CARD, Kind.JUMINHYO, night)) == Reason.CLOSED_HOURS


def test_FEE_1_decide_quotes_fee_per_copy_and_total() -> None:
    decision = allowed(decide(OHIRA, RESIDENT, CARD, Request(Kind.JUMINHYO, copies=3), NOW))
    assert (decision.fee, decision.copies, decision.total) == (200, 3, 600)
    too_many = decide(OHIRA, RESIDENT, CARD, Request(Kind.JUMINHYO, copies=11), NOW)
    assert reason_of(too_many) == Reason.TOO_MANY_COPIES
    assert (
        reason_of(decide(OHIRA, RESIDENT, CARD, Request(Kind.JUMINHYO, copies=0), NOW)) == Reason.BAD_REQUEST
    )


def test_kind_not_offered_by_kitayama(kitayama: Rulebook) -> None:
    person = replace(RESIDENT, person_id="993018-0000001")
    assert reason_of(menu(kitayama, person, CARD, Kind.INKAN, NOW)) == Reason.KIND_NOT_OFFERED
    # Kitayama offers koseki in HRS-1 (its own configuration), e.g. on a Saturday.
    saturday = datetime(2025, 11, 22, 10, 0, tzinfo=JST)
    member = replace(person, register_member_ids=("993018-0000001",))
    assert allowed(menu(kitayama, member, CARD, Kind.KOSEKI, saturday)).fee == 450


@pytest.mark.parametrize(
    ("kind", "chosen", "variant", "sentence_start"),
    [
        (Kind.JUMINHYO, None, "whole", "この写しは、世帯全員"),
        (Kind.JUMINHYO, (ME, SPOUSE, CHILD), "whole", "この写しは、世帯全員"),
        (Kind.JUMINHYO, (ME,), "partial", "この写しは、世帯の一部"),
        (Kind.KOSEKI, None, "whole", "これは、戸籍に記録されている事項の全部"),
        (Kind.KOSEKI, (ME,), "individual", "これは、戸籍中の一部の者"),
        (Kind.INKAN, None, "default", "この写しは、登録されている印影"),
        (Kind.FUHYO, None, "default", "この写しは、戸籍の附票"),
    ],
)
def test_CRT_1_CRT_4_certification_variant(
    kind: Kind, chosen: tuple[str, ...] | None, variant: str, sentence_start: str
) -> None:
    assert certification_variant(RESIDENT, kind, chosen) == variant
    assert OHIRA.certification(kind, variant).startswith(sentence_start)
