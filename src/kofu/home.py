"""The kofu home folder: where every run writes its databases, keys, cards, spool and logs."""

from __future__ import annotations

from pathlib import Path

from kofu.settings import Settings

SUBFOLDERS = ("keys", "cards", "spool", "logs", "artifacts")


def prepare_home(settings: Settings) -> Path:
    """Create the home folder and its standard subfolders; return its absolute path."""
    home = settings.home.resolve()
    for sub in SUBFOLDERS:
        (home / sub).mkdir(parents=True, exist_ok=True)
    return home
