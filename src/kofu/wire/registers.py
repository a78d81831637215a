"""The registers on the wire: terminals, municipalities, maintenance notices (STR-1, HRS-4, HRS-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from kofu.wire.common import Chain, MunicipalityCode, StoreCode, Strict, TerminalId

HourText = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")]


class DayHoursModel(Strict):
    """One day's opening in JST; a closing time at or before the opening runs past midnight."""

    open: HourText
    close: HourText


class TerminalResponse(Strict):
    """A kiosk terminal as the center knows it (HRS-4: the store's hours, Monday first)."""

    terminal_id: TerminalId
    chain: Chain
    store_code: StoreCode
    store_name: str = Field(max_length=128)
    hours: tuple[DayHoursModel | None, ...] = Field(min_length=7, max_length=7)
    status: Literal["active", "revoked"]
    open_now: bool

    @classmethod
    def of(cls, info: Any, *, now: datetime) -> TerminalResponse:
        """From a `kofu.center.registers.TerminalInfo`."""
        return cls(
            terminal_id=info.terminal_id,
            chain=info.chain,
            store_code=info.store_code,
            store_name=info.store_name,
            hours=tuple(
                None if day is None else DayHoursModel(open=day.as_pair()[0], close=day.as_pair()[1])
                for day in info.hours
            ),
            status=info.status.value,
            open_now=info.is_open(now),
        )


class MunicipalityResponse(Strict):
    """A municipality at the center: its names and whether it can be served now."""

    code: MunicipalityCode
    name_ja: str = Field(max_length=64)
    name_en: str = Field(max_length=64)
    status: Literal["up", "down"]


class NoticeResponse(Strict):
    """HRS-5: one maintenance window for the kiosk idle screen."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    municipality_code: MunicipalityCode | None = None
    active: bool
    notice_ja: str = Field(max_length=512)
    notice_en: str = Field(max_length=512)

    @classmethod
    def of(cls, notice: Any, *, now: datetime) -> NoticeResponse:
        """From a `kofu.center.registers.Notice`."""
        return cls(
            starts_at=notice.starts_at,
            ends_at=notice.ends_at,
            municipality_code=notice.municipality_code,
            active=notice.active(now),
            notice_ja=notice.ja,
            notice_en=notice.en,
        )


class NoticesResponse(Strict):
    notices: tuple[NoticeResponse, ...] = Field(max_length=100)
