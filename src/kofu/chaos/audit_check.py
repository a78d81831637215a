"""After the storm: the center's and the municipal server's audit chains verify with the home's keys (no
fault may make a false alarm), and every charge has its decisions in them, the render included.

The same checks as `kofu audit verify` and `kofu audit reconcile --render-db`, run in process.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from kofu.audit.keys import load_audit_key, load_head_public
from kofu.audit.log import read_chain, read_pending
from kofu.audit.verifier import verify_chain
from kofu.center.reconcile import RENDER, STEPS, allowed_orders, charged_orders, recorded_decisions, unaudited


def judge_audit(
    home: Path, center: sessionmaker[Session], municipal: sessionmaker[Session] | None
) -> tuple[list[str], list[str]]:
    """Every problem verify finds in either chain, and every charged order without its decisions."""
    key, public = load_audit_key(home), load_head_public(home)
    problems: list[str] = []
    allowed: set[tuple[str, str]] = set()
    for name, factory in (("center", center), ("municipal", municipal)):
        if factory is None:
            continue
        with factory() as session:
            entries, head = read_chain(session)
            pending = read_pending(session)
            allowed |= allowed_orders(recorded_decisions(session, key))
        report = verify_chain(entries, head, key, head_public=public, pending=pending)
        problems.extend(f"{name}: {problem}" for problem in report.problems)
    with center() as session:
        charged = charged_orders(session)
    missing = unaudited(charged, allowed, (*STEPS, RENDER))
    return problems, [f"order {u.order_id}: no {', '.join(u.missing)}" for u in missing]
