"""FEE-1: the fee table (yen per copy, from the rulebook) and the copy limit per request."""

from __future__ import annotations

from kofu.rules.copies import check_copies_within
from kofu.rules.decision import Allowed, Decision, Refused
from kofu.rules.kinds import Kind
from kofu.rules.reasons import Reason
from kofu.rules.rulebook import Rulebook


def fee_table(rulebook: Rulebook) -> dict[Kind, int]:
    """Yen per copy for every kind the municipality offers."""
    return {kind: rule.fee for kind, rule in rulebook.kinds.items()}


def check_copies(rulebook: Rulebook, kind: Kind, copies: int) -> Reason | None:
    """1..max_copies of the kind per request; anything else is refused."""
    if not rulebook.offers(kind):
        return Reason.KIND_NOT_OFFERED
    return check_copies_within(copies, rulebook.rule(kind).max_copies)


def quote(rulebook: Rulebook, kind: Kind, copies: int = 1) -> Decision:
    """The fee for `copies` of `kind`: Allowed(fee per copy, copies) with `.total`, or Refused."""
    reason = check_copies(rulebook, kind, copies)
    if reason is not None:
        return Refused(reason)
    return Allowed(fee=rulebook.fee(kind), copies=copies)
