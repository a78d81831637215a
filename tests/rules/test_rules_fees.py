"""FEE-1 fee table and copy limit (NRF-1, the order's life, is tested in test_rules_order)."""

from __future__ import annotations

import pytest

from kofu.rules.decision import Allowed, Refused
from kofu.rules.fees import check_copies, fee_table, quote
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook


def test_FEE_1_ohira_fee_table(ohira: Rulebook) -> None:
    assert fee_table(ohira) == {
        Kind.JUMINHYO: 200,
        Kind.INKAN: 200,
        Kind.KAZEI: 200,
        Kind.KOSEKI: 450,
        Kind.FUHYO: 200,
    }


def test_FEE_1_fees_come_from_the_rulebook(kitayama: Rulebook) -> None:
    assert fee_table(kitayama) == {Kind.JUMINHYO: 300, Kind.KOSEKI: 450, Kind.FUHYO: 300}


@pytest.mark.parametrize(
    ("kind", "copies", "expected"),
    [
        (Kind.KOSEKI, 1, None),
        (Kind.KOSEKI, 10, None),
        (Kind.KOSEKI, 11, Reason.TOO_MANY_COPIES),
        (Kind.KOSEKI, 0, Reason.BAD_REQUEST),
        (Kind.KOSEKI, -2, Reason.BAD_REQUEST),
        (Kind.KOSEKI, True, Reason.BAD_REQUEST),
    ],
)
def test_FEE_1_copies_limit(ohira: Rulebook, kind: Kind, copies: int, expected: Reason | None) -> None:
    assert check_copies(ohira, kind, copies) == expected


def test_FEE_1_copies_limit_per_rulebook(kitayama: Rulebook) -> None:
    assert check_copies(kitayama, Kind.JUMINHYO, 5) is None
    assert check_copies(kitayama, Kind.JUMINHYO, 6) == Reason.TOO_MANY_COPIES
    assert check_copies(kitayama, Kind.INKAN, 1) == Reason.KIND_NOT_OFFERED


@pytest.mark.parametrize(("kind", "copies", "total"), [(Kind.KOSEKI, 2, 900), (Kind.JUMINHYO, 3, 600)])
def test_FEE_1_quote(ohira: Rulebook, kind: Kind, copies: int, total: int) -> None:
    decision = quote(ohira, kind, copies)
    assert isinstance(decision, Allowed) and decision.total == total
    assert isinstance(quote(ohira, kind, 99), Refused)
