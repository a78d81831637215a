"""kofu's settings: defaults, then a TOML file, then `KOFU_*` environment variables (last wins).

Everything a run writes lives under one home folder (`KOFU_HOME`, default `./var`). The file's top level
(or its `[kofu]` table) holds the keys of `Settings`; each party reads its own table (`[center]`,
`[municipal]`, `[kiosk]`, `[verify]`) through a `Table` model of its own, and `KOFU_<TABLE>__<KEY>` sets
one key of a table (`KOFU_CENTER__TLS=true`). Every model is strict: an unknown key is refused, a TOML
value must have the key's type (`"false"` is not a bool, `15.9` is not a whole number), and a variable's
text is read by the key's type (`true`, `false`, `1` or `0` for a bool; digits for a whole number; a
comma-separated list for a list of names; JSON for a list of tables). A wrong key or value is a
`SettingsError` naming the key and the value, in one line.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import NoneType, UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    NoReturn,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

from pydantic import AfterValidator, Field, Strict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "KOFU_"
NESTED = "__"  # KOFU_<TABLE>__<KEY>

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ValueError(f"not a log level ({', '.join(LOG_LEVELS)})")
    return value.upper()  # `info` is INFO


LogLevel = Annotated[str, AfterValidator(_log_level)]
FilePath = Annotated[Path, Strict(False)]  # a path is a string in TOML
Names = Annotated[tuple[str, ...], Strict(False)]  # a list of names is an array in TOML
Positive = Annotated[float, Field(gt=0)]
Whole = Annotated[int, Field(ge=1)]
RawTable = dict[str, Any]  # a party's table as the file has it; the party's `Table` model reads it

_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Config = TypeVar("Config", bound="DataclassInstance")


class SettingsError(ValueError):
    """A setting kofu cannot use, said in one line that names the key and the value."""


class Table(BaseSettings):
    """A table of the settings: one field per key, strict, read from the file and then the environment.

    A subclass names its table (`table`) and declares its keys; adding a key is one field. Built
    directly (`CenterTable(tls=True)`) it takes exactly what it is given; `read` adds the environment.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    table: ClassVar[str] = ""  # "" is the top level (`Settings`)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # only what it is given: `read` is where the environment comes in

    @classmethod
    def env_prefix(cls) -> str:
        return f"{ENV_PREFIX}{cls.table.upper()}{NESTED}" if cls.table else ENV_PREFIX

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> Self:
        """The table from the file's `values` under the `KOFU_*` variables that name its keys."""
        _refuse_unknown_variables(cls)
        sources = (_Environment(cls), InitSettingsSource(cls, dict(values)))  # first wins
        try:  # BaseSettings takes its sources as given here (the mypy plugin does not know the argument)
            return cls(_build_sources=(sources, {}))  # type: ignore[call-arg]
        except ValidationError as exc:
            raise SettingsError(_describe(cls, exc)) from None

    def into(self, config: type[Config], **derived: Any) -> Config:
        """A `config` dataclass of this table: each key named like one of its fields, then `derived`."""
        keys = {f.name for f in fields(config)} & type(self).model_fields.keys()
        return config(**{k: getattr(self, k) for k in keys - derived.keys()}, **derived)


class Settings(Table):
    """What a kofu process needs to know about its surroundings, and each party's table as written."""

    home: FilePath = Path("var")
    database_url: str = ""  # empty: each party's SQLite file under the home (kofu.layout)
    rulebooks: Names = ("ohira", "kitayama")  # bundled names or paths to TOML files
    log_level: LogLevel = "INFO"
    log_json: bool = False
    jpki_url: str = "http://127.0.0.1:8800"  # the JPKI responder (OCSP and CRLs) named in issued cards
    center: RawTable = Field(default_factory=dict)
    municipal: RawTable = Field(default_factory=dict)
    kiosk: RawTable = Field(default_factory=dict)
    verify: RawTable = Field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to `kofu.db` in the home folder (the verification register's:
        each party's own is in `kofu.layout`)."""
        return self.database_url or f"sqlite:///{(self.home / 'kofu.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A path under the home folder, its parent created."""
        p = self.home.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


TABLES = tuple(name for name, f in Settings.model_fields.items() if get_origin(f.annotation) is dict)


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings from defaults, then `config_file` (or `KOFU_CONFIG`), then `KOFU_*` variables."""
    named = os.environ.get("KOFU_CONFIG")
    path = config_file or (Path(named) if named else None)
    return Settings.read(_file(path) if path is not None else {})


def refuse(exc: SettingsError) -> NoReturn:
    """For the CLI: say a wrong setting in one line and exit 2 (a usage error), without a traceback."""
    print(f"kofu: {exc}", file=sys.stderr)
    raise SystemExit(2)


def _file(path: Path) -> dict[str, Any]:
    """The file's keys: its top level, and its `[kofu]` table if it has one."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"settings file {path}: {exc}") from None
    general = data.pop("kofu", {})
    if not isinstance(general, dict):
        raise SettingsError(f"settings file {path}: kofu must be a table")
    twice = sorted(data.keys() & general.keys())
    if twice:
        raise SettingsError(f"setting {twice[0]}: given both at the top and in [kofu] of {path}")
    return {**data, **general}


class _Environment(EnvSettingsSource):
    """The `KOFU_*` variables of a table's keys, each text read by its key's type (see the module)."""

    def __init__(self, table: type[Table]) -> None:
        super().__init__(table, env_prefix=table.env_prefix(), case_sensitive=False)

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        return None if value is None else _from_text(field.annotation, value)


def _from_text(annotation: Any, text: str) -> Any:
    """A variable's text as the key's type when it reads as one; else the text, for the model to refuse."""
    kind = _bare(annotation)
    if kind is bool:
        return _BOOLS.get(text, text)
    if kind is int:
        return int(text) if _WHOLE.fullmatch(text) else text
    if kind is float:
        return float(text) if _DECIMAL.fullmatch(text) else text
    if kind is dict:
        return None  # a table is set key by key (KOFU_<TABLE>__<KEY>), never as a whole
    if get_origin(kind) in (tuple, list):
        if _bare(get_args(kind)[0]) is str:
            return tuple(part.strip() for part in text.split(","))
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _bare(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `... | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not NoneType)
        elif origin is dict:
            return dict
        else:
            return annotation


def _refuse_unknown_variables(table: type[Table]) -> None:
    """A `KOFU_<TABLE>__<KEY>` variable whose table or key does not exist is a mistake, not noise."""
    prefix = table.env_prefix()
    for name in os.environ:
        if not name.upper().startswith(prefix):
            continue
        key = name[len(prefix) :].lower()
        if table.table:
            if key not in table.model_fields:
                raise SettingsError(f"setting {name}: [{table.table}] has no key {key!r}")
        elif key in TABLES:
            raise SettingsError(f"setting {name}: a table is set key by key ({name}__<KEY>)")
        elif NESTED in key and key.split(NESTED)[0] not in TABLES:
            raise SettingsError(f"setting {name}: there is no table [{key.split(NESTED)[0]}]")


def _describe(table: type[Table], exc: ValidationError) -> str:
    """Each error of `exc` as `setting [table] key = value (VARIABLE): what is wrong`, joined in one line."""
    where = f"[{table.table}] " if table.table else ""
    said = []
    for error in exc.errors():
        loc = error["loc"]
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        variable = table.env_prefix() + str(loc[0]).upper()
        source = f" ({variable})" if variable in {n.upper() for n in os.environ} else ""
        if error["type"] == "extra_forbidden":
            said.append(f"setting {where}{key}: no such key{source}")
        elif error["type"] == "missing":
            said.append(f"setting {where}{key}: missing")
        else:
            value = repr(error["input"])
            value = value if len(value) <= 80 else value[:77] + "..."
            wrong = error["ctx"]["error"] if error["type"] == "value_error" else error["msg"]
            said.append(f"setting {where}{key} = {value}{source}: {wrong}")
    return "; ".join(said)
