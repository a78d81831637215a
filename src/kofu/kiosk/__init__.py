"""The kiosk terminal: the touch page, its page API, the card slot, cash device and printer.

`create_app(config)` builds the FastAPI app of one terminal (see `kofu.kiosk.app`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kofu.kiosk.config import KioskConfig

__all__ = ["create_app"]


def create_app(config: KioskConfig, **kwargs: Any) -> FastAPI:
    """The kiosk app for one terminal (imported lazily so `kofu --help` stays fast)."""
    from kofu.kiosk.app import create_app as _create

    return _create(config, **kwargs)
