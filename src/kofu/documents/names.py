"""How names and dates are written on certificates."""

from __future__ import annotations

from datetime import date

from kofu.rules.wareki import to_wareki


def with_kyuuji(name: str, kyuuji: str | None) -> str:
    """The name followed by the registered former surname in brackets (INC-6)."""
    return f"{name}（旧氏　{kyuuji}）" if kyuuji else name


def kana_with_kyuuji(name_kana: str | None, kyuuji_kana: str | None) -> str | None:
    """The ふりがな line over `with_kyuuji`: the 旧氏's reading in brackets, as the 旧氏 is below it."""
    if not kyuuji_kana:
        return name_kana
    return f"{name_kana or ''}（{kyuuji_kana}）"


# ぁ..ゖ and ゝゞ sit 0x60 below their katakana
_TO_KATAKANA = {c: c + 0x60 for c in (*range(0x3041, 0x3097), 0x309D, 0x309E)}


def katakana(reading: str) -> str:
    """A reading in katakana, the form the 戸籍 records 振り仮名 in (hiragana converted, the rest kept)."""
    return reading.translate(_TO_KATAKANA)


def wareki(d: date | None) -> str:
    """A date in 和暦 with ASCII digits (住民票, 印鑑, 課税, 附票); empty for no date."""
    return to_wareki(d) if d else ""


def wareki_fw(d: date | None) -> str:
    """A date in 和暦 with full-width digits, as computerised family registers print it."""
    return to_wareki(d, fullwidth=True) if d else ""


def yen(amount: int) -> str:
    """An amount in yen with thousands separators."""
    return f"{amount:,}円"
