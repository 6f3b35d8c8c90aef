"""WeasyPrint, with the shipped fonts and a fetcher that reads nothing else.

Its own module, imported by ``pdf.render_pdf`` on the first PDF rather than with the
application: importing WeasyPrint costs about 0.5 s of CPU, which every process would pay at
start (web workers, the mail worker, each command), though most never write a PDF.
"""

from __future__ import annotations

from functools import cache

import fontpkg_noto_sans
import fontpkg_noto_sans_arabic
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

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


def write_pdf(html: str) -> bytes:
    """The PDF of ``html``, with the shipped fonts."""
    configuration, fonts = _fonts()
    document = HTML(string=html, url_fetcher=ShippedFilesOnly())
    return document.write_pdf(stylesheets=[fonts], font_config=configuration)
