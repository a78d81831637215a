"""FEE-1: how many copies one request may take, the one check of it and the service's ceiling."""

from __future__ import annotations

from typing import Final

from kofu.rules.reasons import Reason

# The most copies any rulebook may allow per request: the bound every party's messages carry.
COPIES_CEILING: Final = 10


def check_copies_within(copies: int, limit: int) -> Reason | None:
    """1..limit copies; anything else (a bool, a non-integer, zero) is refused."""
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        return Reason.BAD_REQUEST
    if copies > limit:
        return Reason.TOO_MANY_COPIES
    return None
