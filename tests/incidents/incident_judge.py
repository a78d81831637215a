"""Judging the printed paper, not the API's word: pdftotext of every page against the registry now.

(The paper judge itself is `kofu.chaos.judge`, shared with `kofu bench chaos`.)

A printed document passes when every page carries the same unique number and its own "n / N"
(PAG-1, INC-3), it names every person the requester chose and nobody else (CRT-1, INC-1/2/7/8), and
what it says is the registry's current record, read after the fact (INC-4, INC-5, INC-6). The
center's ledger must show one charge per printed paper and none for an order that printed nothing.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from incident_kiosk import Outcome
from incident_stack import Stack
from sqlalchemy import select

from kofu.center.models import LedgerEntry, Order
from kofu.chaos import judge as chaos_judge
from kofu.chaos.judge import Registry, Request, Resident, judge_pages, squeeze

__all__ = ["Registry", "Resident", "squeeze"]


def read_registry(stack: Stack) -> Registry:
    """Every person's current name, address, household, seal and register (one read, after the fact)."""
    return chaos_judge.read_registry(stack.registry_sessions())


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, as pdftotext reads it (`-f n -l n`), with its layout."""
    stat = pdf.stat()
    return list(_page_texts(str(pdf), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=256)
def _page_texts(pdf: str, _size: int, _mtime: int) -> tuple[str, ...]:
    """Cached per file version: a printed paper never changes, and is judged more than once."""
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return tuple(
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), pdf, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    )


def judge_paper(outcome: Outcome, registry: Registry) -> list[str]:
    """What is wrong with one printed paper (empty: nothing)."""
    choice = outcome.choice
    request = Request(outcome.requester, choice.kind, choice.persons, choice.option)
    return [p.text for p in judge_pages(page_texts(outcome.paper), request, registry)]


@dataclass(frozen=True)
class Ledger:
    """The center's orders and charges, read after the fact."""

    states: dict[str, str]
    void_reasons: dict[str, str | None]
    charged: dict[str, int]  # order id -> ledger entries
    numbers: dict[str, str | None]


def read_ledger(stack: Stack) -> Ledger:
    with stack.center_sessions()() as session:
        orders = session.scalars(select(Order)).all()
        entries = session.scalars(select(LedgerEntry.order_id)).all()
    charged: dict[str, int] = {}
    for order_id in entries:
        charged[str(order_id)] = charged.get(str(order_id), 0) + 1
    return Ledger(
        {str(o.order_id): o.state for o in orders},
        {str(o.order_id): o.void_reason for o in orders},
        charged,
        {str(o.order_id): o.document_number for o in orders},
    )


def judge_ledger(outcomes: Iterable[Outcome], ledger: Ledger) -> list[str]:
    """NRF-1, FEE-1, INC-1: one charge per printed paper; an order that printed nothing is voided, free."""
    problems = []
    for outcome in outcomes:
        charged = [o for o in outcome.orders if ledger.charged.get(o, 0) > 0]
        if any(ledger.charged.get(o, 0) > 1 for o in outcome.orders):
            problems.append(f"{outcome.terminal}: an order charged twice")
        if outcome.printed and len(charged) != 1:
            problems.append(f"{outcome.terminal}: printed with {len(charged)} charges ({outcome.code})")
        if not outcome.printed and charged:
            problems.append(f"{outcome.terminal}: charged without a print ({outcome.code})")
        for order_id in outcome.orders:
            state = ledger.states.get(order_id)
            if state not in ("charged", "voided"):
                problems.append(f"{outcome.terminal}: order {order_id} left {state}")
            if state == "voided" and ledger.charged.get(order_id):
                problems.append(f"{outcome.terminal}: voided order {order_id} charged")
    return problems


def judge_all(stack: Stack, outcomes: list[Outcome]) -> list[str]:
    """Every printed paper and the ledger, against the registry and the center read after the fact."""
    registry = read_registry(stack)
    problems = []
    for outcome in outcomes:
        if outcome.printed:
            problems += [
                f"{outcome.terminal} {outcome.requester}: {p}" for p in judge_paper(outcome, registry)
            ]
    problems += judge_ledger(outcomes, read_ledger(stack))
    return problems
