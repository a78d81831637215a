"""A decision is a value: allowed (with fee and choices) or refused with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from kofu.rules.reasons import Reason


@dataclass(frozen=True)
class Choices:
    """What the person may choose for one certificate kind (the kiosk's menu)."""

    members: tuple[str, ...] = ()  # person ids the requester may pick (own id first)
    fiscal_years: tuple[int, ...] = ()  # newest first (kazei)
    options: tuple[str, ...] = ()  # printable options, e.g. "whole" / "individual" for koseki
    option_required: bool = False  # one of `options` must be chosen (koseki)
    max_copies: int = 1
    whole_allowed: bool = True  # the whole household or register may be printed (no one in it is stopped)
    note: Reason | None = None  # offered, but something is held back and the person is told why (LAG-2)


@dataclass(frozen=True)
class Allowed:
    """The request may go ahead: `fee` is yen per copy, `copies` how many, `total` what is charged."""

    fee: int = 0
    choices: Choices = field(default_factory=Choices)
    copies: int = 1

    @property
    def total(self) -> int:
        return self.fee * self.copies

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """The request may not go ahead, for `reason`."""

    reason: Reason

    @property
    def ok(self) -> bool:
        return False

    @property
    def code(self) -> str:
        return self.reason.value

    @property
    def ja(self) -> str:
        return self.reason.ja

    @property
    def en(self) -> str:
        return self.reason.en


Decision = Allowed | Refused
