"""PDFs from HTML templates.

WeasyPrint makes them, chosen by measurement over fpdf2 with uharfbuzz (bench/README.md,
"PDF documents"): it was faster on 1,000 badges and its text extracts with Arabic in logical
order, where fpdf2's came out in visual order. It shapes through Pango and HarfBuzz, and
embeds only the fonts the project installs from PyPI (Noto Sans and Noto Sans Arabic, OFL):
nothing is fetched while rendering, and any other address in a template is refused
(``pdf_engine.py``).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable

from flask import render_template
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from ..registrations.ticket import check_in_qr, symbol_png


def render_pdf(template: str, **context) -> bytes:
    """Render ``templates/<template>`` with ``context`` and return it as PDF bytes."""
    from .pdf_engine import write_pdf  # on the first PDF: see pdf_engine.py

    return write_pdf(render_template(template, **context))


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
    correction M): a PNG of one pixel per module, scaled up by the template without
    smoothing (``image-rendering: pixelated``), so it prints sharp at any size. A PNG rather
    than an SVG: WeasyPrint's SVG paths took three quarters of a badge's time."""
    png = symbol_png(check_in_qr(text), pixels_per_module=1)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return Markup(f'<img class="qr" alt="" src="{uri}">')  # noqa: S704 - base64 only
