"""The menu offer a session's quotes are priced from: what the center served, in ids and numbers only.

When the center serves a menu the municipality answered, it keeps per kind just what the quote checks
(allowed, reason, fee, copies, person ids, fiscal years, options, whether the whole may be chosen), so
the quote need not ask the municipal server for the same menu again: the municipal server decides
everything again at render.
Never names or labels (the center keeps no certificate content); forgotten with the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.app.models import MenuOffer
from kofu.center.app.sessions import hold_live
from kofu.db import table_of, transaction
from kofu.rules.decision import Choices
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.wire.sessions import MenuItem, MenuResponse

_OFFER_TABLE = table_of(MenuOffer)  # plain Core: the menu and quote steps load no ORM objects
_OFFERS = _OFFER_TABLE.c


@dataclass(frozen=True)
class Offered:
    """One kind as a menu offered it: what the quote's check and the order need, nothing shown."""

    allowed: bool
    reason: Reason | None
    unit_fee: int
    max_copies: int
    persons: frozenset[str]  # the members' person ids (their labels are shown, never kept)
    fiscal_years: tuple[int, ...]
    options: tuple[str, ...]
    whole_allowed: bool = True

    @property
    def choices(self) -> Choices:
        """This kind's choices as the menu offered them (what `rules.menu.check_choice` reads)."""
        return Choices(
            members=tuple(sorted(self.persons)),
            fiscal_years=self.fiscal_years,
            options=self.options,
            max_copies=self.max_copies,
            whole_allowed=self.whole_allowed,
        )


Offer = dict[Kind, Offered]


def offered(item: MenuItem) -> Offered:
    """What the quote needs of one menu item."""
    return Offered(
        allowed=item.allowed,
        reason=item.reason,
        unit_fee=item.unit_fee,
        max_copies=item.max_copies,
        persons=frozenset(m.person_id for m in item.members),
        fiscal_years=item.fiscal_years,
        options=item.options,
        whole_allowed=item.whole_allowed,
    )


def offer_of(menu: MenuResponse) -> Offer:
    """The offer of a menu, per kind."""
    return {item.kind: offered(item) for item in menu.items}


def _to_json(offer: Offer) -> dict[str, Any]:
    return {
        kind.value: {
            "allowed": o.allowed,
            "reason": o.reason.value if o.reason is not None else None,
            "unit_fee": o.unit_fee,
            "max_copies": o.max_copies,
            "persons": sorted(o.persons),
            "fiscal_years": list(o.fiscal_years),
            "options": list(o.options),
            "whole_allowed": o.whole_allowed,
        }
        for kind, o in offer.items()
    }


def _from_json(data: dict[str, Any]) -> Offer:
    return {
        Kind(kind): Offered(
            allowed=bool(o["allowed"]),
            reason=Reason(o["reason"]) if o["reason"] is not None else None,
            unit_fee=int(o["unit_fee"]),
            max_copies=int(o["max_copies"]),
            persons=frozenset(o["persons"]),
            fiscal_years=tuple(o["fiscal_years"]),
            options=tuple(o["options"]),
            whole_allowed=bool(o.get("whole_allowed", True)),  # an offer kept before the field existed
        )
        for kind, o in data.items()
    }


# built once, values bound at each call; "items" by key: a column collection has an items() method
_MINE = (_OFFERS.session_id == bindparam("sid"), _OFFERS.municipality_code == bindparam("code"))
_LOAD = select(_OFFERS["items"]).where(*_MINE)
_DROP = delete(_OFFER_TABLE).where(*_MINE)
_ADD = insert(_OFFER_TABLE)


def load(session: Session, session_id: str, code: str) -> Offer | None:
    """The offer the session was last served from this municipality, if any."""
    items = session.scalar(_LOAD, {"sid": session_id, "code": code})
    return None if items is None else _from_json(items)


def store(
    factory: sessionmaker[Session],
    session_id: str,
    code: str,
    offer: Offer | None,
    also: Callable[[Session], None] | None = None,
) -> None:
    """Replace the session's offer from this municipality (None: drop it, so the quote asks afresh).

    `also` runs in the same transaction (the menu's audit entry).
    """
    try:
        with transaction(factory) as session:
            # the session row first (as a close takes it): an offer is never stored for a closed session
            live = hold_live(session, session_id)
            session.execute(_DROP, {"sid": session_id, "code": code})
            if offer is not None and live:
                session.execute(
                    _ADD, {"session_id": session_id, "municipality_code": code, "items": _to_json(offer)}
                )
            if also is not None:
                also(session)
    except IntegrityError:
        pass  # a twin of this retried menu request stored its offer, as fresh as this one, first
