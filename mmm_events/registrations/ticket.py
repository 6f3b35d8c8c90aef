"""The check-in code a registrant shows at the door: a QR code of the organisers' check-in
address for their registration.

The code is encoded by zxing-cpp's compiled writer and its PNG written by Pillow. segno, pure
Python, took 1.4 ms of CPU to encode each code even with its mask fixed, the largest part of
the mail worker's time per confirmation after the PNG moved to Pillow; zxing-cpp takes about
0.3 ms, choosing the best mask too. Against the plain reference below (segno alone, choosing
its mask and writing its own PNG), the whole code costs 12 times less (`python -m bench
ticket`, both in one run, December 2026). The tests compare the two: the same size of code,
scanned back to the same address.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from flask import url_for
from PIL import Image

# Error correction level M recovers up to 15 % of the code (a crease, a scratched screen),
# and keeps a check-in address of usual length in a small code (version 6, 41 modules).
ERROR_CORRECTION = "M"
# 6 pixels per module with the standard 4-module quiet zone: about 300 pixels square,
# plenty for a phone camera on a screen or on paper. zlib's fastest level: maximum
# compression took a third of the PNG writer's time to save a few hundred bytes.
PIXELS_PER_MODULE = 6
QUIET_ZONE_MODULES = 4
PNG_COMPRESSION_LEVEL = 1


@dataclass(frozen=True)
class Symbol:
    """A QR code's modules: ``size`` a side, one byte each, row by row, 0 for a dark module
    and 255 for a light one (a greyscale image of one pixel a module)."""

    size: int
    modules: bytes


def check_in_url(check_in_token: str) -> str:
    """The absolute address the QR code holds; it opens the check-in page for organisers."""
    return url_for("organiser.check_in_registration", token=check_in_token, _external=True)


def check_in_qr(url: str) -> Symbol:
    """The QR code symbol of ``url``, at error correction level M (never a Micro QR code,
    which phones read poorly)."""
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION)
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    return Symbol(size=image.shape[0], modules=image.tobytes())


def check_in_qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a black and white PNG (1 bit a pixel)."""
    return symbol_png(check_in_qr(url))


def symbol_png(symbol: Symbol, pixels_per_module: int = PIXELS_PER_MODULE) -> bytes:
    """The symbol's PNG, framed by its quiet zone. The PDFs ask for one pixel a module and
    scale it up without smoothing."""
    side = symbol.size
    code = Image.frombytes("L", (side, side), symbol.modules).convert("1", dither=Image.NONE)
    framed = (side + 2 * QUIET_ZONE_MODULES) * pixels_per_module
    image = Image.new("1", (framed, framed), 1)
    if pixels_per_module != 1:
        code = code.resize((side * pixels_per_module,) * 2, Image.NEAREST)
    image.paste(code, (QUIET_ZONE_MODULES * pixels_per_module,) * 2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=PNG_COMPRESSION_LEVEL)
    return buffer.getvalue()


def check_in_qr_reference(url: str):
    """The same symbol encoded by segno, pure Python: the plain version of ``check_in_qr``."""
    import segno  # the tests' and the benchmark's only: not installed in production

    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def check_in_qr_png_reference(url: str) -> bytes:
    """The same code made by segno alone, pure Python, encoding and PNG: the plain version,
    which the tests check the fast one against."""
    buffer = io.BytesIO()
    check_in_qr_reference(url).save(
        buffer,
        kind="png",
        scale=PIXELS_PER_MODULE,
        border=QUIET_ZONE_MODULES,
        compresslevel=PNG_COMPRESSION_LEVEL,
    )
    return buffer.getvalue()
