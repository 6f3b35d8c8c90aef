"""Who gets a badge, and what each badge says.

An organiser prints badges for everyone with a seat, for the registrants a filter of the
list picks (``RegistrantFilter``, as the list and the exports read it), or for one person.
Only people with a seat (confirmed, or holding one while their address is confirmed) get a
badge, whatever the filter: the waiting list and the cancelled are never printed.

The coloured band shows one field the organiser picks (``BAND_FIELDS``). Answers to custom
questions are not among them yet: they arrive with the questions feature, as one more entry.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import HOLDS_SEAT, Event, Registration
from ..registrations.management import RegistrantFilter, filtered_query
from ..registrations.ticket import check_in_url
from ..web import STATUS_LABELS
from .pdf import joined, qr_image, render_pdf

LAYOUTS = ("sheet", "card")  # A4 sheets of 8 badges of 90 × 55 mm; one badge per page.

# Colours readable under black text when printed, chosen by the value's checksum so that
# every badge with the same value has the same colour in every print run.
BAND_COLOURS = ("#f4b6c2", "#b6d7f4", "#c7ecb8", "#f9e0a0", "#d9c6f2", "#f6c7a1", "#b9ece4")


BAND_FIELDS: dict[str, tuple[object, Callable[[Registration], str]]] = {
    "none": (_l("No band"), lambda registration: ""),
    "country": (_l("Country"), lambda registration: registration.country),
    "organisation": (_l("Organisation"), lambda registration: registration.organisation),
    "status": (
        _l("Registration status"),
        lambda registration: str(STATUS_LABELS[registration.status.value]),
    ),
}


@dataclass(frozen=True)
class Badge:
    name: str
    organisation: str
    country: str
    band: str
    band_colour: str
    check_in_url: str


def band_colour(value: str) -> str:
    if not value:
        return ""
    return BAND_COLOURS[zlib.crc32(value.encode()) % len(BAND_COLOURS)]


def seat_holders(event: Event, f: RegistrantFilter | None = None):
    """The query of the people with a seat in ``event`` matching ``f`` (all of them when
    ``f`` is None), in the list's order, or by name."""
    f = f or RegistrantFilter(sort="name")
    return filtered_query(event, f).where(Registration.status.in_(HOLDS_SEAT))


def badges_for(query, band_field: str) -> Iterator[Badge]:
    """One badge per registration of ``query``, read a thousand rows at a time."""
    band_of = BAND_FIELDS[band_field][1]
    for registration in db.session.scalars(query.execution_options(yield_per=1000)):
        band = band_of(registration)
        yield Badge(
            name=registration.full_name,
            organisation=registration.organisation,
            country=registration.country,
            band=band,
            band_colour=band_colour(band),
            check_in_url=check_in_url(registration.check_in_token),
        )


def one_badge_query(registration: Registration):
    """The query for a single person's badge, refused (empty) when they hold no seat."""
    return select(Registration).where(
        Registration.id == registration.id,
        Registration.status.in_(HOLDS_SEAT),
    )



def pages_of(badges: Iterator[Badge], layout: str) -> Iterator[list[Badge]]:
    """The badges in pages: eight to an A4 sheet, or one to a card."""
    per_page = 8 if layout == "sheet" else 1
    page: list[Badge] = []
    for badge in badges:
        page.append(badge)
        if len(page) == per_page:
            yield page
            page = []
    if page:
        yield page


SHEETS_PER_PART = 32


def _cut_marks_uri() -> str:
    """The cut marks of an A4 sheet (two columns of four 90 × 55 mm badges, centred) as one
    SVG, drawn as the sheet's background: one image that WeasyPrint loads once for every
    sheet, where sixteen positioned boxes a sheet were 2,000 more boxes to lay out and paint
    for 1,000 badges (about a tenth of the time)."""
    marks = [
        f'<rect x="{x - 0.1:g}" y="{y}" width="0.2" height="6"/>'
        for x in (15, 105, 195) for y in (30.5, 260.5)
    ] + [
        f'<rect x="{x}" y="{y - 0.1:g}" width="6" height="0.2"/>'
        for y in (38.5, 93.5, 148.5, 203.5, 258.5) for x in (7, 197)
    ]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        f'viewBox="0 0 210 297">{"".join(marks)}</svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


CUT_MARKS = _cut_marks_uri()


def render_badges(event_title: str, hashtag: str, badges, layout: str, language: str) -> bytes:
    """The PDF of ``badges`` in ``layout``, rendered 32 pages at a time (``joined``)."""
    pages = pages_of(iter(badges), layout)
    parts = (
        render_pdf(
            "documents/pdf/badges.html",
            title=event_title,
            hashtag=hashtag,
            pages=part,
            layout=layout,
            language=language,
            qr_image=qr_image,
            cut_marks=CUT_MARKS,
        )
        for part in iter(lambda: list(islice(pages, SHEETS_PER_PART)), [])
    )
    return joined(parts)
