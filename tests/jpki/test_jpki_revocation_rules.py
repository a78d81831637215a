"""Which certificates a life event revokes: the pure decision, table-driven."""

from __future__ import annotations

import pytest
from cryptography import x509

from kofu.jpki.revocation import LifeEvent, revocations_for

R = x509.ReasonFlags

TABLE = [
    (LifeEvent.NAME_CHANGED, {"sign": R.affiliation_changed}),
    (LifeEvent.ADDRESS_CHANGED, {"sign": R.affiliation_changed}),  # the auth certificate survives a move
    (LifeEvent.BIRTH_DATE_CHANGED, {"sign": R.affiliation_changed}),
    (LifeEvent.SEX_CHANGED, {"sign": R.affiliation_changed}),
    (LifeEvent.DEATH, {"auth": R.cessation_of_operation, "sign": R.cessation_of_operation}),
    (LifeEvent.LOSS, {"auth": R.key_compromise, "sign": R.key_compromise}),
    (LifeEvent.HOLDER_REQUEST, {"auth": R.cessation_of_operation, "sign": R.cessation_of_operation}),
]


@pytest.mark.parametrize(("event", "expected"), TABLE, ids=[e.value for e, _ in TABLE])
def test_revocations_for_event(event: LifeEvent, expected: dict[str, x509.ReasonFlags]) -> None:
    assert revocations_for(event) == expected


def test_every_event_is_in_the_table() -> None:
    assert {e for e, _ in TABLE} == set(LifeEvent)
