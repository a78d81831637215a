"""Who may get what: ELG-2..4, ELG-6, CRT-1..5, REG-1, DAY-1, LAG-1, LAG-2 as pure checks.

Each check returns None when the rule is satisfied, or the Reason it refuses for.

Our readings (rules.md leaves them open):
- The age limit (ELG-2) applies to every requester, family-register requesters included.
- juminhyo, inkan and kazei need current residence here: a kiosk offers a municipality's
  residence-based certificates only to its residents; kazei also needs 1 January of year N (CRT-3).
- LAG-1: a pending residence change blocks juminhyo, inkan and fuhyo; a pending family-register
  notification blocks koseki, fuhyo, juminhyo and inkan (names and 本籍 are printed on them).
- INC-5: a member whose address is not yet the household's blocks the household's 住民票 (one
  household address is printed), whoever is chosen.
- INC-4: a pending seal abolition blocks the seal certificate only; it is neither a change of address
  nor a family-register notification (LAG-1), so 住民票 and 附票 stay printable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from kofu.rules.age import is_old_enough
from kofu.rules.facts import CardFacts, PersonFacts
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason


def check_day_one(card: CardFacts, today: date) -> Reason | None:
    """DAY-1: not on the day the card was handed over nor on the continued-use procedure day (Japan dates)."""
    if today == card.handed_over_on:
        return Reason.CARD_ISSUED_TODAY
    if card.continued_use_on is not None and today == card.continued_use_on:
        return Reason.CONTINUED_USE_TODAY
    return None


def check_age(person: PersonFacts, today: date) -> Reason | None:
    """ELG-2: 15 or over on the day of the request."""
    return None if is_old_enough(person.birth_date, today) else Reason.UNDER_15


def check_resident(person: PersonFacts) -> Reason | None:
    """ELG-2: residence-based kinds need a current 住民登録 here."""
    return None if person.resident else Reason.NOT_RESIDENT


def check_honseki(person: PersonFacts) -> Reason | None:
    """ELG-3, ELG-4, CRT-4: 本籍 here; non-residents need an approved usage registration."""
    if not person.honseki_here:
        return Reason.NOT_HONSEKI
    if person.resident:
        return None
    if person.usage_registration == "pending":
        return Reason.USAGE_REGISTRATION_PENDING
    if person.usage_registration != "approved":
        return Reason.USAGE_REGISTRATION_REQUIRED
    return None


def check_register(person: PersonFacts) -> Reason | None:
    """CRT-4: only a current register; 除籍 and 改製原戸籍 are refused at a kiosk."""
    if person.register_status == "closed":
        return Reason.REGISTER_CLOSED
    if person.register_status == "pre_conversion":
        return Reason.REGISTER_PRE_CONVERSION
    if person.register_status is None:
        return Reason.NOT_IN_REGISTER
    return None


def check_seal(person: PersonFacts, subject_ids: Sequence[str] = ()) -> Reason | None:
    """CRT-2: only the registered person's own, and only a live registration."""
    if any(subject != person.person_id for subject in subject_ids):
        return Reason.NOT_OWN_SEAL
    if person.pending_seal_registration:
        return Reason.RECORD_CHANGE_PENDING  # LAG-1: filed, not yet absent nor printable
    if person.seal == "abolished":
        return Reason.SEAL_ABOLISHED
    if person.seal != "registered":
        return Reason.NO_SEAL_REGISTRATION
    return None


def check_household(person: PersonFacts, subject_ids: Sequence[str]) -> Reason | None:
    """CRT-1: the requester's own record and members of the same household only."""
    household = set(person.household_member_ids) | {person.person_id}
    return None if set(subject_ids) <= household else Reason.NOT_IN_HOUSEHOLD


def check_register_members(person: PersonFacts, subject_ids: Sequence[str]) -> Reason | None:
    """CRT-4, CRT-5: the requester must be in the register, and so must every chosen person."""
    members = set(person.register_member_ids)
    if person.person_id not in members or not set(subject_ids) <= members:
        return Reason.NOT_IN_REGISTER
    return None


def check_fiscal_year(person: PersonFacts, fiscal_year: int, offered: Sequence[int]) -> Reason | None:
    """CRT-3 and LAG-2: an offered year, registered here on 1 January of it, no pending declaration."""
    if fiscal_year not in offered:
        return Reason.FISCAL_YEAR_NOT_OFFERED
    if fiscal_year not in person.resident_on_jan_1:
        return Reason.NOT_RESIDENT_ON_JAN_1
    if fiscal_year in person.tax_pending_years:
        return Reason.TAX_DECLARATION_PENDING
    return None


_BLOCKED_BY_ADDRESS = frozenset({Kind.JUMINHYO, Kind.INKAN, Kind.FUHYO})
_BLOCKED_BY_REGISTER = frozenset({Kind.KOSEKI, Kind.FUHYO, Kind.JUMINHYO, Kind.INKAN})


def check_pending_change(person: PersonFacts, kind: Kind) -> Reason | None:
    """LAG-1, INC-4, INC-5: never print a record whose change is filed but not yet reflected."""
    if person.pending_address_change and kind in _BLOCKED_BY_ADDRESS:
        return Reason.RECORD_CHANGE_PENDING
    if person.pending_register_change and kind in _BLOCKED_BY_REGISTER:
        return Reason.RECORD_CHANGE_PENDING
    if person.household_address_stale and kind is Kind.JUMINHYO:
        return Reason.RECORD_CHANGE_PENDING  # INC-5: never the household's old address
    if person.pending_seal_abolition and kind is Kind.INKAN:
        return Reason.RECORD_CHANGE_PENDING  # INC-4: never a seal certificate the abolition voids
    if person.pending_seal_registration and kind is Kind.INKAN:
        return Reason.RECORD_CHANGE_PENDING
    if person.pending_name_ids & {person.person_id, *whole_scope(person, kind)}:
        return Reason.RECORD_CHANGE_PENDING  # never a name about to change
    if person.pending_household_change and kind is Kind.JUMINHYO:
        return Reason.RECORD_CHANGE_PENDING  # never a household a member is about to leave or join
    return None


def check_kiosk_stop(person: PersonFacts, kind: Kind, printed: Iterable[str]) -> Reason | None:
    """Per-person stops: nothing of `kind` for a stopped requester, nor printing a stopped person."""
    if any((who, kind) in person.kiosk_stops for who in (person.person_id, *printed)):
        return Reason.NOT_AVAILABLE_AT_KIOSK  # one neutral sentence: the measure is never named
    return None


def whole_scope(person: PersonFacts, kind: Kind) -> tuple[str, ...]:
    """Who a certificate of the whole household (住民票) or register (戸籍全部事項, 附票) prints."""
    if kind is Kind.JUMINHYO:
        return (person.person_id, *person.household_member_ids)
    if kind.is_family_register:
        return (*person.register_member_ids, *person.register_removed_ids)
    return (person.person_id,)


def needs_usage_registration(person: PersonFacts) -> bool:
    """ELG-4: 本籍 here, not resident, and no approved usage registration yet (pending still needs it)."""
    return person.honseki_here and not person.resident and person.usage_registration != "approved"


def check_usage_registration(person: PersonFacts, card: CardFacts) -> Reason | None:
    """REG-1, ELG-6: 本籍 here, not resident, not yet filed, and filed with a card, never a phone."""
    if card.credential == "phone":
        return Reason.PHONE_NOT_ALLOWED_FOR_REGISTRATION
    if not person.honseki_here:
        return Reason.NOT_HONSEKI
    if person.usage_registration == "pending":
        return Reason.USAGE_REGISTRATION_PENDING
    if person.resident or person.usage_registration == "approved":
        return Reason.ALREADY_REGISTERED
    return None
