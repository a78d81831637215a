"""kofu.center.app: the center's FastAPI app over the center's services (kiosk → center API).

`create_app(config)` builds it; `CenterConfig` / `build_config_from_settings` configure it. Card routes
(where a card may go) are registered with `kofu.center.app.routing.record_card` and `add_card_route`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kofu.center.app.config import CenterConfig, MunicipalityEntry, build_config_from_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(config: CenterConfig, **kwargs: Any) -> FastAPI:
    """The center's FastAPI app (see `kofu.center.app.factory.create_app`)."""
    from kofu.center.app.factory import create_app as _create

    return _create(config, **kwargs)


__all__ = ["CenterConfig", "MunicipalityEntry", "build_config_from_settings", "create_app"]
