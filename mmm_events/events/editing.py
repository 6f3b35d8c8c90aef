"""Editing events: the rules for saving, publishing, deleting and assigning organisers.

The organiser area's views call these with validated form data, then commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import _, ngettext
from sqlalchemy import delete, insert, select, update

from ..extensions import db
from ..models import Event, User, event_organiser
from ..models.texts import CONTENT_LANGUAGES
from ..registrations.emails import queue_event_changed
from ..slugs import slug_taken, unique_slug
from ..text import slugify
from .covers import CoverSize, remove_cover, set_cover

# Form fields copied onto the model as they are; the datetimes are converted first.
PLAIN_FIELDS = (
    "hashtag", "timezone", "contact_email", "invite_only", "is_published",
    "main_language", "invitation_admits", "invitation_guests", "confirm_email",
    "requires_approval", "visa_letters", "visa_covers_costs", "visa_signatory_name",
    "passport_data_days",
)
# The texts written per language, in ``data["texts"][language]``.
TEXT_FIELDS = (
    "title", "summary", "description", "venue", "city", "country", "invitation_subject",
    "invitation_message", "cover_alt", "visa_signatory_role",
)
LOCAL_DATETIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class EventError(ValueError):
    """The event cannot be saved as given: ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed by an organiser, read in the event's time zone."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def save_event(
    event: Event | None,
    data: dict[str, Any],
    *,
    creator: User,
    cover: list[CoverSize] | None = None,
) -> Event:
    """Create (``event`` None) or update an event from validated form data.

    ``data`` holds the form's values, datetimes as naive wall-clock times in
    ``data["timezone"]``, the texts as ``data["texts"][language][field]``; ``cover`` the sizes
    of a new cover image (``covers.read_cover``), and ``data["remove_cover"]`` asks to remove
    the one it has. Raises EventError, with nothing changed, when a rule is broken.
    """
    # Longer than most: creating and editing share every check, and all of them run before
    # the first write, so that a refusal changes nothing.
    main_language = data["main_language"]
    if not (data["texts"].get(main_language) or {}).get("title"):
        raise EventError(
            f"title_{main_language}", _("Please give the title in the main language.")
        )
    zone = data["timezone"]
    moments = {name: to_utc(data.get(name), zone) for name in LOCAL_DATETIMES}
    if moments["ends_at"] <= moments["starts_at"]:
        raise EventError("ends_at", _("The end must be after the start."))
    opens, closes = moments["registration_opens_at"], moments["registration_closes_at"]
    if opens and closes and closes <= opens:
        raise EventError(
            "registration_closes_at", _("Registration must close after it opens.")
        )
    capacity = data["capacity"]
    if capacity < 0:
        raise EventError("capacity", _("The number of seats cannot be negative."))
    if data["is_published"] and not (event and event.is_published):
        _refuse_to_publish_full(capacity, event.seats_taken if event else 0)
    slug = _slug_for(event, data)
    removing = bool(data.get("remove_cover")) and cover is None
    _require_cover_alt(data, has_cover=cover is not None or (
        event is not None and bool(event.cover_images) and not removing))

    if event is None:
        event = Event(capacity=capacity, seats_taken=0)
        if not creator.is_admin:
            event.organisers.append(creator)
        db.session.add(event)
    else:
        # Checked and written in one statement, so that a registration arriving meanwhile
        # cannot leave more confirmed people than seats.
        changed = db.session.execute(
            update(Event)
            .where(Event.id == event.id, Event.seats_taken <= capacity)
            .values(capacity=capacity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            db.session.refresh(event)
            raise EventError(
                "capacity",
                ngettext(
                    "%(num)d person is already confirmed, so the event needs at least "
                    "%(num)d seat. Cancel registrations first to reduce it.",
                    "%(num)d people are already confirmed, so the event needs at least "
                    "%(num)d seats. Cancel registrations first to reduce it.",
                    event.seats_taken,
                ),
            )
        db.session.refresh(event, ["capacity"])
    rescheduled = event.id is not None and event.is_published and (
        (event.starts_at, event.ends_at) != (moments["starts_at"], moments["ends_at"])
    )
    for name in PLAIN_FIELDS:
        setattr(event, name, data[name] if data[name] is not None else "")
    for name, value in moments.items():
        setattr(event, name, value)
    write_texts(event, data["texts"], TEXT_FIELDS)
    # The event's own copy of the main language's place and signatory's role (models.events).
    main_text = event.text_in(event.main_language)
    event.city, event.country = main_text.city, main_text.country
    event.visa_signatory_role = main_text.visa_signatory_role
    event.slug = slug
    if cover is not None:
        set_cover(event, cover)
    elif removing:
        remove_cover(event)
    db.session.flush()
    if rescheduled:
        queue_event_changed(event)
    return event


def _require_cover_alt(data: dict[str, Any], *, has_cover: bool) -> None:
    """A cover is described in the main language at least, for people who cannot see it
    (screen readers, images turned off in an email)."""
    main_language = data["main_language"]
    if has_cover and not (data["texts"].get(main_language) or {}).get("cover_alt"):
        raise EventError(
            f"cover_alt_{main_language}",
            _("Please say what the cover image shows, in the main language at least, for "
              "people who cannot see it."),
        )


def _refuse_to_publish_full(capacity: int, seats_taken: int) -> None:
    """An event going live with no free seat would put every newcomer on the waiting list;
    the form says so rather than publish it silently (the event page's Publish button asks
    for a confirmation instead, see ``publishing_fills_waiting_list``)."""
    if capacity <= seats_taken:
        raise EventError(
            "is_published",
            _(
                "This event has no free seat, so everyone who registers would join the "
                "waiting list. Give it more seats, or save it as a draft and publish it from "
                "its page."
            ),
        )


def publishing_fills_waiting_list(event: Event) -> bool:
    """Publishing ``event`` now would send every newcomer to the waiting list."""
    return not event.is_published and event.seats_left == 0


def _slug_for(event: Event | None, data: dict[str, Any]) -> str:
    """The address the organiser typed, if free; else one made from the title."""
    own_id = event.id if event is not None else None
    if data.get("slug"):
        if slug_taken(Event, data["slug"], own_id=own_id):
            raise EventError("slug", _("Another event already uses this web address."))
        return data["slug"]
    title = data["texts"][data["main_language"]]["title"]
    return unique_slug(Event, slugify(title), own_id=own_id)


def write_texts(content: Any, texts: dict[str, dict[str, Any]], fields: tuple[str, ...]) -> None:
    """Store an event's or a post's texts per language; a language left wholly empty keeps
    no row, so that readers get the main language's."""
    for language in CONTENT_LANGUAGES:
        values = {name: (texts.get(language) or {}).get(name) or "" for name in fields}
        if any(values.values()):
            text = content.text_in(language)
            for name, value in values.items():
                setattr(text, name, value)
        elif language in content.texts:
            del content.texts[language]


def set_published(event: Event, published: bool) -> None:
    event.is_published = published


def delete_event(event: Event) -> None:
    """Remove the event with its registrations (the database cascades)."""
    db.session.delete(event)


def assign_organisers(event: Event, user_ids: list[int]) -> None:
    wanted = set(
        db.session.scalars(select(User.id).where(User.id.in_(user_ids))) if user_ids else []
    )
    db.session.execute(delete(event_organiser).where(event_organiser.c.event_id == event.id))
    if wanted:
        db.session.execute(
            insert(event_organiser), [{"event_id": event.id, "user_id": u} for u in wanted]
        )
    db.session.expire(event, ["organisers"])
