"""Where a card may go, and what the center knows about it for DAY-1.

Two small tables of the center app:
- `center_cards`: one row per credential (auth serial → person id, card/phone, hand-over day (交付日,
  column `issued_on`) and continued-use date, as the municipality recorded them), filled when a card is
  handed over (`record_card`); the authenticator's DAY-1 source (`CenterCardRecords`).
- `center_card_routes`: auth serial → municipality code and role. The 住所地 route (`jushochi`) is added
  when a card is issued or the holder moves in (`add_card_route`); a 本籍地 route (`honsekichi`) is added
  when a usage registration is filed through the center (REG-1), to every credential of the holder, and
  a credential recorded later (a renewal, a reissue, a phone) inherits it: the registration is once per
  person, not per card. Whether the 本籍地 may be used yet (pending or approved, ELG-4) is the municipal
  server's answer in its menu, not the center's guess.
The demo fills both from its villages' registries (`kofu.demo.routes`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, sessionmaker

from kofu.center.app.models import CardRoute, CenterCard
from kofu.center.auth.cards import CardRecord
from kofu.center.registers import serial_hex
from kofu.db import reading, table_of

Role = Literal["jushochi", "honsekichi"]
ROLES: tuple[Role, ...] = ("jushochi", "honsekichi")
# plain Core on the tables: routes are read at every menu and quote, cards at every authentication
_ROUTES = table_of(CardRoute).c
_CARDS = table_of(CenterCard).c
# built once, values bound at each call: every authentication and order step reads them
_ROLE = select(_ROUTES.role).where(
    _ROUTES.auth_serial == bindparam("serial"), _ROUTES.municipality_code == bindparam("code")
)
_ROUTES_OF = select(_ROUTES.municipality_code, _ROUTES.role).where(_ROUTES.auth_serial == bindparam("serial"))
_CARD = select(_CARDS.person_id, _CARDS.issued_on, _CARDS.continued_use_on, _CARDS.credential).where(
    _CARDS.auth_serial == bindparam("serial")
)


def record_card(
    session: Session,
    *,
    auth_serial: int | str,
    person_id: str,
    credential: str,
    handed_over_on: date,
    now: datetime,
    continued_use_on: date | None = None,
) -> None:
    """Record (or update) a credential the center will authenticate, with its DAY-1 days; it inherits
    the 本籍地 routes of its holder's other credentials (REG-1)."""
    key = serial_hex(auth_serial)
    row = session.get(CenterCard, key)
    if row is None:
        row = CenterCard(auth_serial=key)
        session.add(row)
    row.person_id, row.credential = person_id, credential
    row.issued_on, row.continued_use_on = handed_over_on, continued_use_on
    session.flush()
    for code in _holder_honseki_codes(session, person_id):  # REG-1: a new card keeps the person's 本籍地
        add_card_route(session, auth_serial=key, municipality_code=code, role="honsekichi", now=now)


def _holder_serials(session: Session, person_id: str) -> list[str]:
    return list(session.scalars(select(CenterCard.auth_serial).where(CenterCard.person_id == person_id)))


def _holder_honseki_codes(session: Session, person_id: str) -> set[str]:
    """The 本籍地 any credential of this holder is routed to (REG-1: once per person)."""
    serials = _holder_serials(session, person_id)
    if not serials:
        return set()
    rows = session.scalars(
        select(CardRoute.municipality_code).where(
            CardRoute.auth_serial.in_(serials), CardRoute.role == "honsekichi"
        )
    )
    return set(rows)


def add_holder_route(
    session: Session, *, auth_serial: int | str, municipality_code: str, role: Role, now: datetime
) -> None:
    """`add_card_route` for every credential of this card's holder (REG-1: a registration is per person);
    a card the center has no record of gets the route alone."""
    key = serial_hex(auth_serial)
    person_id = session.scalar(select(CenterCard.person_id).where(CenterCard.auth_serial == key))
    serials = {key, *(_holder_serials(session, person_id) if person_id is not None else ())}
    for serial in sorted(serials):
        add_card_route(session, auth_serial=serial, municipality_code=municipality_code, role=role, now=now)


def add_card_route(
    session: Session, *, auth_serial: int | str, municipality_code: str, role: Role, now: datetime
) -> None:
    """Let the card go to `municipality_code` in `role`; adding an existing route again changes nothing."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    key = serial_hex(auth_serial)
    row = session.get(CardRoute, (key, municipality_code))
    if row is None:
        session.add(CardRoute(auth_serial=key, municipality_code=municipality_code, role=role, added_at=now))
    elif row.role != role and role == "jushochi":
        row.role = role  # a 本籍地 the holder moved into becomes the 住所地
    session.flush()


def register_issued_card(
    session: Session,
    *,
    auth_serial: int | str,
    person_id: str,
    credential: str,
    handed_over_on: date,
    municipality_code: str,
    now: datetime,
) -> None:
    """A card handed over to its holder: record it for DAY-1 and route it to the holder's 住所地."""
    record_card(
        session,
        auth_serial=auth_serial,
        person_id=person_id,
        credential=credential,
        handed_over_on=handed_over_on,
        now=now,
    )
    add_card_route(
        session, auth_serial=auth_serial, municipality_code=municipality_code, role="jushochi", now=now
    )


def remove_card_route(session: Session, *, auth_serial: int | str, municipality_code: str) -> bool:
    """Stop routing the card to a municipality (moved away); False if there was no such route."""
    result = session.execute(
        delete(CardRoute).where(
            CardRoute.auth_serial == serial_hex(auth_serial),
            CardRoute.municipality_code == municipality_code,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def card_routes(session: Session, auth_serial: int | str) -> list[tuple[str, Role]]:
    """(municipality code, role) of every route of a card, 住所地 first."""
    rows = session.execute(_ROUTES_OF, {"serial": serial_hex(auth_serial)}).all()
    routes: list[tuple[str, Role]] = [
        (code, "jushochi" if role == "jushochi" else "honsekichi") for code, role in rows
    ]
    return sorted(routes, key=lambda r: (r[1] != "jushochi", r[0]))


def route_role(session: Session, auth_serial: int | str, municipality_code: str) -> Role | None:
    """The card's role at `municipality_code`, or None when it may not be routed there at all."""
    role = session.scalar(_ROLE, {"serial": serial_hex(auth_serial), "code": municipality_code})
    if role is None:
        return None
    return "jushochi" if role == "jushochi" else "honsekichi"


class CenterCardRecords:
    """The authenticator's card records (DAY-1) from the center's own `center_cards` table."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def lookup(self, auth_serial: int) -> CardRecord | None:
        with reading(self.factory) as session:
            row = session.execute(_CARD, {"serial": serial_hex(auth_serial)}).first()
        if row is None:
            return None
        return CardRecord(row.person_id, row.issued_on, row.continued_use_on, row.credential)
