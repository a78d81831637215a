"""kofu.municipal: one municipality's certificate server (証明発行サーバ).

`create_app(config)` is its FastAPI app; `MunicipalConfig` and `build_config_from_settings` configure it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kofu.municipal.config import MunicipalConfig, build_config_from_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(config: MunicipalConfig, **kwargs: Any) -> FastAPI:
    """The municipal server's FastAPI app (see `kofu.municipal.app.create_app`)."""
    from kofu.municipal.app import create_app as _create

    return _create(config, **kwargs)


__all__ = ["MunicipalConfig", "build_config_from_settings", "create_app"]
