"""The names the kiosk shows on its "whose certificate" choice (shown, never stored)."""

from __future__ import annotations

from kofu.registry.records import PersonSnapshot
from kofu.rules.kinds import Kind


def member_labels(snap: PersonSnapshot, kind: Kind) -> dict[str, str]:
    """Person id → the name shown on the kiosk's "whose" choice (shown, never stored)."""
    labels = {snap.person.person_id: snap.person.name}
    if kind is Kind.JUMINHYO and snap.household:
        labels.update({m.person_id: m.name for m in snap.household.members})
    if kind.is_family_register and snap.koseki:
        labels.update(
            {
                m.person_id: f"{m.family_name}\u3000{m.given_name}"
                for m in snap.koseki.members
                if m.person_id is not None
            }
        )
    return labels
