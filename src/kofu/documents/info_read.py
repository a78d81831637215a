"""Reading kofu's entries of a PDF's document information dictionary, with qpdf (no signature check)."""

from __future__ import annotations

import io

import pikepdf

from kofu.documents.info import ORDER_KEY, REQUESTER_KEY, SEALED_KEY, SIGNED_KEY


def info_entries(data: bytes) -> dict[str, str]:
    """kofu's entries of the document information dictionary (no signature check).

    Read with qpdf (pikepdf): it parses the file's cross-reference sections and the dictionary in C++,
    where pyHanko reads the long code strings a byte at a time; both the center and the kiosk's printer
    read these entries of every document.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return {}
        found = {key: info.get("/" + key) for key in (ORDER_KEY, REQUESTER_KEY, SIGNED_KEY, SEALED_KEY)}
        return {key: str(value) for key, value in found.items() if isinstance(value, pikepdf.String)}
