"""The one translator of a registry snapshot into rule facts (kofu.rules.facts), pure, no I/O.

The menu, the render's decision and the composer all decide on these facts, so a record is offered
exactly when it is printable. Our readings:
- `resident_on_jan_1`: the fiscal years N for which the registry holds a tax record of this person
  (the municipality taxes those registered here on 1 January of N), CRT-3.
- `register_member_ids`: the persons still in the register; a removed (除籍) member is not chosen (CRT-4).
- `tax_pending_years`: the person's own declarations, amendments or assessments (賦課) not yet reflected
  (LAG-2); a year first assessed counts as registered on its 1 January, so it is refused as pending.
- `pending_address_change` / `pending_register_change`: any change of the residence record (a move, a
  registration ending: 転出, 死亡, a foreign resident's 在留資格) / family-register change filed and
  not yet reflected for anyone in the person's household or register (LAG-1).
- `pending_seal_abolition` / `pending_seal_registration`: the person's own seal abolition (INC-4) /
  registration (印鑑登録, LAG-1) filed and not yet reflected.
- `pending_name_ids`: the persons of the household or register with a change of name (氏名変更) filed
  and not yet reflected (LAG-1).
- `pending_household_change`: a person filed to leave or join the household (世帯変更, 出生, 転入) and
  not yet reflected (LAG-1).
- `household_address_stale`: a member's current address is not the household's (INC-5).
- `kiosk_stops`: the live stops of the person and of everyone in the household or register (removed
  members too: the 全部事項 and the 附票 print them); a stop without a kind stops every kind.
"""

from __future__ import annotations

from kofu.registry.cards import CardRecord
from kofu.registry.records import (
    HOUSEHOLD_CHANGE_KINDS,
    REGISTER_CHANGE_KINDS,
    TAX_CHANGE_KINDS,
    PersonSnapshot,
)
from kofu.rules.facts import CardFacts, Credential, PersonFacts, RegisterStatus, SealStatus, UsageRegistration
from kofu.rules.kinds import Kind

_REGISTER_STATUSES: dict[str, RegisterStatus] = {
    "current": "current",
    "closed": "closed",
    "pre_conversion": "pre_conversion",
}


def _usage(snap: PersonSnapshot) -> UsageRegistration:
    status = snap.usage.status if snap.usage else "none"
    return "pending" if status == "pending" else "approved" if status == "approved" else "none"


def _seal(snap: PersonSnapshot) -> SealStatus:
    if snap.seal is None:
        return "none"
    return "registered" if snap.seal.is_registered else "abolished"


def _household_address_stale(snap: PersonSnapshot) -> bool:
    """A member's current address differs from the household's one (a move not reflected in it)."""
    hh = snap.household
    if hh is None:
        return False
    own = snap.person.address
    address = hh.address or (own.address if own else "")
    return any(m.address is None or m.address.address != address for m in hh.members)


def _kiosk_stops(snap: PersonSnapshot) -> frozenset[tuple[str, Kind]]:
    """A stop without a kind (a support measure) stops every kind."""
    return frozenset(
        (stop.person_id, kind)
        for stop in snap.stops
        for kind in ((Kind(stop.kind),) if stop.kind else tuple(Kind))
    )


def person_facts(snap: PersonSnapshot) -> PersonFacts:
    """The facts the rulebook decides on, for the snapshot's person."""
    person = snap.person
    household = tuple(m.person_id for m in snap.household.members) if snap.household else ()
    koseki = snap.koseki
    members = (
        tuple(m.person_id for m in koseki.members if m.person_id is not None and not m.removed)
        if koseki
        else ()
    )
    removed = (
        tuple(m.person_id for m in koseki.members if m.person_id is not None and m.removed) if koseki else ()
    )
    tax_pending = frozenset(
        c.fiscal_year
        for c in snap.pending
        if c.kind in TAX_CHANGE_KINDS and c.person_id == person.person_id and c.fiscal_year is not None
    )
    return PersonFacts(
        person_id=person.person_id,
        birth_date=person.birth_date,
        resident=person.status == "resident",
        honseki_here=koseki is not None,
        usage_registration=_usage(snap),
        household_member_ids=household,
        register_member_ids=members,
        register_status=_REGISTER_STATUSES.get(koseki.status) if koseki else None,
        seal=_seal(snap),
        resident_on_jan_1=frozenset(t.fiscal_year for t in snap.tax_years) | tax_pending,
        tax_pending_years=tax_pending,
        pending_address_change=any(snap.has_pending(k) for k in ("address", "residence", "foreign_status")),
        pending_register_change=any(snap.has_pending(k) for k in REGISTER_CHANGE_KINDS),
        pending_seal_abolition=snap.has_pending("seal_abolition", person_id=person.person_id),
        pending_seal_registration=snap.has_pending("seal_registration", person_id=person.person_id),
        pending_name_ids=frozenset(c.person_id for c in snap.pending if c.kind == "name"),
        pending_household_change=any(snap.has_pending(k) for k in HOUSEHOLD_CHANGE_KINDS),
        household_address_stale=_household_address_stale(snap),
        register_removed_ids=removed,
        household_foreign=bool(snap.household and any(m.foreign for m in snap.household.members)),
        kiosk_stops=_kiosk_stops(snap),
    )


def card_facts(card: CardRecord) -> CardFacts:
    """The credential's facts for DAY-1 and ELG-6."""
    credential: Credential = "phone" if card.credential == "phone" else "card"
    return CardFacts(
        credential=credential, handed_over_on=card.issued_on, continued_use_on=card.continued_use_on
    )
