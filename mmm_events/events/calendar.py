"""Calendar files (RFC 5545) for events, attached to emails and offered for download."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app
from icalendar import Calendar, Timezone, vText
from icalendar import Event as CalendarEvent

from ..content import localized
from ..models import Event, utcnow


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
) -> bytes:
    """The event as an iCalendar file, with its times in its own zone (and that zone's
    definition, VTIMEZONE, so that calendars without a zone database agree).

    Its texts are in ``language`` where written, else in the event's main language.
    """
    language = language or event.main_language
    title, title_lang = localized(event, "title", language)
    calendar = Calendar()
    calendar.add("prodid", "-//Make Mothers Matter//mmm-events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")

    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    entry.add("dtstamp", stamp or utcnow())
    entry.add("dtstart", event.local_start)
    entry.add("dtend", event.local_end)
    entry.add("summary", title, parameters={"LANGUAGE": title_lang})
    venue = localized(event, "venue", language)[0]
    location = ", ".join(part for part in (venue, event.city, event.country) if part)
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


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> bytes:
    """A zone's VTIMEZONE block. Working out decades of transitions costs more than the rest
    of a registration, and the answer only changes with the zone database, so once per zone."""
    return Timezone.from_tzid(tzid).to_ical()
