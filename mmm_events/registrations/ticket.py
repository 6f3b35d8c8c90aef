"""The check-in code a registrant shows at the door: a QR code of the organisers' check-in
address for their registration.

Its PNG is written by Pillow's compiled code from segno's matrix, because segno's own PNG
writer is pure Python and was the largest part of the mail worker's time per confirmation:
Pillow writes the same pixels 5.4 times faster, and the whole code (segno's encoding
included) costs 1.7 times less (`python -m bench ticket`, both in one run, December 2026).
segno's writer stays below as the plain reference the tests compare pixels with.
"""

from __future__ import annotations

import io

import segno
from flask import url_for
from PIL import Image

# segno's options, chosen for the worker's CPU time (the code goes into every confirmation):
# - a fixed mask pattern: searching the best of the eight masks took two thirds of the time,
#   and for check-in addresses (random tokens) pattern 4 is the one most often chosen; every
#   pattern is valid and scans (tests/registrations/test_ticket.py decodes real-length addresses);
# - zlib's fastest level: maximum compression took a third of the PNG writer's time to save
#   a few hundred bytes;
# - 6 pixels per module with the standard 4-module quiet zone: about 300 pixels square,
#   plenty for a phone camera on a screen or on paper.
MASK_PATTERN = 4
PIXELS_PER_MODULE = 6
QUIET_ZONE_MODULES = 4
PNG_COMPRESSION_LEVEL = 1
# segno's matrix holds 1 for a dark module and 0 for a light one; a greyscale image wants
# black (0) and white (255).
_MODULE_TO_GREY = bytes.maketrans(b"\x00\x01", b"\xff\x00")


def check_in_url(check_in_token: str) -> str:
    """The absolute address the QR code holds; it opens the check-in page for organisers."""
    return url_for("organiser.check_in_registration", token=check_in_token, _external=True)


def check_in_qr(url: str) -> segno.QRCode:
    """The QR code symbol of ``url``: error correction level M at least (segno raises it
    when the chosen version has room), never a Micro QR code, which phones read poorly."""
    return segno.make(url, error="m", micro=False, mask=MASK_PATTERN)


def check_in_qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a black and white PNG (1 bit a pixel)."""
    return symbol_png(check_in_qr(url))


def symbol_png(symbol: segno.QRCode, pixels_per_module: int = PIXELS_PER_MODULE) -> bytes:
    """The symbol's PNG: segno's matrix, one pixel a module, enlarged and framed by
    Pillow. The PDFs ask for one pixel a module and scale it up without smoothing."""
    matrix = symbol.matrix
    modules = len(matrix)
    grey = b"".join(matrix).translate(_MODULE_TO_GREY)
    code = Image.frombytes("L", (modules, modules), grey).convert("1", dither=Image.NONE)
    side = (modules + 2 * QUIET_ZONE_MODULES) * pixels_per_module
    image = Image.new("1", (side, side), 1)
    if pixels_per_module != 1:
        code = code.resize((modules * pixels_per_module,) * 2, Image.NEAREST)
    image.paste(code, (QUIET_ZONE_MODULES * pixels_per_module,) * 2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=PNG_COMPRESSION_LEVEL)
    return buffer.getvalue()


def check_in_qr_png_reference(url: str) -> bytes:
    """The same image written by segno alone: the plain version, which the tests check the
    fast one against."""
    return symbol_png_reference(check_in_qr(url))


def symbol_png_reference(symbol: segno.QRCode) -> bytes:
    buffer = io.BytesIO()
    symbol.save(
        buffer,
        kind="png",
        scale=PIXELS_PER_MODULE,
        border=QUIET_ZONE_MODULES,
        compresslevel=PNG_COMPRESSION_LEVEL,
    )
    return buffer.getvalue()
