"""The check-in code a registrant shows at the door: a QR code of the organisers' check-in
address for their registration."""

from __future__ import annotations

import io

import segno
from flask import url_for

# segno's options, chosen for the worker's CPU time (the code goes into every confirmation):
# - a fixed mask pattern: searching the best of the eight masks took two thirds of the time,
#   and for check-in addresses (random tokens) pattern 4 is the one most often chosen; every
#   pattern is valid and scans (tests/test_ticket.py decodes real-length addresses);
# - zlib's fastest level: maximum compression took a third of the PNG writer's time to save
#   a few hundred bytes;
# - 6 pixels per module with the standard 4-module quiet zone: about 300 pixels square,
#   plenty for a phone camera on a screen or on paper.
MASK_PATTERN = 4
PIXELS_PER_MODULE = 6
QUIET_ZONE_MODULES = 4
PNG_COMPRESSION_LEVEL = 1


def check_in_url(check_in_token: str) -> str:
    """The absolute address the QR code holds; it opens the check-in page for organisers."""
    return url_for("organiser.check_in_registration", token=check_in_token, _external=True)


def check_in_qr(url: str) -> segno.QRCode:
    """The QR code symbol of ``url``: error correction level M at least (segno raises it
    when the chosen version has room), never a Micro QR code, which phones read poorly."""
    return segno.make(url, error="m", micro=False, mask=MASK_PATTERN)


def check_in_qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a black and white PNG."""
    buffer = io.BytesIO()
    check_in_qr(url).save(
        buffer,
        kind="png",
        scale=PIXELS_PER_MODULE,
        border=QUIET_ZONE_MODULES,
        compresslevel=PNG_COMPRESSION_LEVEL,
    )
    return buffer.getvalue()
