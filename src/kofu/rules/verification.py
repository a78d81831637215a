"""Where and for how long a certificate's receiver can verify it: the rulebook's [verification] table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEMO_VERIFY_URL = "https://verify.kofu.example/"  # the demo's address; a real one is the municipality's
DEFAULT_VERIFIABLE_DAYS = 92  # receivers accept certificates issued within about three months


@dataclass(frozen=True)
class Verification:
    """The verification service's address printed on each back, and the days after issue it answers."""

    url: str = DEMO_VERIFY_URL
    days: int = DEFAULT_VERIFIABLE_DAYS

    def until(self, issued_on: date) -> date:
        """The last day the verification service confirms a document issued on `issued_on`."""
        return issued_on + timedelta(days=self.days)
