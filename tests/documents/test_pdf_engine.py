"""WeasyPrint reads only what the project ships, and only processes that write a PDF load it."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from mmm_events.documents.pdf_engine import NOTO_SANS, write_pdf


def test_a_pdf_is_written_with_the_shipped_fonts():
    reader = PdfReader(io.BytesIO(write_pdf("<p>Casablanca الدار البيضاء</p>")))

    fonts = {
        str(font["/BaseFont"]).split("+")[-1]
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts == {"Noto-Sans", "Noto-Sans-Arabic"}


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("http://127.0.0.1:9/logo.png", "URI uses disallowed protocol: "),
        ("file:///etc/hostname", "not a shipped font: "),
        (NOTO_SANS.with_name("other.ttf").as_uri(), "not a shipped font: "),
    ],
)
def test_any_other_address_in_a_template_stops_the_rendering(address, reason):
    with pytest.raises(FatalURLFetchingError) as caught:
        write_pdf(f'<img src="{address}" alt="">')

    assert str(caught.value.__cause__) == reason + address


def test_starting_the_application_does_not_load_weasyprint():
    # Every web worker, mail worker and command starts the application: WeasyPrint's import
    # (about half a second of CPU) waits for the first PDF.
    script = (
        "import sys; from mmm_events import create_app; "
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x', "
        "'TESTING': True}); print(sorted(m for m in sys.modules if m.startswith('weasyprint')))"
    )

    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout

    assert shown.strip() == "[]"
