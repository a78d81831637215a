"""An order's life as one state machine (pure, no I/O): the only place that says which step may follow which.

quoted → paid (cash in escrow) → rendered → printed → charged, or → voided (cash returned if it was paid).
NRF-1: a print that does not complete is never charged; a charged order is never refunded or voided.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kofu.rules.decision import Refused
from kofu.rules.reasons import Reason


class State(StrEnum):
    """Where an order stands; `charged` and `voided` are final."""

    QUOTED = "quoted"
    PAID = "paid"
    RENDERED = "rendered"
    PRINTED = "printed"
    CHARGED = "charged"
    VOIDED = "voided"

    @property
    def is_final(self) -> bool:
        return self in (State.CHARGED, State.VOIDED)

    @property
    def holds_cash(self) -> bool:
        """True while the kiosk holds the person's cash in escrow."""
        return self in (State.PAID, State.RENDERED, State.PRINTED)


class Event(StrEnum):
    """What can happen to an order."""

    PAY = "pay"
    RENDER = "render"
    PRINT = "print"
    CHARGE = "charge"
    VOID = "void"


class Effect(StrEnum):
    """What a transition does with the money."""

    HOLD_CASH = "hold_cash"  # cash taken into escrow
    RETURN_CASH = "return_cash"  # escrow handed back
    CHARGE_FEE = "charge_fee"  # escrow kept; one ledger entry


# (from, event) -> (to, effects). Anything not listed is refused; `printed` cannot be voided (NRF-1).
TRANSITIONS: dict[tuple[State, Event], tuple[State, tuple[Effect, ...]]] = {
    (State.QUOTED, Event.PAY): (State.PAID, (Effect.HOLD_CASH,)),
    (State.QUOTED, Event.VOID): (State.VOIDED, ()),
    (State.PAID, Event.RENDER): (State.RENDERED, ()),
    (State.PAID, Event.VOID): (State.VOIDED, (Effect.RETURN_CASH,)),
    (State.RENDERED, Event.PRINT): (State.PRINTED, ()),
    (State.RENDERED, Event.VOID): (State.VOIDED, (Effect.RETURN_CASH,)),
    (State.PRINTED, Event.CHARGE): (State.CHARGED, (Effect.CHARGE_FEE,)),
}

# The state each event leads to: the same event arriving again there is a retry, answered without effect.
TARGET: dict[Event, State] = {event: to for (_, event), (to, _) in TRANSITIONS.items()}


@dataclass(frozen=True)
class Transition:
    """An allowed step; `replay` is True when the order was already there (a retry: no effects)."""

    before: State
    after: State
    effects: tuple[Effect, ...]
    replay: bool = False


def step(state: State, event: Event) -> Transition | Refused:
    """The transition `event` causes from `state`, or a refusal (order_state_conflict)."""
    found = TRANSITIONS.get((state, event))
    if found is not None:
        after, effects = found
        return Transition(state, after, effects)
    if TARGET[event] is state:
        return Transition(state, state, (), replay=True)
    return Refused(Reason.ORDER_STATE_CONFLICT)


def can_recover(state: State) -> bool:
    """Whether a stale order may be voided by recovery: only before the print was confirmed (NRF-1)."""
    return (state, Event.VOID) in TRANSITIONS


def advance(state: State, events: tuple[Event, ...]) -> Transition | Refused:
    """Several events as one step (e.g. print then charge); a retry once the last target is reached."""
    if state is TARGET[events[-1]]:
        return Transition(state, state, (), replay=True)
    effects: list[Effect] = []
    current = state
    for event in events:
        result = step(current, event)
        if isinstance(result, Refused):
            return result
        effects.extend(result.effects)
        current = result.after
    return Transition(state, current, tuple(effects))
