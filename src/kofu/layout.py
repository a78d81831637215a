"""The home's layout: where each party keeps its database under `KOFU_HOME`, as `kofu demo` builds it.

One SQLite file per party (`db/center.db`, `db/jpki.db`, `db/registry-<rulebook>.db`), the
verification register in `kofu.db`; every command and server reads its party's file here, so an
operator's command finds what the demo built. `KOFU_DATABASE_URL` puts every party in that one database
instead. A command that only reads refuses a database that is not there (`existing`) rather than
create an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kofu.settings import Settings

DB_FOLDER = "db"
REGISTER_FILE = "kofu.db"


class MissingDatabase(Exception):
    """A command that only reads was pointed at a database that does not exist."""


@dataclass(frozen=True)
class Layout:
    """The databases under `home`; `database_url`, when set, is every party's one database."""

    home: Path
    database_url: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Layout:
        return cls(settings.home, settings.database_url)

    def _sqlite(self, name: str, folder: str = DB_FOLDER) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / folder / name).resolve()}"

    def registry(self, rulebook: str) -> str:
        """A municipality's registry copy (a rulebook's name, or its TOML file named after it)."""
        return self._sqlite(f"registry-{Path(rulebook).stem}.db")

    def municipal_registry(self, settings: Settings) -> str:
        """The registry the settings' municipal server reads: its `[municipal] registry_url`, else its
        rulebook's copy here, so `kofu village` and `kofu jpki` work on the data the server serves."""
        url = settings.municipal.get("registry_url")
        return url if isinstance(url, str) and url else self.registry(municipal_rulebook(settings))

    @property
    def center(self) -> str:
        return self._sqlite("center.db")

    @property
    def jpki(self) -> str:
        return self._sqlite("jpki.db")

    @property
    def register(self) -> str:
        """The verification register (and what has no party of its own): the settings' database."""
        return self._sqlite(REGISTER_FILE, folder=".")


def municipal_rulebook(settings: Settings) -> str:
    """The municipal server's rulebook: its `[municipal] rulebook`, else the settings' first rulebook."""
    named = settings.municipal.get("rulebook")
    if isinstance(named, str) and named:
        return named
    return settings.rulebooks[0] if settings.rulebooks else "ohira"


def existing(url: str) -> str:
    """`url` when its database is there (a server's, or an SQLite file that exists); else MissingDatabase."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the caller's engine says what is wrong with it
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return url
    if not Path(path).is_file():
        raise MissingDatabase(f"no database at {path} (KOFU_HOME or --db names where its party keeps it)")
    return url


def read_only(url: str) -> str:
    """For a command that only reads: `url` when its database is there, else one line and exit code 2."""
    import typer

    try:
        return existing(url)
    except MissingDatabase as exc:
        typer.echo(f"unreadable: {exc}", err=True)
        raise typer.Exit(2) from None
