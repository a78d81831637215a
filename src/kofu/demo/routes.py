"""The demo's center learns every card of its villages' registries, with its route.

Here, not in the center: the demo's center and registries are on one machine, and reading a registry's
tables is the demo's shortcut (elsewhere the center records a card when it is issued, `record_card`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.center.app.routing import add_card_route, record_card
from kofu.registry.models import CardLink, Koseki, KosekiMember, Person


def sync_routes_from_registry(
    center: Session, registry: Session, *, municipality_code: str, now: datetime
) -> int:
    """Record every credential linked in a municipality's registry, with its route; the number of cards.

    Residents get a 住所地 route; non-residents recorded in a current register here get a 本籍地 route,
    so they can file the usage registration at a kiosk (ELG-4, REG-1); whether they may use it yet is
    the municipal server's answer in its menu.
    """
    rows = registry.execute(
        select(
            CardLink.auth_serial,
            CardLink.credential,
            CardLink.issued_on,
            CardLink.continued_use_on,
            Person.person_id,
            Person.status,
            Person.id,
        ).join(Person, Person.id == CardLink.person_fk)
    ).all()
    honseki_here = set(
        registry.scalars(
            select(KosekiMember.person_fk)
            .join(Koseki, Koseki.id == KosekiMember.koseki_fk)
            .where(Koseki.status == "current", KosekiMember.removed.is_(False))
        )
    )
    count = 0
    for serial, credential, issued_on, continued, person_id, status, pk in rows:
        record_card(
            center,
            auth_serial=serial,
            person_id=person_id,
            credential=credential,
            handed_over_on=issued_on,  # the registry's card link holds the 交付日 it recorded
            continued_use_on=continued,
            now=now,
        )
        if status == "resident":
            add_card_route(
                center, auth_serial=serial, municipality_code=municipality_code, role="jushochi", now=now
            )
        elif pk in honseki_here:
            add_card_route(
                center, auth_serial=serial, municipality_code=municipality_code, role="honsekichi", now=now
            )
        count += 1
    return count
