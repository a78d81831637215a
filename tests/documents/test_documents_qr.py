"""The back's QR codes: what libzint encodes with its fixed mask, zxing-cpp's reader reads back whole."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kofu.documents.qr import QUIET_ZONE, QrSymbol, make_qr, module_path

BASE45 = string.digits + string.ascii_uppercase + " $%*+-./:"


def picture(symbol: QrSymbol, scale: int = 4) -> Image.Image:
    """The symbol as a scanner would see it: black modules, a white quiet zone, `scale` pixels a module."""
    dark = np.array(symbol.modules, dtype=bool)
    pixels = np.pad(np.where(dark, 0, 255).astype(np.uint8), QUIET_ZONE, constant_values=255)
    return Image.fromarray(np.kron(pixels, np.ones((scale, scale), dtype=np.uint8)))


@pytest.mark.parametrize("length", [1, 40, 445, 1100, 1650])
@pytest.mark.parametrize("level", ["L", "M", "Q"])
def test_an_independent_reader_reads_what_was_encoded(length: int, level: str) -> None:
    text = "HC1:" + "".join(random.Random(length).choice(BASE45) for _ in range(length))
    symbol = make_qr(text, error=level)
    read = zxingcpp.read_barcode(picture(symbol))
    assert read is not None and read.text == text
    assert read.ec_level == level
    assert symbol.size == len(symbol.modules[0]) and (symbol.size - 17) % 4 == 0  # a square of a QR version


def test_the_module_path_draws_every_dark_module_once() -> None:
    symbol = make_qr("HC1:" + "K" * 200)
    drawn = sum(int(part.split()[2]) for part in module_path(symbol).getCode().split(" re") if part.strip())
    assert drawn == sum(map(sum, symbol.modules))


def test_text_too_long_for_any_version_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="too long"):
        make_qr("A" * 8000, error="H")
