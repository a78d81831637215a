"""What a JPKI signing certificate says about its holder, read from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kofu.registry import repository


@dataclass(frozen=True)
class CardHolder:
    """基本4情報 plus the kana reading: name, birth date, sex, address."""

    person_id: str
    name: str
    name_kana: str
    birth_date: date
    sex: str  # "male" | "female"
    address: str


def card_holder(session: Session, person_id: str) -> CardHolder | None:
    """The holder data of a resident (current address) or a non-resident 本籍 holder (last 附票 address)."""
    p = repository.person(session, person_id)
    if p is None or p.status in ("deceased", "moved_out"):
        return None
    address = p.address.address if p.address else None
    if address is None:
        lines = repository.fuhyo(session, person_id)
        address = lines[-1].address if lines else None
    if address is None:
        return None
    return CardHolder(p.person_id, p.name, p.name_kana, p.birth_date, p.sex, address)
