"""The check-in QR code: what it is made with, and that a scanner reads back the exact
address, for addresses of the real length on the hosts a deployment may have, from the PNG the
application sends (zxing-cpp's code, Pillow's PNG) and from the plain one it is checked
against (segno's, pure Python), which is a code of the same size."""

from __future__ import annotations

import io
import secrets

import pytest
import zxingcpp
from PIL import Image

from mmm_events.registrations.ticket import (
    PIXELS_PER_MODULE,
    QUIET_ZONE_MODULES,
    check_in_qr,
    check_in_qr_png,
    check_in_qr_png_reference,
    check_in_url,
)

ENGINES = [
    pytest.param(check_in_qr_png, id="zxing-cpp"),
    pytest.param(check_in_qr_png_reference, id="segno"),
]

# From the shortest address (a bare IP over http) to one longer than any real host name we
# expect, so that the code takes several sizes (QR versions).
SITES = [
    ("127.0.0.1", "http"),
    ("events.example.org", "https"),
    ("events.makemothersmatter.org", "https"),
    ("registration.conference-2027.international.makemothersmatter.org", "https"),
]


def codes_in(png: bytes) -> list[zxingcpp.Barcode]:
    """What a QR scanner finds in the image, one result per code. Only QR codes: a reader of
    every format now and then also finds a short 1D barcode inside the pattern."""
    image = Image.open(io.BytesIO(png))
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def scanned(png: bytes) -> list[str]:
    """What a QR scanner reads in the image: one text per code found."""
    return [code.text for code in codes_in(png)]


@pytest.mark.parametrize("write_png", ENGINES)
@pytest.mark.parametrize(("server_name", "scheme"), SITES)
def test_real_check_in_addresses_scan_back_exactly(
    make_app, create_event, create_registration, server_name, scheme, write_png
):
    app = make_app(SERVER_NAME=server_name, PREFERRED_URL_SCHEME=scheme)
    # The tokens of real registrations, random.
    event = create_event()
    tokens = [create_registration(event).token for _ in range(12)]
    with app.app_context():
        urls = [check_in_url(token) for token in tokens]
    for token, url in zip(tokens, urls, strict=True):
        assert url == f"{scheme}://{server_name}/organiser/check-in/{token}"
        assert scanned(write_png(url)) == [url]


def a_token() -> str:
    """A token of the length a registration's has (32 random bytes, URL-safe: 43 characters);
    the first test checks real ones."""
    return secrets.token_urlsafe(32)


def test_the_code_is_made_with_the_chosen_options():
    url = f"https://events.example.org/organiser/check-in/{a_token()}"
    symbol = check_in_qr(url)
    # 89 characters at level M need version 6: 41 x 41 modules, each 0 (dark) or 255 (light).
    assert symbol.size == 41
    assert len(symbol.modules) == 41 * 41
    assert set(symbol.modules) == {0, 255}
    (read,) = codes_in(check_in_qr_png(url))
    assert (read.format, read.ec_level, read.text) == (zxingcpp.BarcodeFormat.QRCode, "M", url)


@pytest.mark.parametrize("write_png", ENGINES)
def test_png_is_black_and_white_at_six_pixels_per_module_with_a_quiet_zone(write_png):
    url = f"https://events.example.org/organiser/check-in/{a_token()}"
    png = write_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert (PIXELS_PER_MODULE, QUIET_ZONE_MODULES) == (6, 4)
    assert image.size == ((41 + 2 * 4) * 6, (41 + 2 * 4) * 6) == (294, 294)
    assert image.mode == "1"
    # The quiet zone is white all round; the top-left finder pattern starts just inside it.
    assert image.getpixel((0, 0)) == image.getpixel((23, 23)) == 255
    assert image.getpixel((24, 24)) == 0


def test_the_code_is_as_large_as_segnos_and_reads_the_same(make_app):
    """The plain reference chooses its own mask, so the pixels differ; the code's size (its
    version), its level and what it says do not."""
    sizes = []
    for server_name, scheme in SITES:
        app = make_app(SERVER_NAME=server_name, PREFERRED_URL_SCHEME=scheme)
        with app.app_context():
            urls = [check_in_url(a_token()) for _ in range(6)]
        for url in urls:
            fast, reference = check_in_qr_png(url), check_in_qr_png_reference(url)
            read = [[(code.text, code.ec_level) for code in codes_in(p)] for p in (fast, reference)]
            assert read == [[(url, "M")]] * 2
            fast_image, reference_image = (Image.open(io.BytesIO(p)) for p in (fast, reference))
            assert fast_image.mode == reference_image.mode == "1"
            assert fast_image.size == reference_image.size
        sizes.append(fast_image.size[0])
    # Compared on codes of three sizes (QR versions 5, 6 and 8), quiet zone included.
    assert sizes == [270, 294, 294, 342]
