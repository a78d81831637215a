"""Shared constants and the Village holder of the registry tests (a uniquely named helper module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kofu.registry.village import VillageSummary

# A fixed reference day: fiscal year 2026 is the latest; DAY-1 "today" cases fall on it.
TODAY = date(2026, 7, 1)
SEED = 11
PERSONS = 300


@dataclass
class Village:
    """A generated village: its URL, engine and summary."""

    url: str
    engine: Engine
    summary: VillageSummary

    def session(self) -> Session:
        """A new session on the village (caller closes it)."""
        return Session(self.engine)
