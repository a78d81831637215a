"""Card links: certificate serials of a card or phone credential → person (ELG-5, DAY-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kofu.db import table_of
from kofu.registry.errors import RegistryError
from kofu.registry.models import CREDENTIALS, CardLink, Person


@dataclass(frozen=True)
class CardRecord:
    """What the center needs about a credential: whose it is and the DAY-1 dates."""

    person_id: str
    issued_on: date
    continued_use_on: date | None
    credential: str  # "card" | "phone"
    auth_serial: int = 0
    sign_serial: int | None = None


def link_card(
    session: Session,
    person_id: str,
    *,
    auth_serial: int,
    sign_serial: int | None,
    issued_on: date,
    credential: str = "card",
    continued_use_on: date | None = None,
) -> None:
    """Link a credential's certificate serials to a person; a serial already linked is refused."""
    if credential not in CREDENTIALS:
        raise RegistryError("bad_request", f"credential must be one of {CREDENTIALS}, not {credential!r}")
    pk = session.scalar(select(Person.id).where(Person.person_id == person_id))
    if pk is None:
        raise RegistryError("person_unknown", f"no person {person_id!r} in the registry")
    serials = [s for s in (auth_serial, sign_serial) if s is not None]
    clash = session.scalar(
        select(CardLink.id).where(or_(CardLink.auth_serial.in_(serials), CardLink.sign_serial.in_(serials)))
    )
    if clash is not None:
        raise RegistryError("serial_already_linked", "a certificate serial is already linked to a credential")
    session.add(
        CardLink(
            person_fk=pk,
            auth_serial=auth_serial,
            sign_serial=sign_serial,
            credential=credential,
            issued_on=issued_on,
            continued_use_on=continued_use_on,
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent link of the same serial; the caller's transaction is void
        raise RegistryError("serial_already_linked", "a certificate serial is already linked") from exc


MAX_SERIAL = 2**63 - 1  # serials are stored as signed 64-bit integers (BigInteger) on every engine


def storable_serial(serial: int) -> bool:
    """Whether a certificate serial can be in the registry at all (RFC 5280 allows up to 160 bits)."""
    return 0 <= serial <= MAX_SERIAL


_LINKS = table_of(CardLink)
_PERSONS = table_of(Person)
# plain Core, built once: the municipal server looks a card up at every menu and render
_BY_SERIAL = (
    select(_PERSONS.c.person_id, *(_LINKS.c[f] for f in CardRecord.__dataclass_fields__ if f != "person_id"))
    .join(_PERSONS, _PERSONS.c.id == _LINKS.c.person_fk)
    .where(_LINKS.c.auth_serial == bindparam("serial"))
)


def card_record(session: Session, auth_serial: int) -> CardRecord | None:
    """The credential whose user-authentication certificate has `auth_serial` (indexed lookup)."""
    if not storable_serial(auth_serial):
        return None
    row = session.execute(_BY_SERIAL, {"serial": auth_serial}).first()
    return None if row is None else CardRecord(**row._mapping)


def cards_of(session: Session, person_id: str) -> tuple[CardRecord, ...]:
    """Every credential linked to a person."""
    rows = session.execute(
        select(CardLink, Person.person_id)
        .join(Person, Person.id == CardLink.person_fk)
        .where(Person.person_id == person_id)
        .order_by(CardLink.id)
    ).all()
    return tuple(
        CardRecord(p, c.issued_on, c.continued_use_on, c.credential, c.auth_serial, c.sign_serial)
        for c, p in rows
    )
