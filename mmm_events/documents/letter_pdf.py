"""The visa invitation letter as a PDF, in the person's language (English, French or Arabic,
right to left), on the organisation's letterhead (LETTERHEAD_NAME, LETTERHEAD_ADDRESS,
LETTERHEAD_LOGO), with its reference, its verification link and that link's QR code."""

from __future__ import annotations

import base64
import mimetypes
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup

from ..content import localized
from ..models import VisaLetter
from ..questions.countries import country_name
from .issued import verification_url
from .pdf import qr_image, render_pdf


@cache
def _logo_uri(path: str) -> str:
    """The logo as a ``data:`` address: the PDF renderer fetches no file but the fonts."""
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:{kind};base64,{data}"


def letterhead() -> dict:
    config = current_app.config
    logo = config["LETTERHEAD_LOGO"]
    return {
        "name": config["LETTERHEAD_NAME"],
        "address_lines": [
            line.strip()
            for line in config["LETTERHEAD_ADDRESS"].replace(" | ", "\n").splitlines()
            if line.strip()
        ],
        "logo": Markup('<img class="logo" alt="" src="{}">').format(_logo_uri(logo))
        if logo else "",
    }


def letter_filename(letter: VisaLetter) -> str:
    return f"visa-letter-{letter.document.reference}.pdf"


def render_letter(letter: VisaLetter, language: str | None = None) -> bytes:
    """The issued letter in ``language`` (by default the one it was issued in)."""
    document = letter.document
    event = letter.event
    language = language or document.language
    url = verification_url(document)
    texts = {name: localized(event, name, language)[0]
             for name in ("title", "summary", "venue", "city", "country", "visa_signatory_role")}
    with force_locale(language):
        return render_pdf(
            "documents/pdf/visa_letter.html",
            letter=letter,
            document=document,
            event=event,
            language=language,
            texts=texts,
            nationality=country_name(letter.nationality, language),
            letterhead=letterhead(),
            verification_url=url,
            qr=qr_image(url),
        )
