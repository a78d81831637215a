"""Office staff, their roles, and the identity checks they record before a PIN reset (PIN-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from kofu.audit.entry import subject as audit_subject
from kofu.audit.entry import tagged
from kofu.audit.log import record as audit_record
from kofu.office.models import IdentityCheck, StaffMember
from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason

ROLE_PIN_RESET = "pin_reset"
# Kinds of identity document staff may check (本人確認書類); only the kind is recorded.
DOCUMENTS = frozenset({"my_number_card", "passport", "drivers_license", "residence_card", "other_photo_id"})
IDENTITY_CHECK_VALID_FOR = timedelta(hours=1)


def add_staff(
    session: Session,
    staff_id: str,
    name: str,
    roles: set[str] | frozenset[str],
    *,
    now: datetime | None = None,
) -> None:
    """Register (or update) a staff member with `roles` (audited by id; the name is not kept there)."""
    member = session.get(StaffMember, staff_id)
    if member is None:
        member = StaffMember(staff_id=staff_id, name=name, active=True)
        session.add(member)
    member.name = name
    member.roles = ",".join(sorted(roles))
    audit_record(  # audit hook (kofu.audit): no-op unless the factory has an audit log attached
        session,
        actor="system:admin",
        action="office.staff_add",
        subject=audit_subject(staff=staff_id),
        result=None,
        now=now or datetime.now(UTC),
    )


def has_role(session: Session, staff_id: str, role: str) -> bool:
    """The staff member exists, is active and holds `role`."""
    member = session.get(StaffMember, staff_id)
    return member is not None and member.active and role in member.roles.split(",")


def record_identity_check(
    session: Session, *, staff_id: str, person_id: str, document: str, now: datetime
) -> int | Refused:
    """Record that `staff_id` checked `person_id` with a document of kind `document`; its id."""
    result = _record_identity_check(
        session, staff_id=staff_id, person_id=person_id, document=document, now=now
    )
    audit_record(  # audit hook (kofu.audit): no-op unless the factory has an audit log attached
        session,
        actor=tagged("staff", staff_id),
        action="office.identity_check",
        subject=audit_subject(person=person_id, check=result if isinstance(result, int) else None),
        result=result,
        now=now,
    )
    return result


def _record_identity_check(
    session: Session, *, staff_id: str, person_id: str, document: str, now: datetime
) -> int | Refused:
    if not has_role(session, staff_id, ROLE_PIN_RESET):
        return Refused(Reason.STAFF_NOT_AUTHORISED)
    if document not in DOCUMENTS or not person_id:
        return Refused(Reason.BAD_REQUEST)
    check = IdentityCheck(staff_id=staff_id, person_id=person_id, document=document, checked_at=now)
    session.add(check)
    session.flush()
    return check.id


def usable_identity_check(
    session: Session, check_id: int, staff_id: str, now: datetime
) -> IdentityCheck | None:
    """The identity check `check_id` if this staff member recorded it within the last hour."""
    check = session.get(IdentityCheck, check_id)
    if check is None or check.staff_id != staff_id:
        return None
    if not (now - IDENTITY_CHECK_VALID_FOR <= check.checked_at <= now):
        return None
    return check
