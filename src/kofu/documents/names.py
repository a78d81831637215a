"""How names and dates are written on certificates."""

from __future__ import annotations

from datetime import date

from kofu.rules.wareki import to_wareki


def with_kyuuji(name: str, kyuuji: str | None) -> str:
    """The name followed by the registered former surname in brackets (INC-6)."""
    return f"{name}（旧氏　{kyuuji}）" if kyuuji else name


def wareki(d: date | None) -> str:
    """A date in 和暦 with ASCII digits (住民票, 印鑑, 課税, 附票); empty for no date."""
    return to_wareki(d) if d else ""


def wareki_fw(d: date | None) -> str:
    """A date in 和暦 with full-width digits, as computerised family registers print it."""
    return to_wareki(d, fullwidth=True) if d else ""


def yen(amount: int) -> str:
    """An amount in yen with thousands separators."""
    return f"{amount:,}円"
