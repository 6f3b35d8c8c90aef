"""The printed door list of one day: everyone with a seat that day, sorted as readers of the
organiser's language expect, for when the phones fail at the door."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import exists, select

from ..extensions import db
from ..models import HOLDS_SEAT, Event, Registration, RegistrationDay
from .pdf import render_pdf


@dataclass(frozen=True)
class DoorListRow:
    name: str
    organisation: str
    country: str


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" for c in text)


def collation_key(name: str, language: str) -> tuple:
    """A sort key for ``name``: letters compared without their accents or Arabic vowel
    marks and hamza seats (é with e, أ and إ with ا), then case; names in the reader's own
    script first (Arabic for Arabic readers, Latin for the others). Python's own comparison
    would put "Élodie" after "Zoé" and every Arabic name after every Latin one."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    other_script = _is_arabic(name) != (language == "ar")
    return (other_script, " ".join(bare.split()), name)


def door_list(event: Event, day: date, language: str) -> list[DoorListRow]:
    """Everyone holding a seat on ``day`` (every registration names its days, the only day
    of a one-day event included); the waiting list and the cancelled are left out."""
    query = select(Registration.full_name, Registration.organisation, Registration.country).where(
        Registration.event_id == event.id,
        Registration.status.in_(HOLDS_SEAT),
        exists().where(
            RegistrationDay.registration_id == Registration.id, RegistrationDay.day == day
        ),
    )
    rows = [DoorListRow(*row) for row in db.session.execute(query)]
    return sorted(rows, key=lambda row: collation_key(row.name, language))


def page_counter_css() -> Markup:
    """CSS ``content`` saying "Page 2 of 7" in the reader's language, with the page counters
    where the translation puts the numbers."""
    text = _("Page %(number)s of %(total)s", number="\x00", total="\x01")
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Markup(  # noqa: S704 - a CSS string, quoted and escaped above
        quoted.replace("\x00", '" counter(page) "').replace("\x01", '" counter(pages) "')
    )


def render_door_list(event: Event, title: str, day: date, language: str) -> bytes:
    rows = door_list(event, day, language)
    return render_pdf(
        "documents/pdf/door_list.html", event=event, title=title, day=day, rows=rows,
        language=language, page_counter=page_counter_css(),
    )
