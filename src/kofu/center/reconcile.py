"""Charged orders against the audit chain: every charge must come with the decisions that led to it.

A charged order (in the fee ledger, or in state charged) was quoted, paid, rendered and confirmed, and
each of those steps appended an `allowed` entry naming the order. An order charged without them had
its entries removed or never let into the chain (a trigger on `audit_pending`): `kofu audit reconcile`
names it. Optionally the municipal servers' chains are asked for the render of each order too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kofu.audit.entry import ALLOWED
from kofu.audit.log import read_chain, read_pending
from kofu.center.models import LedgerEntry, Order
from kofu.rules.order import State

STEPS = ("order.quote", "order.pay", "order.render", "order.confirm")
RENDER = "municipal.render"  # the municipal server's own entry of the render


@dataclass(frozen=True)
class Unaudited:
    """A charged order and the allowed decisions about it that no chain holds."""

    order_id: str
    charged_at: datetime | None
    missing: tuple[str, ...]


def charged_orders(session: Session) -> dict[str, datetime | None]:
    """Every order the center charged (ledger entry or state), with when."""
    charged: dict[str, datetime | None] = {}
    for order_id, at in session.execute(
        select(Order.order_id, Order.charged_at).where(Order.state == State.CHARGED.value)
    ):
        charged[str(order_id)] = at
    for order_id, at in session.execute(select(LedgerEntry.order_id, LedgerEntry.charged_at)):
        charged[str(order_id)] = at
    return charged


def recorded_decisions(session: Session, key: bytes | None) -> list[tuple[str, str, str]]:
    """(action, subject, outcome) of every entry, and of every pending row a worker recorded (decided,
    not chained yet); `kofu audit verify` vouches for the entries."""
    entries, _ = read_chain(session)
    found = [(e.action, e.subject, e.outcome) for e in entries]
    for p in read_pending(session):
        if p.event is not None and (p.authentic(key) or (key is None and p.mac is None)):
            found.append((p.event.action, p.event.subject, p.event.outcome))
    return found


def allowed_orders(decisions: Iterable[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """(action, order id) of every allowed decision among (action, subject, outcome) triples."""
    found: set[tuple[str, str]] = set()
    for action, subject, outcome in decisions:
        if outcome != ALLOWED:
            continue
        for part in subject.split():
            if part.startswith("order:"):
                found.add((action, part.removeprefix("order:")))
    return found


def unaudited(
    charged: dict[str, datetime | None], allowed: set[tuple[str, str]], steps: Sequence[str] = STEPS
) -> list[Unaudited]:
    """The charged orders some of whose `steps` have no allowed decision, oldest charge first."""
    out = [
        Unaudited(order_id, at, missing)
        for order_id, at in charged.items()
        if (missing := tuple(step for step in steps if (step, order_id) not in allowed))
    ]
    return sorted(out, key=lambda u: (u.charged_at.timestamp() if u.charged_at else math.inf, u.order_id))
