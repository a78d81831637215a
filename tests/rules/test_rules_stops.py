"""Per-person stops: a resident under a support measure (支援措置), or a kind the village turns off for a
person, is never printed at a kiosk, neither on their own request nor on a household or register
member's; the refusal names no measure."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_rules_menu import CARD, CHILD, ME, NOW, OHIRA, RESIDENT, SPOUSE, allowed, reason_of

from kofu.rules.eligibility import check_kiosk_stop
from kofu.rules.kinds import Kind
from kofu.rules.menu import OPTION_INDIVIDUAL, OPTION_WHOLE, Request, decide, menu
from kofu.rules.reasons import Reason

EVERY_KIND = tuple(Kind)


def stopped(person_id: str, *kinds: Kind) -> frozenset[tuple[str, Kind]]:
    return frozenset((person_id, k) for k in (kinds or EVERY_KIND))


@pytest.mark.parametrize("kind", EVERY_KIND)
def test_stop_a_person_under_a_support_measure_gets_nothing_at_a_kiosk(kind: Kind) -> None:
    me = replace(RESIDENT, kiosk_stops=stopped(ME))
    assert reason_of(menu(OHIRA, me, CARD, kind, NOW)) == Reason.NOT_AVAILABLE_AT_KIOSK


def test_stop_a_kind_turned_off_for_a_person_leaves_the_others() -> None:
    me = replace(RESIDENT, kiosk_stops=stopped(ME, Kind.INKAN))
    assert reason_of(menu(OHIRA, me, CARD, Kind.INKAN, NOW)) == Reason.NOT_AVAILABLE_AT_KIOSK
    assert reason_of(menu(OHIRA, me, CARD, Kind.JUMINHYO, NOW)) is None


def test_stop_a_protected_member_is_not_offered_and_never_printed_in_a_whole_certificate() -> None:
    """The spouse is under a support measure: the requester may still have their own and the child's
    records, never one that prints the spouse (the whole household, the whole register, the 附票)."""
    me = replace(RESIDENT, kiosk_stops=stopped(SPOUSE))
    for kind in (Kind.JUMINHYO, Kind.KOSEKI, Kind.FUHYO):
        offer = allowed(menu(OHIRA, me, CARD, kind, NOW))
        assert offer.choices.members == (ME, CHILD) and not offer.choices.whole_allowed
    koseki = allowed(menu(OHIRA, me, CARD, Kind.KOSEKI, NOW)).choices
    assert koseki.options == (OPTION_INDIVIDUAL,)  # the kiosk offers 個人事項 only
    refused = [
        Request(Kind.JUMINHYO),
        Request(Kind.JUMINHYO, (SPOUSE,)),
        Request(Kind.KOSEKI, options=(OPTION_WHOLE,)),
        Request(Kind.KOSEKI, (SPOUSE,), options=(OPTION_INDIVIDUAL,)),
        Request(Kind.FUHYO),
        Request(Kind.FUHYO, (ME, SPOUSE)),
    ]
    for request in refused:
        assert reason_of(decide(OHIRA, me, CARD, request, NOW)) == Reason.NOT_AVAILABLE_AT_KIOSK, request
    for request in (
        Request(Kind.JUMINHYO, (ME, CHILD)),
        Request(Kind.KOSEKI, (CHILD,), options=(OPTION_INDIVIDUAL,)),
        Request(Kind.FUHYO, (ME,)),
    ):
        assert reason_of(decide(OHIRA, me, CARD, request, NOW)) is None, request


def test_stop_a_removed_register_member_still_protects_the_whole_register() -> None:
    """A member who left the register (除籍) is still printed in the 全部事項 and the 附票."""
    gone = "044245-0000007"
    me = replace(RESIDENT, register_removed_ids=(gone,), kiosk_stops=stopped(gone))
    assert not allowed(menu(OHIRA, me, CARD, Kind.KOSEKI, NOW)).choices.whole_allowed
    assert allowed(menu(OHIRA, me, CARD, Kind.JUMINHYO, NOW)).choices.whole_allowed
    koseki_whole = Request(Kind.KOSEKI, options=(OPTION_WHOLE,))
    assert reason_of(decide(OHIRA, me, CARD, koseki_whole, NOW)) == Reason.NOT_AVAILABLE_AT_KIOSK


def test_stop_the_check_covers_everyone_printed_and_reveals_nothing() -> None:
    me = replace(RESIDENT, kiosk_stops=stopped(CHILD, Kind.JUMINHYO))
    assert check_kiosk_stop(me, Kind.JUMINHYO, (ME,)) is None
    assert check_kiosk_stop(me, Kind.JUMINHYO, (ME, CHILD)) == Reason.NOT_AVAILABLE_AT_KIOSK
    assert check_kiosk_stop(me, Kind.KOSEKI, (ME, CHILD)) is None
    sentence = Reason.NOT_AVAILABLE_AT_KIOSK.ja
    assert sentence == "この証明書はコンビニ交付では取得できません。窓口でご相談ください。"
    for word in ("支援", "措置", "DV", "暴力", "保護"):
        assert word not in sentence and word not in Reason.NOT_AVAILABLE_AT_KIOSK.en
