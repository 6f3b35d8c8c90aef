"""Calendar files (RFC 5545) for events, attached to emails and offered for download.

Every file about an event carries the same UID (``event_uid``), whichever email or page it
came from, so a calendar keeps one entry for it: a later file replaces it, and a cancellation
(``METHOD:CANCEL``) removes it. A calendar applies a file only if its SEQUENCE is higher than
the one it has. The sequence is the time of the latest change to the event or to the
registration, counted in seconds since ``SEQUENCE_EPOCH``: it grows with every change without
a counter column to keep in step, and every file written after a change carries it, whichever
process wrote it. (Counted from 2024, it stays within the 32-bit integer some calendars use
until 2092.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from flask import current_app
from icalendar import Calendar, Timezone, vText
from icalendar import Event as CalendarEvent

from ..content import localized
from ..models import Event, Registration, utcnow

SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def event_uid(event: Event) -> str:
    """The same for every file about this event, so calendars update it instead of adding
    a second copy."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "mmm-events.invalid"
    return f"event-{event.id}@{domain}"


def event_ics(
    event: Event,
    *,
    url: str | None = None,
    description: str | None = None,
    stamp: datetime | None = None,
    language: str | None = None,
    sequence: int = 0,
    cancelled: bool = False,
) -> bytes:
    """The event as an iCalendar file, with its times in its own zone (and that zone's
    definition, VTIMEZONE, so that calendars without a zone database agree).

    Its texts are in ``language`` where written, else in the event's main language. With
    ``cancelled`` it is a cancellation, which removes the entry from the person's calendar.
    """
    language = language or event.main_language
    title, title_lang = localized(event, "title", language)
    calendar = Calendar()
    calendar.add("prodid", "-//Make Mothers Matter//mmm-events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    calendar.add("calscale", "GREGORIAN")

    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    entry.add("dtstamp", stamp or utcnow())
    entry.add("sequence", sequence)
    if cancelled:
        entry.add("status", "CANCELLED")
    entry.add("dtstart", event.local_start)
    entry.add("dtend", event.local_end)
    entry.add("summary", title, parameters={"LANGUAGE": title_lang})
    place = (localized(event, field, language)[0] for field in ("venue", "city", "country"))
    # Arabic has its own comma, and a Latin one between Arabic words scrambles the line.
    location = ("، " if language == "ar" else ", ").join(part for part in place if part)
    if location:
        entry.add("location", vText(location))
    text = description if description is not None else localized(event, "summary", language)[0]
    if url:
        entry.add("url", url)
        text = f"{text}\n\n{url}" if text else url
    if text:
        entry.add("description", text)
    if event.contact_email:
        entry.add("organizer", f"mailto:{event.contact_email}")
    calendar.add_component(entry)
    # The zone's definition goes before the event that refers to it.
    body = calendar.to_ical()
    position = body.index(b"BEGIN:VEVENT")
    return body[:position] + _vtimezone(event.timezone) + body[position:]


def change_sequence(*moments: datetime | None) -> int:
    """The SEQUENCE of a file written after the latest of ``moments`` (see the module's
    docstring)."""
    latest = max(moment for moment in moments if moment is not None)
    return max(0, int((latest - SEQUENCE_EPOCH).total_seconds()))


def registration_ics(registration: Registration, *, url: str, cancelled: bool = False) -> bytes:
    """The calendar file of one person's registration, in their language."""
    event = registration.event
    return event_ics(
        event,
        url=url,
        language=registration.language.value,
        sequence=change_sequence(
            event.updated_at, registration.updated_at, registration.cancelled_at
        ),
        cancelled=cancelled,
    )


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> bytes:
    """A zone's VTIMEZONE block. Working out decades of transitions costs more than the rest
    of a registration, and the answer only changes with the zone database, so once per zone."""
    return Timezone.from_tzid(tzid).to_ical()
