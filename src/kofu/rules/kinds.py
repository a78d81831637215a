"""The certificate kinds the service issues (取得できる証明書), CRT-1..5."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A certificate kind; the value is the romanised legal term used in code, URLs and TOML."""

    JUMINHYO = "juminhyo"
    INKAN = "inkan"
    KAZEI = "kazei"
    KOSEKI = "koseki"
    FUHYO = "fuhyo"

    @property
    def title_ja(self) -> str:
        """The title printed on the certificate and shown on the kiosk."""
        return _TITLES[self][0]

    @property
    def title_en(self) -> str:
        """An English title for the API and the documentation."""
        return _TITLES[self][1]

    @property
    def is_family_register(self) -> bool:
        """True for the kinds that follow the 本籍 rules (CRT-4, CRT-5)."""
        return self in (Kind.KOSEKI, Kind.FUHYO)


_TITLES: dict[Kind, tuple[str, str]] = {
    Kind.JUMINHYO: ("住民票の写し", "Residence record (copy)"),
    Kind.INKAN: ("印鑑登録証明書", "Seal-registration certificate"),
    Kind.KAZEI: ("課税・非課税・所得証明書", "Tax / non-taxation / income certificate"),
    Kind.KOSEKI: ("戸籍全部（個人）事項証明書", "Family-register certificate (whole or individual)"),
    Kind.FUHYO: ("戸籍の附票の写し", "Family-register address annex (copy)"),
}
