"""The kofu home folder: where every run writes its databases, keys, cards, spool and logs (0700)."""

from __future__ import annotations

from pathlib import Path

from kofu.private import private_dir
from kofu.settings import Settings

SUBFOLDERS = ("keys", "cards", "spool", "logs", "artifacts")


def prepare_home(settings: Settings) -> Path:
    """Create the home folder and its standard subfolders, 0700 (also when they exist); its absolute path."""
    home = private_dir(settings.home.resolve())
    for sub in SUBFOLDERS:
        private_dir(home / sub)
    return home
