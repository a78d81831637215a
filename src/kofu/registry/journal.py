"""Writing one pending change to the journal (`changes`): what every filing of an office write ends in."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kofu.registry.models import Change


def file_change(
    session: Session,
    *,
    person_fk: int | None,
    kind: str,
    filed_on: date,
    payload: dict[str, Any],
    household_fk: int | None = None,
) -> int:
    """The journal row's id of a change filed now, pending until reflected (`person_fk` None: a change
    that creates its person)."""
    change = Change(
        person_fk=person_fk,
        household_fk=household_fk,
        kind=kind,
        filed_on=filed_on,
        status="pending",
        payload=json.dumps(payload, ensure_ascii=False, default=str),
    )
    session.add(change)
    session.flush()
    return change.id
