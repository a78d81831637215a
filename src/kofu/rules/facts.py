"""The small facts the rules decide on, gathered by the municipal server from its registry.

Plain frozen dataclasses: no database types, so rules stay pure and tests build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from kofu.rules.kinds import Kind

UsageRegistration = Literal["none", "pending", "approved"]
SealStatus = Literal["none", "registered", "abolished"]
RegisterStatus = Literal["current", "closed", "pre_conversion"]
Credential = Literal["card", "phone"]


@dataclass(frozen=True)
class PersonFacts:
    """What the municipality knows about the requester, as of the request.

    `household_member_ids` and `register_member_ids` include the requester's own id.
    `resident_on_jan_1` holds each year N in which the person was registered here on 1 January.
    `tax_pending_years` holds fiscal years with a declaration or amendment not yet reflected (LAG-2).
    `pending_address_change` / `pending_register_change`: a change to the household's residence
    record / to the family register was filed but is not reflected yet (LAG-1).
    `pending_seal_abolition`: the person's seal abolition was filed but is not reflected yet (INC-4).
    `pending_seal_registration`: the person's seal registration was filed but is not reflected yet (LAG-1).
    `pending_name_ids`: persons of the household or register (or the requester) whose change of name was
    filed but is not reflected yet (LAG-1): no certificate printing one of them is issued meanwhile.
    `pending_household_change`: a person is filed to leave or join the household and it is not reflected
    yet (LAG-1): its 住民票 is refused meanwhile.
    `household_address_stale`: a member's address is not the household's, a move not yet reflected in
    the household record (INC-5).
    `register_removed_ids`: persons who left the register (除籍) but are still printed in its 全部事項
    and 附票.
    `household_foreign`: a member of the household is a foreign resident (the 住民票 then offers
    国籍・地域 and 在留資格 as options).
    `kiosk_stops`: (person id, kind) pairs never printed at a kiosk, for the requester and everyone in
    their household or register: a support measure (支援措置) stops every kind, the village one kind.
    """

    person_id: str
    birth_date: date
    resident: bool
    honseki_here: bool = False
    usage_registration: UsageRegistration = "none"
    household_member_ids: tuple[str, ...] = ()
    register_member_ids: tuple[str, ...] = ()
    register_status: RegisterStatus | None = None
    seal: SealStatus = "none"
    resident_on_jan_1: frozenset[int] = frozenset()
    tax_pending_years: frozenset[int] = frozenset()
    pending_address_change: bool = False
    pending_register_change: bool = False
    pending_seal_abolition: bool = False
    pending_seal_registration: bool = False
    pending_name_ids: frozenset[str] = frozenset()
    pending_household_change: bool = False
    household_address_stale: bool = False
    register_removed_ids: tuple[str, ...] = ()
    household_foreign: bool = False
    kiosk_stops: frozenset[tuple[str, Kind]] = frozenset()


@dataclass(frozen=True)
class CardFacts:
    """The credential used: a card or a phone, the day it was handed over (交付日) and any continued-use
    date (DAY-1), as the municipality recorded them; never the certificate's notBefore (may be earlier)."""

    credential: Credential
    handed_over_on: date
    continued_use_on: date | None = None
