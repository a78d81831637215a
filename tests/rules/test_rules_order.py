"""The order state machine (pure): NRF-1 properties over random event sequences."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kofu.rules.decision import Refused
from kofu.rules.order import TRANSITIONS, Effect, Event, State, Transition, advance, can_recover, step
from kofu.rules.reasons import Reason


@dataclass
class Run:
    """Folds events through the machine, keeping the money's story."""

    state: State = State.QUOTED
    charges: int = 0
    held: int = 0
    returned: int = 0
    seen: list[State] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        result = step(self.state, event)
        if isinstance(result, Refused):
            assert result.reason is Reason.ORDER_STATE_CONFLICT
            return
        for effect in result.effects:
            if effect is Effect.CHARGE_FEE:
                self.charges += 1
            elif effect is Effect.HOLD_CASH:
                self.held += 1
            elif effect is Effect.RETURN_CASH:
                self.returned += 1
        self.state = result.after
        self.seen.append(result.after)


events = st.lists(st.sampled_from(list(Event)), max_size=30)


@given(events)
def test_nrf1_charged_at_most_once_and_never_without_print(sequence: list[Event]) -> None:
    """NRF-1: whatever happens, the fee is charged at most once, and only after a completed print."""
    run = Run()
    for event in sequence:
        was = run.state
        run.apply(event)
        if run.charges and was is not State.CHARGED:
            assert State.PRINTED in run.seen, "charged without a print"
    assert run.charges <= 1
    assert (run.charges == 1) == (run.state is State.CHARGED)


@given(events)
def test_nrf1_never_voided_after_charged(sequence: list[Event]) -> None:
    """NRF-1: a charged order is never refunded or voided."""
    run = Run()
    charged = False
    for event in sequence:
        run.apply(event)
        charged = charged or run.state is State.CHARGED
        if charged:
            assert run.state is State.CHARGED
            assert run.returned == 0


@given(events)
def test_nrf1_cash_returned_iff_voided_after_paid(sequence: list[Event]) -> None:
    """NRF-1: cash goes back exactly when an order is voided after being paid, and only once."""
    run = Run()
    for event in sequence:
        run.apply(event)
    voided_after_paid = run.state is State.VOIDED and State.PAID in run.seen
    assert run.returned == (1 if voided_after_paid else 0)
    assert run.held <= 1
    assert run.held == run.returned + run.charges + (1 if run.state.holds_cash else 0)


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (State.QUOTED, Event.PAY, State.PAID),
        (State.PAID, Event.RENDER, State.RENDERED),
        (State.RENDERED, Event.PRINT, State.PRINTED),
        (State.PRINTED, Event.CHARGE, State.CHARGED),
        (State.RENDERED, Event.VOID, State.VOIDED),
    ],
)
def test_order_happy_transitions(state: State, event: Event, after: State) -> None:
    result = step(state, event)
    assert isinstance(result, Transition)
    assert (result.after, result.replay) == (after, False)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (State.PRINTED, Event.VOID),  # NRF-1: a completed print is charged, never voided
        (State.CHARGED, Event.VOID),
        (State.CHARGED, Event.PAY),
        (State.VOIDED, Event.CHARGE),
        (State.VOIDED, Event.PAY),
        (State.QUOTED, Event.PRINT),
        (State.PAID, Event.CHARGE),
        (State.RENDERED, Event.CHARGE),
    ],
)
def test_nrf1_illegal_transitions_are_refused_values(state: State, event: Event) -> None:
    """NRF-1: illegal steps come back as order_state_conflict, not as exceptions."""
    assert step(state, event) == Refused(Reason.ORDER_STATE_CONFLICT)


@pytest.mark.parametrize("event", list(Event))
def test_order_same_event_again_is_a_replay_without_effect(event: Event) -> None:
    start = next(s for (s, e) in TRANSITIONS if e is event)
    first = step(start, event)
    assert isinstance(first, Transition)
    again = step(first.after, event)
    assert again == Transition(first.after, first.after, (), replay=True)


def test_nrf1_confirm_is_print_then_charge_once() -> None:
    """NRF-1: confirming a print charges once; confirming again is a replay; voided never charges."""
    first = advance(State.RENDERED, (Event.PRINT, Event.CHARGE))
    assert isinstance(first, Transition)
    assert (first.after, first.effects) == (State.CHARGED, (Effect.CHARGE_FEE,))
    again = advance(State.CHARGED, (Event.PRINT, Event.CHARGE))
    assert isinstance(again, Transition) and again.replay and again.effects == ()
    assert advance(State.VOIDED, (Event.PRINT, Event.CHARGE)) == Refused(Reason.ORDER_STATE_CONFLICT)
    assert advance(State.PAID, (Event.PRINT, Event.CHARGE)) == Refused(Reason.ORDER_STATE_CONFLICT)


@pytest.mark.parametrize(
    ("state", "recoverable"),
    [
        (State.QUOTED, True),
        (State.PAID, True),
        (State.RENDERED, True),
        (State.PRINTED, False),
        (State.CHARGED, False),
        (State.VOIDED, False),
    ],
)
def test_nrf1_recovery_only_before_print(state: State, recoverable: bool) -> None:
    """NRF-1: recovery may void only orders whose print was never confirmed."""
    assert can_recover(state) is recoverable
