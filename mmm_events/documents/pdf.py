"""PDFs from HTML templates.

WeasyPrint makes them, chosen by measurement over fpdf2 with uharfbuzz (bench/README.md,
"PDF documents"): it was faster on 1,000 badges and its text extracts with Arabic in logical
order, where fpdf2's came out in visual order. It shapes through Pango and HarfBuzz, and
embeds only the fonts the project installs from PyPI (Noto Sans and Noto Sans Arabic, OFL):
nothing is fetched while rendering, and any other address in a template is refused.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from functools import cache

import fontpkg_noto_sans
import fontpkg_noto_sans_arabic
from flask import render_template
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from ..registrations.ticket import check_in_qr, symbol_png

NOTO_SANS = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
NOTO_SANS_ARABIC = fontpkg_noto_sans_arabic.ROOT / "files" / "NotoSansArabic[wdth,wght].ttf"

# Latin first: a Latin name keeps Noto Sans's letters, and Arabic falls back to Noto Sans
# Arabic letter by letter, so a name mixing both scripts and digits is shaped in one line.
FONT_FACES = f"""
@font-face {{ font-family: "Noto Sans"; src: url("{NOTO_SANS.as_uri()}"); }}
@font-face {{ font-family: "Noto Sans Arabic"; src: url("{NOTO_SANS_ARABIC.as_uri()}"); }}
html {{ font-family: "Noto Sans", "Noto Sans Arabic"; }}
"""


class ShippedFilesOnly(URLFetcher):
    """Fetches the shipped fonts and inline ``data:`` images (the QR codes), and refuses
    anything else a template might name: rendering never reaches the network or other files.
    A refusal stops the rendering (``fail_on_errors``) rather than leaving a hole."""

    FONTS = frozenset((NOTO_SANS.as_uri(), NOTO_SANS_ARABIC.as_uri()))

    def __init__(self):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("file:") and url not in self.FONTS:
            raise ValueError(f"not a shipped font: {url}")
        return super().fetch(url, headers)


@cache
def _fonts() -> tuple[FontConfiguration, CSS]:
    configuration = FontConfiguration()
    return configuration, CSS(
        string=FONT_FACES, font_config=configuration, url_fetcher=ShippedFilesOnly()
    )


def render_pdf(template: str, **context) -> bytes:
    """Render ``templates/<template>`` with ``context`` and return it as PDF bytes."""
    configuration, fonts = _fonts()
    html = HTML(string=render_template(template, **context), url_fetcher=ShippedFilesOnly())
    return html.write_pdf(stylesheets=[fonts], font_config=configuration)


def joined(parts: Iterable[bytes]) -> bytes:
    """One PDF of the pages of ``parts``, in order. A long document (a thousand badges) is
    rendered in parts and joined: WeasyPrint holds every laid-out page of a document until
    it is written, which took 335 MB for 125 sheets, against 180 MB in parts of 16 sheets."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def qr_image(text: str) -> Markup:
    """An ``<img>`` of the QR code of ``text``, as the ticket's (``check_in_qr``: error
    correction M, a fixed mask): a PNG of one pixel per module, scaled up by the template
    without smoothing (``image-rendering: pixelated``), so it prints sharp at any size.
    A PNG rather than an SVG: WeasyPrint's SVG paths took three quarters of a badge's time;
    written by Pillow (``symbol_png``) rather than segno's pure-Python writer, six times
    faster (0.1 s against 0.6 s for 1,000 codes)."""
    png = symbol_png(check_in_qr(text), pixels_per_module=1)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return Markup(f'<img class="qr" alt="" src="{uri}">')  # noqa: S704 - base64 only
