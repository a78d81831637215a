"""Render and seal one certificate: front pages, backs with the codes, PAdES certification.

Everything happens in memory; the content passes through once and is not kept (SEC-4).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from kofu.documents import (
    codec,
    fonts,
    layout_fuhyo,
    layout_inkan,
    layout_juminhyo,
    layout_kazei,
    layout_koseki,
    pattern,
)
from kofu.documents.back import draw_back, plan
from kofu.documents.claims import SignedClaims, sealed_texts, signed_text
from kofu.documents.content import (
    Content,
    FuhyoContent,
    InkanContent,
    JuminhyoContent,
    KazeiContent,
    KosekiContent,
)
from kofu.documents.cose import sign1
from kofu.documents.info import NUMBER_KEY, ORDER_KEY, REQUESTER_KEY, SEALED_KEY, SIGNED_KEY, KofuInfo
from kofu.documents.keys import SealingKeys
from kofu.documents.page import (
    PAGE_H,
    PAGE_W,
    Row,
    draw_certification,
    draw_demo,
    draw_frame,
    draw_rows,
    paginate,
)
from kofu.documents.qr import make_qr
from kofu.documents.seal import seal_pdf
from kofu.documents.sealed import seal
from kofu.rules.verification import Verification

FLATE_LEVEL = 1  # zlib level 1: a third of level 6's time on QR and glyph streams, ~10% larger files


def _fast_flate(text: str | bytes) -> bytes:
    return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, FLATE_LEVEL)


SEALED_PART_BYTES = 1100  # at most, per 2D code: a version ~30 code, 70 mm at 0.5 mm per module


def _layout(content: Content) -> tuple[str, list[Row]]:
    table: dict[type, tuple[Callable[[Any], str], Callable[[Any], list[Row]]]] = {
        JuminhyoContent: (lambda _c: layout_juminhyo.TITLE, layout_juminhyo.rows),
        InkanContent: (lambda _c: layout_inkan.TITLE, layout_inkan.rows),
        KazeiContent: (lambda _c: layout_kazei.TITLE, layout_kazei.rows),
        KosekiContent: (
            lambda c: layout_koseki.TITLE_WHOLE if c.whole else layout_koseki.TITLE_INDIVIDUAL,
            layout_koseki.rows,
        ),
        FuhyoContent: (lambda _c: layout_fuhyo.TITLE, layout_fuhyo.rows),
    }
    title, rows = table[type(content)]
    return title(content), rows(content)


def render_and_seal(
    content: Content,
    keys: SealingKeys,
    verifier: ec.EllipticCurvePublicKey,
    *,
    verification: Verification = Verification(),
) -> bytes:
    """The sealed PDF of `content`: duplex sheets (front, back, front, back...) certified by `keys`.

    The copy of the content on the backs is encrypted to `verifier`, the verification service's key;
    `verification` (the municipality's rulebook) says where the back sends its receiver, and until when.
    """
    fonts.register_fonts()
    rl_config.useA85 = 0  # binary Flate streams: smaller and faster than ASCII85
    pdfdoc.PDFZCompress.encode = _fast_flate
    header = content.header
    title, rows = _layout(content)
    pages = paginate(rows)
    encoded = codec.encode(content)
    claims = SignedClaims(
        municipality_code=header.municipality_code,
        unique_number=header.unique_number,
        kind=header.kind,
        issued_on=header.issued_on,
        verifiable_until=verification.until(header.issued_on),
        content_digest=codec.hash_bytes(encoded),
        order_id=header.order_id,
        requester_cert_digest=header.requester_cert_digest,
        sheets=len(pages),
    )
    signed = signed_text(sign1(claims.to_cbor(), keys.cose_key, keys.cose_kid))
    sealed = sealed_texts(seal(encoded, verifier, header.unique_number.encode()), SEALED_PART_BYTES)
    placed = plan(make_qr(signed), [make_qr(t) for t in sealed])

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1, initialFontName=fonts.MINCHO)
    canvas._doc.info = KofuInfo(  # private hook: ReportLab has no public API for custom info keys
        title=header.kind.title_ja,
        author=header.municipality_name,
        extra={
            ORDER_KEY: header.order_id,
            REQUESTER_KEY: header.requester_cert_digest,
            NUMBER_KEY: header.unique_number,
            SIGNED_KEY: signed,
            SEALED_KEY: ";".join(sealed),  # ";" is not a Base45 character
        },
    )
    pattern.define(canvas)
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        draw_frame(canvas, header, title, n, total)
        bottom = draw_rows(canvas, page)
        if n == total:
            draw_certification(canvas, header, bottom)
        if header.demo:
            draw_demo(canvas)
        canvas.showPage()
        draw_back(canvas, header, n, total, placed, verification)
        if header.demo:
            draw_demo(canvas, back=True)
        canvas.showPage()
    canvas.save()
    location = f"{header.municipality_name}（{header.municipality_code}）"
    return seal_pdf(
        buf.getvalue(), keys, reason=f"{header.kind.title_ja} {header.unique_number}", location=location
    )
