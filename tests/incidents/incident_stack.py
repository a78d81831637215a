"""The incident stack now lives in `kofu.chaos.stack` (the chaos bench ships it); re-exported here."""

from __future__ import annotations

from kofu.chaos.stack import (
    OHIRA,
    PERSONS,
    PIN,
    SEED,
    SIGN_PASSWORD,
    START_TIMEOUT_S,
    TERMINALS,
    CardOf,
    Server,
    Stack,
    free_port,
    open_all_day_rulebook,
)

__all__ = [
    "OHIRA",
    "PERSONS",
    "PIN",
    "SEED",
    "SIGN_PASSWORD",
    "START_TIMEOUT_S",
    "TERMINALS",
    "CardOf",
    "Server",
    "Stack",
    "free_port",
    "open_all_day_rulebook",
]
