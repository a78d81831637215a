"""Reading the 2D codes of a certificate's back from a photo or scan (zxing-cpp)."""

from __future__ import annotations

import io

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def is_image(data: bytes) -> bool:
    """True for PNG or JPEG bytes."""
    return data.startswith(PNG_MAGIC) or data.startswith(JPEG_MAGIC)


class ImageUnreadableError(ValueError):
    """Image bytes that Pillow cannot open."""


def read_codes(data: bytes) -> list[str]:
    """The texts of every QR code found in an image (empty if none)."""
    import zxingcpp
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise ImageUnreadableError(f"image cannot be opened: {type(exc).__name__}") from None
    gray = image.convert("L")
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return [r.text for r in found if r.valid]
