"""A verdict as a person reads it, in one language: the headline, what was found, what to try next,
the certificate's facts and its content in printed words. The page and `kofu verify` both show this.
"""

from __future__ import annotations

from dataclasses import dataclass

from kofu.rules.reasons import Reason
from kofu.rules.wareki import to_wareki
from kofu.verify.language import Lang
from kofu.verify.printed import Item, Section, sections
from kofu.verify.verdict import Status, Verdict
from kofu.verify.words import words

HINTS = (Reason.PHOTO_THE_BACK, Reason.RESCAN_300_DPI, Reason.NOT_A_CERTIFICATE)
TONES = {  # the look of the headline: only a genuine non-sample is "genuine" (green)
    Status.GENUINE: "genuine",
    Status.SEAL_ONLY: "caution",
    Status.UNKNOWN: "caution",
    Status.EXPIRED: "caution",
    Status.ALTERED: "bad",
    Status.REVOKED: "bad",
}


@dataclass(frozen=True)
class View:
    """What a person is shown of a verdict, every sentence in `lang`."""

    lang: Lang
    status: Status
    tone: str  # genuine, sample, caution or bad
    headline: str
    sample: str | None  # the sentence that a 見本 has no legal force
    reasons: tuple[str, ...]
    hints: tuple[str, ...]
    document: tuple[Item, ...]
    content: tuple[Section, ...]


def present(result: Verdict, lang: Lang, *, issuer: str | None = None) -> View:
    """`result` for a person reading `lang`; `issuer` names the municipality when the content does not."""
    say = words(lang)
    # only a genuine verdict carries content; a revoked or altered 見本 still reads as revoked or altered
    sample = result.status is Status.GENUINE and result.content is not None and result.content.header.demo
    hints = [r for r in result.reasons if r in HINTS]
    hints += [r for r in _implied_hints(result) if r not in hints]
    return View(
        lang=lang,
        status=result.status,
        tone="sample" if sample else TONES[result.status],
        headline=say["sample_status"] if sample else _sentence(result.status, lang),
        sample=say["sample"] if sample else None,
        reasons=tuple(_sentence(r, lang) for r in result.reasons if r not in HINTS),
        hints=tuple(_sentence(r, lang) for r in hints),
        document=_document(result, lang, say, issuer),
        content=sections(result.content) if result.content is not None else (),
    )


def _implied_hints(result: Verdict) -> tuple[Reason, ...]:
    """A PDF without anything of a kofu seal, or a file neither PDF nor image: not a certificate."""
    if result.status is not Status.UNKNOWN:
        return ()
    if result.source == "pdf" and result.reasons == (Reason.UNREADABLE,):
        return (Reason.NOT_A_CERTIFICATE,)
    if result.source == "" and result.reasons == (Reason.UNSUPPORTED,):
        return (Reason.NOT_A_CERTIFICATE,)
    return ()


def _sentence(item: Status | Reason, lang: Lang) -> str:
    return item.ja if lang == "ja" else item.en


def _document(result: Verdict, lang: Lang, say: dict[str, str], issuer: str | None) -> tuple[Item, ...]:
    claims = result.claims
    if claims is None:
        return ()
    name = result.content.header.municipality_name if result.content is not None else issuer
    kind = claims.kind.title_ja if lang == "ja" else f"{claims.kind.title_ja} ({claims.kind.title_en})"
    found = [
        Item(say["kind"], kind),
        Item(say["number"], claims.unique_number),
        Item(say["issued_on"], to_wareki(claims.issued_on)),
        *([Item(say["issuer"], name)] if name else []),
        Item(say["pages"], str(claims.sheets)),
        Item(say["verifiable_until"], to_wareki(claims.verifiable_until)),
    ]
    return tuple(found)
