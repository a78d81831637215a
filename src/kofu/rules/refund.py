"""NRF-1: when a fee is charged or voided, and that a charged fee is never refunded.

The fee is charged exactly when the print is confirmed; a print that fails (or is abandoned)
before completion is voided and the cash returned; after the charge nothing is refunded or
replaced. Retrying the event that produced the current state is harmless (idempotent).
"""

from __future__ import annotations

from enum import StrEnum

from kofu.rules.reasons import Reason


class FeeState(StrEnum):
    """Where an order's fee stands."""

    PENDING = "pending"  # paid in at the kiosk, print not confirmed yet
    CHARGED = "charged"  # print confirmed: the fee belongs to the municipality (final)
    VOIDED = "voided"  # print failed before completion: cash returned (final)


class FeeEvent(StrEnum):
    """What the kiosk reports about the print."""

    PRINT_CONFIRMED = "print_confirmed"
    PRINT_FAILED = "print_failed"
    ABANDONED = "abandoned"
    REFUND_REQUESTED = "refund_requested"


_OUTCOME: dict[FeeEvent, FeeState] = {
    FeeEvent.PRINT_CONFIRMED: FeeState.CHARGED,
    FeeEvent.PRINT_FAILED: FeeState.VOIDED,
    FeeEvent.ABANDONED: FeeState.VOIDED,
}


def next_fee_state(state: FeeState, event: FeeEvent) -> FeeState | Reason:
    """The fee state after `event`, or the Reason the event is refused.

    A refund is always refused (refund_not_possible); a final state only accepts the event that
    produced it again (a retry), anything else is order_state_conflict.
    """
    if event is FeeEvent.REFUND_REQUESTED:
        return Reason.REFUND_NOT_POSSIBLE
    target = _OUTCOME[event]
    if state is FeeState.PENDING or state is target:
        return target
    return Reason.ORDER_STATE_CONFLICT


def is_charged(state: FeeState) -> bool:
    """True when the fee counts in the ledger and the settlement statement (FEE-1)."""
    return state is FeeState.CHARGED


def may_refund(state: FeeState) -> bool:
    """NRF-1: never, in any state (a voided fee was never charged, so there is nothing to refund)."""
    return False
