"""The RSVP path's shortcuts give exactly what the plain way gives."""

from __future__ import annotations

import io
import secrets

import segno

from mmm_events.events.ticket import check_in_qr_png


def segno_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def test_check_in_code_is_byte_for_byte_segnos():
    masks = set()
    for prefix in (
        "http://127.0.0.1:5000/organiser/check-in/",
        "https://events.makemothersmatter.org/organiser/check-in/",
        # Long enough for a QR version with version information (7 and up).
        "https://events.makemothersmatter.org/" + "a" * 150 + "/organiser/check-in/",
    ):
        for _ in range(100):
            url = prefix + secrets.token_urlsafe(32)
            assert check_in_qr_png(url) == segno_png(url)
            masks.add(segno.make(url, error="m", micro=False).mask)
    # Enough addresses that segno chose every mask, so each one's scoring is compared.
    assert masks == set(range(8))


def test_check_in_code_for_a_version_seven_symbol_or_larger():
    url = "https://events.makemothersmatter.org/" + "a" * 150 + "/organiser/check-in/x"
    assert segno.make(url, error="m", micro=False).version >= 7
    assert check_in_qr_png(url) == segno_png(url)
