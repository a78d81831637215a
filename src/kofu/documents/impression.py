"""The 印影 in print form: a two-colour (red on transparent) PNG, small enough for the encrypted copy.

The registry keeps the impression as scanned; the certificate prints it in one ink, so two colours lose
nothing that the paper shows, and keep the back's encrypted copy to a few 2D codes.
"""

from __future__ import annotations

import io

from PIL import Image

INK = (200, 30, 40)
THRESHOLD = 100


def print_form(png: bytes) -> bytes:
    """A palette PNG (0 = transparent, 1 = red ink) of the impression in `png`."""
    image = Image.open(io.BytesIO(png))
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        ink = image.convert("RGBA").getchannel("A")
    else:  # an opaque scan: dark pixels are ink
        ink = image.convert("L").point(lambda v: 255 - v)
    mask = ink.point(lambda v: 1 if v > THRESHOLD else 0).convert("L")
    out = Image.new("P", image.size, 0)
    out.putpalette([255, 255, 255, *INK] + [0, 0, 0] * 254)
    out.paste(1, mask=mask.point(lambda v: 255 if v else 0))
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=True, transparency=0, bits=1)
    return buf.getvalue()
