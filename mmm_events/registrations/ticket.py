"""The check-in code a registrant shows at the door: a QR code of the organisers' check-in
address for their registration."""

from __future__ import annotations

import io

import segno
from flask import url_for


def check_in_url(check_in_token: str) -> str:
    """The absolute address the QR code holds; it opens the check-in page for organisers."""
    return url_for("organiser.check_in_registration", token=check_in_token, _external=True)


def check_in_qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a PNG, large enough to scan from a phone screen or paper."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
