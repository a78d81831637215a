"""A verification verdict: genuine, seal only, altered, unknown, expired or revoked, with reason codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kofu.documents.claims import SignedClaims
from kofu.documents.content import Content
from kofu.rules.reasons import Reason


class Status(StrEnum):
    """The verdict a receiver reads first, with its Japanese and English sentence."""

    GENUINE = "genuine"
    SEAL_ONLY = "seal_only"  # the seal is valid, the encrypted copy was not read: nothing compared
    ALTERED = "altered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def ja(self) -> str:
        return _SENTENCES[self][0]

    @property
    def en(self) -> str:
        return _SENTENCES[self][1]


_SENTENCES: dict[Status, tuple[str, str]] = {
    Status.GENUINE: ("真正な証明書です", "Genuine certificate"),
    Status.SEAL_ONLY: (
        "電子公印は有効ですが、内容を読み取れませんでした。記載内容が正しいかどうかは、"
        "交付した市区町村の窓口にお問い合わせください",
        "The seal is valid; the content could not be read: compare the paper with the issuing office",
    ),
    Status.ALTERED: ("改ざんされています", "Altered"),
    Status.UNKNOWN: ("確認できません", "Cannot be confirmed"),
    Status.EXPIRED: ("確認期間を過ぎています", "Past its verification period"),
    Status.REVOKED: ("無効とされた証明書です", "Revoked certificate"),
}


@dataclass(frozen=True)
class Verdict:
    """What verification found; `content` is the decrypted original, for genuine documents only."""

    status: Status
    reasons: tuple[Reason, ...] = ()
    source: str = ""  # "pdf" or "image"
    claims: SignedClaims | None = None
    content: Content | None = field(default=None, repr=False)

    @property
    def genuine(self) -> bool:
        return self.status is Status.GENUINE

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: status, reasons with sentences, the signed facts and the content."""
        from kofu.documents import codec

        out: dict[str, Any] = {
            "status": self.status.value,
            "status_ja": self.status.ja,
            "status_en": self.status.en,
            "reasons": [{"code": r.value, "ja": r.ja, "en": r.en} for r in self.reasons],
            "source": self.source,
        }
        if self.claims is not None:
            c = self.claims
            out["document"] = {
                "unique_number": c.unique_number,
                "municipality_code": c.municipality_code,
                "kind": c.kind.value,
                "issued_on": c.issued_on.isoformat(),
                "verifiable_until": c.verifiable_until.isoformat(),
                "sheets": c.sheets,
                "content_digest": c.content_digest.hex(),
            }
        if self.content is not None:
            out["content"] = codec.plain(self.content)
        return out


def verdict(
    status: Status, *reasons: Reason, source: str = "", claims: SignedClaims | None = None
) -> Verdict:
    """A verdict without content."""
    return Verdict(status, tuple(reasons), source, claims)
