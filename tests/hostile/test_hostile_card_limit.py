"""A card tried over and over is refused at the center; another card at the same kiosk is not (rate limits).

The per-card bucket is taken by the center's authenticator once the card's signature is checked, so
the terminal's own bucket (30 a minute) is far from empty here: the refusal is the card's.
"""

from __future__ import annotations

import httpx
from hostile_world import TERMINAL, Card, HostileWorld, is_refusal

from kofu.center.ratelimit import CARD_LIMIT, TERMINAL_LIMIT


def _authenticate(world: HostileWorld, card: Card) -> httpx.Response:
    """One kiosk session at TERMINAL: open it, sign its challenge with `card`, authenticate."""
    sid, challenge = world.open(TERMINAL)
    answer = world.card_answer(card, sid, challenge, TERMINAL)
    return world.center.post(f"/v1/sessions/{sid}/authenticate", json=answer)


def test_a_card_hammering_is_refused_while_another_card_at_the_same_terminal_is_not(
    world: HostileWorld,
) -> None:
    hammering, other = world.issue(world.person()), world.issue(world.person())
    replies = [_authenticate(world, hammering) for _ in range(CARD_LIMIT.capacity + 3)]
    statuses = [r.status_code for r in replies]
    assert statuses[: CARD_LIMIT.capacity] == [200] * CARD_LIMIT.capacity, statuses
    assert statuses[CARD_LIMIT.capacity :] == [429] * 3, statuses
    last = replies[-1]
    assert is_refusal(last, 429) and last.json()["reason"] == "rate_limited"
    assert int(last.headers["Retry-After"]) >= 1  # when this card's next attempt is allowed
    assert len(replies) + 1 < TERMINAL_LIMIT.capacity  # the terminal's own bucket is not what refused
    ok = _authenticate(world, other)
    assert ok.status_code == 200, ok.text
