"""Reading the 2D codes of a certificate's back from a photo or scan (zxing-cpp)."""

from __future__ import annotations

import io
from dataclasses import dataclass

MAX_PIXELS = 50_000_000  # a 600-dpi scan of A4 has 35 million, a phone photo 12 to 50
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
FINE_SHORT_SIDE = 1400  # pixels: A4 at about 170 dpi, fine enough that a back's codes are read


def is_image(data: bytes) -> bool:
    """True for PNG or JPEG bytes."""
    return data.startswith(PNG_MAGIC) or data.startswith(JPEG_MAGIC)


class ImageUnreadableError(ValueError):
    """Image bytes that Pillow cannot open, or an image too large to be a photo of a back."""


@dataclass(frozen=True)
class Scan:
    """The texts of the QR codes read in an image, and whether it was fine enough to read a back's."""

    texts: tuple[str, ...]
    fine: bool


def read_codes(data: bytes) -> Scan:
    """The texts of every QR code found in an image (empty if none), and how fine the image is."""
    import zxingcpp
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow then warns past ours and refuses past twice ours
    try:
        image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))  # reads the header only
        if image.width * image.height > MAX_PIXELS:
            raise Image.DecompressionBombError(f"{image.width} × {image.height}")
        image.load()
    except Image.DecompressionBombError:
        raise ImageUnreadableError("too many pixels for a photo of a back") from None
    except Exception as exc:
        raise ImageUnreadableError(f"image cannot be opened: {type(exc).__name__}") from None
    gray = image.convert("L")
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    fine = min(image.width, image.height) >= FINE_SHORT_SIDE
    return Scan(tuple(r.text for r in found if r.valid), fine)
