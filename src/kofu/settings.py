"""kofu's settings: defaults, then a TOML file, then `KOFU_*` environment variables (last wins).

Everything a run writes lives under one home folder (`KOFU_HOME`, default `./var`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "KOFU_"


@dataclass(frozen=True)
class Settings:
    """What a kofu process needs to know about its surroundings."""

    home: Path = Path("var")
    database_url: str = ""  # empty: SQLite at home/kofu.db
    rulebooks: tuple[str, ...] = ("ohira", "kitayama")  # bundled names or paths to TOML files
    log_level: str = "INFO"
    log_json: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to an SQLite file in the home folder."""
        return self.database_url or f"sqlite:///{(self.home / 'kofu.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A path under the home folder, its parent created."""
        p = self.home.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name == "home":
        return Path(raw)
    if name == "rulebooks":
        return tuple(raw.split(",")) if isinstance(raw, str) else tuple(raw)
    if name == "log_json":
        return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
    del kind
    return str(raw)


def load_settings(config_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from defaults, then `config_file` (or `KOFU_CONFIG`), then `KOFU_*` variables."""
    env = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    path = config_file or (Path(env["KOFU_CONFIG"]) if env.get("KOFU_CONFIG") else None)
    if path is not None:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for key, value in data.get("kofu", data).items():
            if key in known:
                values[key] = _coerce(key, value)
            else:
                extra[key] = value
    for key, value in env.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in known:
                values[name] = _coerce(name, value)
    return replace(Settings(), **values, extra=extra)
