"""Applying the change feed: each event filed in the journal once, reflected when it takes effect.

A file is applied all or nothing, in one transaction: every event is filed as a pending change with its
ID, effective time and digest (LAG-1, LAG-2: the person's affected kinds are refused until it is
reflected), and every change already due is reflected. An event ID seen before is skipped when its
content is the same and refuses the whole file when it is not. `reflect_due` reflects what has come
due since, in effective order (the municipal server runs it; so does `kofu village reflect`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kofu.db import session_factory, transaction
from kofu.registry import changes, newcomers
from kofu.registry.errors import RegistryError
from kofu.registry.feed_events import (
    Birth,
    Death,
    FeedEvent,
    FeedProblem,
    ForeignStatusChange,
    HouseholdChange,
    KindStop,
    KosekiNotification,
    KosekiSeparation,
    MoveIn,
    MoveOut,
    MoveWithin,
    NameChange,
    ReadEvent,
    SealAbolition,
    SealRegistration,
    SupportMeasure,
    TaxAssessment,
    TaxDeclaration,
)
from kofu.registry.models import Change
from kofu.registry.vocabulary import KOSEKI_EVENT_TITLES
from kofu.rules.calendar import to_jst


class FeedRefused(Exception):
    """The file was refused; nothing of it was applied."""

    def __init__(self, problems: Sequence[FeedProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = list(problems)


@dataclass
class FeedReport:
    """What one application did."""

    filed: int = 0
    already_applied: int = 0
    reflected: int = 0
    pending: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def digest(read: ReadEvent) -> str:
    """The event's content digest: the same ID with other content is a conflict, not a retry."""
    return hashlib.sha256(read.canonical.encode("utf-8")).hexdigest()


def _file(session: Session, event: FeedEvent, filed_on: date, by: str) -> int:
    """The event as a pending change of the journal; returns its id."""
    pid, on = event.person_id, event.effective_on
    if isinstance(event, MoveWithin):
        since = event.since or on
        return changes.file_address_change(
            session, pid, address=event.address, since=since, notified_on=filed_on, reason=event.reason
        )
    if isinstance(event, MoveOut | Death):
        status = "moved_out" if isinstance(event, MoveOut) else "deceased"
        new_address = event.new_address if isinstance(event, MoveOut) else None
        return changes.file_residence_end(
            session, pid, status=status, on=on, filed_on=filed_on, new_address=new_address
        )
    if isinstance(event, ForeignStatusChange):
        return changes.file_foreign_status(session, pid, filed_on=filed_on, items=event.items())
    if isinstance(event, SealAbolition):
        return changes.abolish_seal(session, pid, on=on)
    if isinstance(event, SealRegistration):
        return changes.file_seal_registration(
            session,
            pid,
            registration_no=event.registration_no,
            on=on,
            size_mm=event.size_mm,
            square=event.square,
        )
    if isinstance(event, TaxDeclaration):
        return changes.file_tax_declaration(
            session, pid, fiscal_year=event.fiscal_year, filed_on=filed_on, amounts=event.amounts()
        )
    if isinstance(event, TaxAssessment):
        return changes.file_tax_assessment(
            session, pid, fiscal_year=event.fiscal_year, filed_on=filed_on, amounts=event.amounts()
        )
    if isinstance(event, NameChange):
        return changes.file_name_change(session, pid, filed_on=filed_on, names=event.names())
    if isinstance(event, HouseholdChange):
        return changes.file_household_change(
            session, pid, household_no=event.household_no, relationship=event.relationship, on=on
        )
    if isinstance(event, Birth):
        child = event.model_dump(exclude={"event_id", "kind", "effective_at"}, exclude_none=True)
        return newcomers.file_birth(session, child, filed_on=filed_on)
    if isinstance(event, MoveIn):
        newcomer = event.model_dump(exclude={"event_id", "kind", "effective_at"}, exclude_none=True)
        return newcomers.file_move_in(session, newcomer, on=on, filed_on=filed_on)
    if isinstance(event, KosekiSeparation):
        new = event.model_dump(include={"honseki_place", "honseki_lot", "elsewhere", "notifier"})
        return changes.file_separation(session, pid, on=on, filed_on=filed_on, **new)
    if isinstance(event, KosekiNotification):
        details = {
            k: v
            for k in ("place", "notifier", "spouse_name", "new_register", "previous_register")
            if (v := getattr(event, k)) is not None
        }
        leaves = event.event == "death" or event.new_register is not None
        return changes.file_koseki_notification(
            session,
            pid,
            event=event.event,
            event_date=event.event_date,
            filed_on=filed_on,
            notified_on=on.isoformat(),
            title=KOSEKI_EVENT_TITLES[event.event],
            leaves="1" if leaves else "",
            **details,
        )
    start = event.kind.endswith("_start")
    kind = event.stopped_kind if isinstance(event, KindStop) else None
    assert isinstance(event, SupportMeasure | KindStop)
    return changes.file_stop_change(session, pid, start=start, kind=kind, on=on, filed_on=filed_on, by=by)


def _due(session: Session, now: datetime) -> list[Change]:
    query = (
        select(Change)
        .where(Change.status == "pending", Change.effective_at.is_not(None), Change.effective_at <= now)
        .order_by(Change.effective_at, Change.id)
    )
    return list(session.scalars(query))


def reflect_due(session: Session, now: datetime) -> int:
    """Reflect every feed change whose time has come, in effective order, in the caller's transaction;
    one another worker reflected meanwhile is skipped. Returns how many this call reflected."""
    done = 0
    for change in _due(session, now):
        try:
            changes.reflect_change(session, change.id, on=to_jst(now).date())
        except RegistryError as exc:
            if exc.code == "change_already_reflected":
                continue
            raise RegistryError(exc.code, f"event {change.event_id}: {exc.message}") from exc
        done += 1
    return done


def reflect_due_now(engine: Engine, now: datetime) -> int:
    """`reflect_due` in a transaction of its own (the municipal server's loop, `kofu village reflect`)."""
    with transaction(session_factory(engine)) as session:
        return reflect_due(session, now)


def apply_events(
    engine: Engine,
    events: Sequence[ReadEvent],
    *,
    now: datetime,
    by: str,
    progress: Callable[[int], None] | None = None,
) -> FeedReport:
    """File every event and reflect what is due, in one transaction; FeedRefused rolls everything back.

    Another file filing one of these events at the same moment makes the commit fail on the event's unique
    ID: the file is tried once more, and that event is then found applied."""
    try:
        return _apply_once(engine, events, now=now, by=by, progress=progress)
    except IntegrityError:
        return _apply_once(engine, events, now=now, by=by, progress=progress)


def _apply_once(
    engine: Engine,
    events: Sequence[ReadEvent],
    *,
    now: datetime,
    by: str,
    progress: Callable[[int], None] | None,
) -> FeedReport:
    report = FeedReport()
    problems: list[FeedProblem] = []
    filed_on = to_jst(now).date()
    with transaction(session_factory(engine)) as session:
        known = _known(session, [r.event.event_id for r in events])
        for n, read in enumerate(events, start=1):
            event, sha = read.event, digest(read)
            seen = known.get(event.event_id)
            if seen is not None:
                if seen != sha:
                    problems.append(
                        FeedProblem(read.line, "event_id", f"{event.event_id} was applied with other content")
                    )
                report.already_applied += 1
                continue
            try:  # the journal refuses before writing: the rest is still checked, then all rolls back
                change = session.get(Change, _file(session, event, filed_on, by))
            except RegistryError as exc:
                problems.append(FeedProblem(read.line, "person_id", f"{exc.code}: {exc.message}"))
                continue
            assert change is not None
            change.event_id, change.digest = event.event_id, sha
            change.effective_at = event.effective_at
            report.filed += 1
            report.by_kind[event.kind] = report.by_kind.get(event.kind, 0) + 1
            if progress is not None and n % 500 == 0:
                progress(n)
        if problems:
            raise FeedRefused(problems)  # the transaction rolls back: nothing of the file is kept
        try:
            report.reflected = reflect_due(session, now)
        except RegistryError as exc:
            raise FeedRefused([FeedProblem(0, "-", f"{exc.code}: {exc.message}")]) from exc
        waiting = (Change.status == "pending", Change.effective_at.is_not(None))
        report.pending = session.scalar(select(func.count()).select_from(Change).where(*waiting)) or 0
    if progress is not None:
        progress(len(events))
    return report


def _known(session: Session, event_ids: list[str]) -> dict[str, str]:
    """The digests of the events among `event_ids` already in the journal."""
    found: dict[str, str] = {}
    for start in range(0, len(event_ids), 1000):
        chunk = event_ids[start : start + 1000]
        rows = session.execute(select(Change.event_id, Change.digest).where(Change.event_id.in_(chunk)))
        found.update({eid: sha or "" for eid, sha in rows if eid is not None})
    return found
