"""The kiosk menu and the final decision for one request, combining every rule.

`menu` answers "what may this person choose for this kind now?"; `decide` checks one concrete
request against that menu. `registration` does the same for the usage registration (REG-1).
Order: kind offered, hours (HRS-1..5), DAY-1, age (ELG-2), the kind's own rules, LAG-1/LAG-2, then the
per-person stops (支援措置), which leave stopped persons out of the members and the whole certificate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

from kofu.rules import eligibility as elig
from kofu.rules.calendar import to_jst
from kofu.rules.copies import check_copies_within
from kofu.rules.decision import Allowed, Choices, Decision, Refused
from kofu.rules.facts import CardFacts, PersonFacts
from kofu.rules.hours import USAGE_REGISTRATION, service_open
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import MaintenanceWindow, Rulebook
from kofu.rules.store_hours import ALWAYS_OPEN, WeeklyHours

# Options a person may switch on; kiosk wording lives with the kiosk.
OPTION_SETAI_NUSHI: Final = "setai_nushi"  # 世帯主・続柄 (juminhyo)
OPTION_HONSEKI: Final = "honseki"  # 本籍・筆頭者 (juminhyo, fuhyo)
OPTION_WHOLE: Final = "whole"  # 全部事項証明 (koseki)
OPTION_INDIVIDUAL: Final = "individual"  # 個人事項証明 (koseki)
OPTION_NATIONALITY: Final = "nationality"  # 国籍・地域 (juminhyo, a household with a foreign resident)
OPTION_RESIDENCE: Final = "residence"  # 在留資格・在留期間・満了の日・区分 (juminhyo, likewise)
_FOREIGN_OPTIONS: Final = (OPTION_NATIONALITY, OPTION_RESIDENCE)

# 全部事項 or 個人事項: a family-register certificate is one or the other, never neither.
_OPTION_REQUIRED: Final = frozenset({Kind.KOSEKI})

_OPTIONS: dict[Kind, tuple[str, ...]] = {
    Kind.JUMINHYO: (OPTION_SETAI_NUSHI, OPTION_HONSEKI),
    Kind.INKAN: (),
    Kind.KAZEI: (),
    Kind.KOSEKI: (OPTION_WHOLE, OPTION_INDIVIDUAL),
    Kind.FUHYO: (OPTION_HONSEKI,),
}


@dataclass(frozen=True)
class Request:
    """One certificate request: whose (empty = own or the whole household/register), options, copies."""

    kind: Kind
    subject_ids: tuple[str, ...] = ()
    fiscal_year: int | None = None
    options: tuple[str, ...] = ()
    copies: int = 1


@dataclass(frozen=True)
class Conditions:
    """The service conditions at the terminal: store hours, published maintenance, municipality up."""

    store_hours: WeeklyHours = ALWAYS_OPEN
    maintenance: Sequence[MaintenanceWindow] = ()
    municipality_up: bool = True


_NORMAL: Final = Conditions()


def _own_first(own: str, ids: Sequence[str]) -> tuple[str, ...]:
    return (own, *(i for i in ids if i != own))


def menu(
    rulebook: Rulebook,
    person: PersonFacts,
    card: CardFacts,
    kind: Kind,
    at: datetime,
    conditions: Conditions = _NORMAL,
) -> Decision:
    """Allowed(fee per copy, choices) listing what the person may choose, or Refused(reason)."""
    local = to_jst(at)
    today = local.date()
    hours = service_open(  # refuses kind_not_offered first
        rulebook,
        kind,
        local,
        store_hours=conditions.store_hours,
        maintenance=conditions.maintenance,
        municipality_up=conditions.municipality_up,
    )
    if isinstance(hours, Refused):
        return hours
    reason = elig.check_day_one(card, today) or elig.check_age(person, today)
    if reason is not None:
        return Refused(reason)
    offer = _kind_choices(rulebook, person, kind, today)
    if isinstance(offer, Reason):
        return Refused(offer)
    reason = elig.check_pending_change(person, kind) or elig.check_kiosk_stop(person, kind, ())
    if reason is not None:
        return Refused(reason)
    whole = elig.check_kiosk_stop(person, kind, elig.whole_scope(person, kind)) is None
    choices = replace(
        offer,
        members=tuple(m for m in offer.members if elig.check_kiosk_stop(person, kind, (m,)) is None),
        whole_allowed=whole,
        options=_options(kind, person, whole),
        option_required=kind in _OPTION_REQUIRED,
        max_copies=rulebook.rule(kind).max_copies,
    )
    return Allowed(fee=rulebook.fee(kind), choices=choices)


def _options(kind: Kind, person: PersonFacts, whole: bool) -> tuple[str, ...]:
    """The kind's options: 全部事項 only when the whole may be printed, the foreign residents' items
    only for a household with a foreign resident (documents.md)."""
    options = tuple(o for o in _OPTIONS[kind] if whole or o != OPTION_WHOLE)
    if kind is Kind.JUMINHYO and person.household_foreign:
        options += _FOREIGN_OPTIONS
    return options


def _kind_choices(rulebook: Rulebook, person: PersonFacts, kind: Kind, today: date) -> Choices | Reason:
    """The kind's own rules (ELG-2..4, CRT-1..5): whom and which years the person may choose, or why not."""
    own = (person.person_id,)
    if kind.is_family_register:
        reason = (
            elig.check_honseki(person)
            or elig.check_register(person)
            or elig.check_register_members(person, ())
        )
        return reason or Choices(members=_own_first(person.person_id, person.register_member_ids))
    reason = elig.check_resident(person)
    if reason is not None:
        return reason
    if kind is Kind.JUMINHYO:
        return Choices(members=_own_first(person.person_id, person.household_member_ids))
    if kind is Kind.INKAN:
        return elig.check_seal(person) or Choices(members=own)
    years, reason = _fiscal_years(rulebook, person, today)
    if reason is not None:
        return reason
    return Choices(members=own, fiscal_years=years, note=_pending_note(rulebook, person, today))


def _fiscal_years(
    rulebook: Rulebook, person: PersonFacts, today: date
) -> tuple[tuple[int, ...], Reason | None]:
    """CRT-3 / LAG-2: the offered years this person may take; a reason when none is left."""
    offered = rulebook.fiscal_years(today)
    years = tuple(fy for fy in offered if elig.check_fiscal_year(person, fy, offered) is None)
    if years:
        return years, None
    if any(fy in person.resident_on_jan_1 for fy in offered):
        return (), Reason.TAX_DECLARATION_PENDING
    return (), Reason.NOT_RESIDENT_ON_JAN_1


def _pending_note(rulebook: Rulebook, person: PersonFacts, today: date) -> Reason | None:
    """LAG-2: a year held back by a pending declaration is not dropped silently; the person is told."""
    offered = rulebook.fiscal_years(today)
    held = (elig.check_fiscal_year(person, fy, offered) for fy in offered)
    return Reason.TAX_YEAR_PENDING if Reason.TAX_DECLARATION_PENDING in held else None


def decide(
    rulebook: Rulebook,
    person: PersonFacts,
    card: CardFacts,
    request: Request,
    at: datetime,
    conditions: Conditions = _NORMAL,
) -> Decision:
    """The decision for one concrete request: Allowed(fee per copy, copies, choices) or Refused."""
    offer = menu(rulebook, person, card, request.kind, at, conditions)
    if isinstance(offer, Refused):
        return offer
    # a stopped person is missing from the menu's members: say so neutrally, not "not in household"
    reason = elig.check_kiosk_stop(person, request.kind, request.subject_ids) or check_choice(
        offer.choices, request
    )
    if reason is Reason.FISCAL_YEAR_NOT_OFFERED and request.fiscal_year is not None:
        # the person's facts say why a year is missing from the menu (CRT-3, LAG-2)
        offered_years = rulebook.fiscal_years(to_jst(at).date())
        reason = elig.check_fiscal_year(person, request.fiscal_year, offered_years) or reason
    if reason is not None:
        return Refused(reason)
    return Allowed(fee=offer.fee, choices=offer.choices, copies=request.copies)


# Whose certificate a person may not choose, per kind: why (CRT-1..5; kazei: our reading, own only).
_NOT_CHOOSABLE: Final[dict[Kind, Reason]] = {
    Kind.JUMINHYO: Reason.NOT_IN_HOUSEHOLD,
    Kind.INKAN: Reason.NOT_OWN_SEAL,
    Kind.KAZEI: Reason.NOT_IN_HOUSEHOLD,
    Kind.KOSEKI: Reason.NOT_IN_REGISTER,
    Kind.FUHYO: Reason.NOT_IN_REGISTER,
}


def check_choice(choices: Choices, request: Request) -> Reason | None:
    """FEE-1, CRT-1..5: whether a request lies within the choices a menu offered for its kind.

    The one check of a choice: `decide` applies it to the menu it computes, the center to the menu it
    served (it holds the choices, never the person's facts).
    """
    kind, subjects = request.kind, request.subject_ids
    reason = check_copies_within(request.copies, choices.max_copies)
    if reason is not None:
        return reason
    if not choices.whole_allowed and _asks_whole(request):
        return Reason.NOT_AVAILABLE_AT_KIOSK  # before the options: 全部事項 is then not among them
    if any(option not in choices.options for option in request.options):
        return Reason.BAD_REQUEST
    if len(set(subjects)) != len(subjects):
        return Reason.BAD_REQUEST
    if kind is Kind.KOSEKI:
        whole, individual = OPTION_WHOLE in request.options, OPTION_INDIVIDUAL in request.options
        if whole == individual or (individual and not subjects) or (whole and subjects):
            return Reason.BAD_REQUEST
    if any(subject not in choices.members for subject in subjects):
        return _NOT_CHOOSABLE[kind]
    if kind is Kind.KAZEI:
        if request.fiscal_year is None:
            return Reason.BAD_REQUEST
        if request.fiscal_year not in choices.fiscal_years:
            return Reason.FISCAL_YEAR_NOT_OFFERED
    return None


def _asks_whole(request: Request) -> bool:
    """The whole household (住民票), the whole register (戸籍全部事項) or every member's 附票."""
    if request.kind is Kind.KOSEKI:
        return OPTION_WHOLE in request.options
    return request.kind in (Kind.JUMINHYO, Kind.FUHYO) and not request.subject_ids


def registration(
    rulebook: Rulebook,
    person: PersonFacts,
    card: CardFacts,
    at: datetime,
    conditions: Conditions = _NORMAL,
) -> Decision:
    """REG-1 / ELG-4 / ELG-6: may this person file the usage registration now? (no fee)"""
    local = to_jst(at)
    hours = service_open(
        rulebook,
        USAGE_REGISTRATION,
        local,
        store_hours=conditions.store_hours,
        maintenance=conditions.maintenance,
        municipality_up=conditions.municipality_up,
    )
    if isinstance(hours, Refused):
        return hours
    reason = (
        elig.check_usage_registration(person, card)
        or elig.check_day_one(card, local.date())
        or elig.check_age(person, local.date())
    )
    return Refused(reason) if reason is not None else Allowed(fee=0)


def certification_variant(person: PersonFacts, kind: Kind, chosen: Sequence[str] | None) -> str:
    """Which certification sentence of the rulebook a certificate prints (Rulebook.certification).

    `chosen`: the persons printed, None for the whole household or register. juminhyo: "whole" for the
    whole household, "partial" for some members; koseki: "whole" (全部事項) or "individual" (個人事項);
    other kinds: "default".
    """
    if kind is Kind.JUMINHYO:
        household = set(person.household_member_ids) | {person.person_id}
        return "whole" if chosen is None or set(chosen) == household else "partial"
    if kind is Kind.KOSEKI:
        return OPTION_WHOLE if chosen is None else OPTION_INDIVIDUAL
    return "default"
