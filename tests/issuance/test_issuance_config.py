"""The apps' configuration from settings, and the catch-all error answer (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuance_world import OHIRA, World
from kofu.center.app import build_config_from_settings as center_config
from kofu.center.ratelimit import CARD_LIMIT, Limit
from kofu.db import WORKER_THREADS
from kofu.layout import Layout
from kofu.municipal import build_config_from_settings as municipal_config
from kofu.settings import Settings
from party_support import center_statement


def test_issuance_center_config_from_settings(tmp_path: Path) -> None:
    """The [center] table: municipalities, TLS and defaults under the home; unknown keys refused."""
    settings = Settings(
        home=tmp_path,
        center={
            "municipalities": [
                {
                    "code": OHIRA,
                    "name_ja": "大衡村",
                    "name_en": "Ōhira",
                    "base_url": "https://m.test:9001",
                }
            ],
            "tls": True,
            "session_minutes": 5,
        },
    )
    config = center_config(settings)
    assert config.db_url == Layout(tmp_path).center  # where the demo's center keeps it
    assert config.jpki_auth_ca == tmp_path / "keys" / "jpki" / "auth-ca.pem"
    assert [m.base_url for m in config.municipalities] == ["https://m.test:9001"]
    assert config.tls_home == tmp_path and config.require_terminal_cert is True
    assert config.session_minutes == 5
    assert center_config(Settings(home=tmp_path)).tls_home is None
    with pytest.raises(ValueError, match=r"\[center\] db: no such key"):
        center_config(Settings(home=tmp_path, center={"db": "x"}))


def test_issuance_center_config_card_rate_limit(tmp_path: Path) -> None:
    """The per-card authentication limit: 5 a minute unless the [center] table says otherwise."""
    assert center_config(Settings(home=tmp_path)).card_limit == CARD_LIMIT == Limit(5, 60.0)
    table = {"card_rate_capacity": 3, "card_rate_seconds": 120}
    assert center_config(Settings(home=tmp_path, center=table)).card_limit == Limit(3, 120.0)
    for bad in ({"card_rate_capacity": 0}, {"card_rate_seconds": 0}):
        with pytest.raises(ValueError, match="card_rate"):
            center_config(Settings(home=tmp_path, center=bad))


def test_issuance_municipal_config_from_settings(tmp_path: Path) -> None:
    """The [municipal] table: registry and rulebook; its own tables default to the registry's database."""
    config = municipal_config(Settings(home=tmp_path, municipal={"rulebook": "kitayama"}))
    assert config.rulebook == "kitayama" and config.own_db_url == config.registry_url
    with pytest.raises(ValueError, match=r"\[municipal\] registry: no such key"):
        municipal_config(Settings(home=tmp_path, municipal={"registry": "x"}))


def test_issuance_worker_threads_setting_of_both_servers(tmp_path: Path) -> None:
    """[center] and [municipal] worker_threads: 8 unless told, a whole number from 1 to 64."""
    for section, parse in (("center", center_config), ("municipal", municipal_config)):
        assert parse(Settings(home=tmp_path)).worker_threads == WORKER_THREADS == 8
        told = Settings(home=tmp_path, **{section: {"worker_threads": 3}})
        assert parse(told).worker_threads == 3
        for bad in (0, 65, True, "4", 2.5):
            with pytest.raises(ValueError, match=f"\\[{section}\\] worker_threads"):
                parse(Settings(home=tmp_path, **{section: {"worker_threads": bad}}))


def test_issuance_internal_error_leaks_nothing(sqlite_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected failure is a 500 with a fixed sentence: no traceback, no detail of the request."""
    service = sqlite_world.municipal_app.state.service

    def broken(_query: object) -> object:
        raise RuntimeError("大衡 太郎 lives at 平林62")

    monkeypatch.setattr(service, "menu", broken)
    client = TestClient(sqlite_world.municipal_app, raise_server_exceptions=False)
    query = {"auth_serial": "ab", "credential": "card", "municipality_code": OHIRA, "role": "jushochi"}
    reply = client.post("/v1/menu", json=center_statement(sqlite_world.home, "/v1/menu", query))
    assert reply.status_code == 500 and reply.json()["reason"] == "internal_error"
    assert "平林" not in reply.text and "Traceback" not in reply.text
