"""PDF libraries compared on 1,000 badges (A4 sheets of eight, with QR codes, half the names
in Arabic): WeasyPrint through the application's own renderer, and fpdf2 with uharfbuzz
drawing the same badge. Each runs in a process of its own, so that its peak memory is its
own; the figures are kept in bench/README.md ("PDF documents").

    .venv/bin/python -m bench pdf
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

BADGES = 1000


def people(count: int) -> list[tuple[str, str, str, str]]:
    """Name, organisation, country, check-in address: every other person has an Arabic name."""
    rows = []
    for i in range(count):
        if i % 2:
            name, organisation = f"فاطمة الزهراء بن علي {i}", "جمعية الأمهات المغربيات"
        else:
            name, organisation = f"Amélie-Éloïse Dupré {i}", "Make Mothers Matter"
        url = f"https://events.example.org/organiser/check-in/{i:043d}"
        rows.append((name, organisation, "Maroc", url))
    return rows


def weasyprint_badges() -> Callable[[], bytes]:
    from mmm_events import create_app
    from mmm_events.documents.badges import Badge, band_colour, render_badges

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def render() -> bytes:
        badges = [
            Badge(name, organisation, country, "Speaker", band_colour("Speaker"), url)
            for name, organisation, country, url in people(BADGES)
        ]
        with app.test_request_context():
            return render_badges("Mothers for Peace", "#Mothers4Peace", badges, "sheet", "en")

    return render


def fpdf2_badges() -> Callable[[], bytes]:
    import fontpkg_noto_sans
    import fontpkg_noto_sans_arabic
    import segno
    from fpdf import FPDF

    return lambda: _fpdf2_badges(FPDF, fontpkg_noto_sans, fontpkg_noto_sans_arabic, segno)


def _fpdf2_badges(FPDF, fontpkg_noto_sans, fontpkg_noto_sans_arabic, segno) -> bytes:  # noqa: N803
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_font("Noto Sans", "", str(fontpkg_noto_sans.ROOT / "files/NotoSans[wdth,wght].ttf"))
    arabic = fontpkg_noto_sans_arabic.ROOT / "files/NotoSansArabic[wdth,wght].ttf"
    pdf.add_font("Noto Sans Arabic", "", str(arabic))
    pdf.set_fallback_fonts(["Noto Sans Arabic"])
    pdf.set_text_shaping(True)
    for i, (name, organisation, country, url) in enumerate(people(BADGES)):
        if i % 8 == 0:
            pdf.add_page()
        x, y = 15 + (i % 2) * 90, 38.5 + ((i % 8) // 2) * 55
        pdf.set_fill_color(244, 182, 194)
        pdf.rect(x, y, 90, 9, style="F")
        pdf.set_font("Noto Sans", size=11)
        pdf.set_xy(x, y)
        pdf.cell(90, 9, "Speaker", align="C")
        pdf.set_font_size(19)
        pdf.set_xy(x + 4, y + 12)
        pdf.cell(56, 9, name)
        pdf.set_font_size(10)
        for line, text in enumerate((organisation, country)):
            pdf.set_xy(x + 4, y + 22 + line * 5)
            pdf.cell(56, 5, text)
        pdf.set_font_size(8)
        pdf.set_xy(x + 4, y + 44)
        pdf.cell(56, 4, "Mothers for Peace #Mothers4Peace")
        # The QR code as one image: drawing each module as a rectangle took four times longer.
        pdf.image(segno.make(url, error="m", micro=False).png_data_uri(scale=4), x + 62, y + 27, 25)
    return bytes(pdf.output())


CANDIDATES = {"weasyprint": weasyprint_badges, "fpdf2": fpdf2_badges}


def measure(name: str) -> dict:
    """Run one candidate in this process: its start (imports, and the app for WeasyPrint, as
    a running server has them already), then the badges the organiser waits for: their wall
    time, CPU time, and the process's peak memory."""
    start_cpu = time.process_time()
    render = CANDIDATES[name]()
    start_cpu = time.process_time() - start_cpu
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = render()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "library": name,
        "start_cpu_seconds": round(start_cpu, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "peak_mb": usage.ru_maxrss // 1024,
        "pdf_kb": len(pdf) // 1024,
    }


def main() -> None:
    print(f"{BADGES} badges, A4 sheets of eight; each library in a process of its own")
    print("(start: imports and the app, which a running server has done already; then the badges)")
    print(f"{'library':<12}{'start CPU s':>12}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'PDF kB':>8}")
    for name in CANDIDATES:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_pdf", name],
            check=True, capture_output=True, text=True,
        ).stdout
        r = json.loads(out.splitlines()[-1])
        row = (f"{r['start_cpu_seconds']:>12}{r['seconds']:>8}{r['cpu_seconds']:>8}"
               f"{r['peak_mb']:>9}{r['pdf_kb']:>8}")
        print(f"{r['library']:<12}{row}", flush=True)


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
