"""Settings: defaults, TOML file, KOFU_* variables; the CLI answers."""

import os
from collections.abc import Callable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from typer.testing import CliRunner

from kofu.center.app.config import CenterTable
from kofu.center.app.config import build_config_from_settings as build_center_config
from kofu.cli import app
from kofu.kiosk.config import KioskConfig, KioskTable
from kofu.municipal.config import MunicipalTable
from kofu.municipal.config import build_config_from_settings as build_municipal_config
from kofu.settings import Settings, Table, load_settings


@pytest.fixture(autouse=True)
def no_kofu_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("KOFU_")]:
        monkeypatch.delenv(name)


def test_defaults_put_everything_under_var() -> None:
    s = load_settings()
    assert s.home == Path("var")
    assert s.db_url.endswith("var/kofu.db")


def test_toml_then_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "kofu.toml"
    cfg.write_text('[kofu]\nhome = "/srv/kofu"\nlog_level = "DEBUG"\ndatabase_url = "sqlite:///x.db"\n')
    monkeypatch.setenv("KOFU_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("KOFU_RULEBOOKS", "ohira")
    s = load_settings(cfg)
    assert s.home == Path("/srv/kofu")
    assert s.log_level == "WARNING"
    assert s.rulebooks == ("ohira",)
    assert s.db_url == "sqlite:///x.db"


def test_top_level_keys_and_tables_beside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The general keys at the top (or in [kofu]), each party's table beside them; KOFU_CONFIG names it."""
    cfg = tmp_path / "kofu.toml"
    cfg.write_text('home = "/srv/kofu"\nrulebooks = ["kitayama", "ohira"]\n[center]\ntls = true\n')
    monkeypatch.setenv("KOFU_CONFIG", str(cfg))
    monkeypatch.setenv("KOFU_RULEBOOKS", "ohira, ./my.toml")
    s = load_settings()
    assert s.home == Path("/srv/kofu") and s.center == {"tls": True}
    assert s.rulebooks == ("ohira", "./my.toml")
    cfg.write_text('home = "/a"\n[kofu]\nhome = "/b"\n')
    with pytest.raises(ValueError, match="home: given both"):
        load_settings()
    cfg.write_text("home = \n")
    with pytest.raises(ValueError, match="settings file"):
        load_settings()


def test_cli_version_and_python_dash_m() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "kofu" in result.output


def _another(annotation: Any, default: Any) -> Any:
    """A TOML value of `annotation` other than `default`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _another(args[0], default)
    if origin in (Union, UnionType):
        return _another(next(a for a in args if a is not type(None)), default)
    if origin is Literal:
        return next(a for a in args if a != default)
    if origin is tuple and args[0] is str:
        return ["elsewhere"]
    if origin is tuple:
        return [{"code": "044245", "name_ja": "大衡村", "name_en": "Ōhira", "base_url": "https://m:9001"}]
    if annotation is bool:
        return not default
    if annotation in (int, float):
        return default + 1
    return "elsewhere"  # str, Path


@pytest.mark.parametrize(
    ("table", "build"),
    [
        (CenterTable, build_center_config),
        (MunicipalTable, build_municipal_config),
        (KioskTable, KioskConfig.from_settings),
    ],
)
def test_every_key_of_a_table_reaches_its_config(
    table: type[Table], build: Callable[[Settings], object], tmp_path: Path
) -> None:
    """A key the model reads but the config never gets would be a silent default: each one changes it."""
    plain = build(Settings(home=tmp_path))
    for key, field in table.model_fields.items():
        value = _another(field.annotation, field.default)
        told = build(Settings(home=tmp_path, **{table.table: {key: value}}))
        assert told != plain, f"[{table.table}] {key} = {value!r} changed nothing"
