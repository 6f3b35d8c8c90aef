"""Events: the conferences MMM invites people to."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship, validates

from ..extensions import db
from ..text import render_markdown
from ._base import UTCDateTime, utcnow
from .covers import CoverImage
from .texts import DEFAULT_LANGUAGE, MainLanguageText, WrittenInLanguages, language_check

if TYPE_CHECKING:
    from .users import User

event_organiser = Table(
    "event_organiser",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class InvitationAdmits(enum.StrEnum):
    """Whom an invitation to an invite-only event lets register."""

    OWN_ADDRESS = "own_address"  # only the address it was sent to
    ANYONE_ONCE = "anyone_once"  # one person, whatever the address
    GUESTS = "guests"  # its address, and up to ``invitation_guests`` other people


class Event(WrittenInLanguages, db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        # The last line of defence against overbooking, beneath the conditional UPDATE.
        CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("invitation_guests >= 0", name="invitation_guests_not_negative"),
        language_check("main_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # The language that must be written, and that visitors get where theirs is not.
    main_language: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    hashtag: Mapped[str] = mapped_column(String(80), default="")
    # The main language's city and country: each language's are in ``texts``, and setting
    # these writes the main language's there too (``_copy_to_main_text``).
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    # IANA name, e.g. "Africa/Casablanca": times are stored in UTC and shown in this zone.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    # Registrations holding a seat: confirmed, and pending (a seat held until the address is
    # confirmed); changed only by conditional UPDATEs (see registrations.seats).
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    invite_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # Whom one invitation admits to an invite-only event (see InvitationAdmits), and, for
    # "guests", how many people besides the invitee.
    invitation_admits: Mapped[InvitationAdmits] = mapped_column(
        Enum(
            InvitationAdmits,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=InvitationAdmits.OWN_ADDRESS,
        server_default=InvitationAdmits.OWN_ADDRESS.value,
    )
    invitation_guests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Double opt-in: a registration holds its seat (or its place in the queue) only until
    # the person follows the link emailed to the address (RSVP_HOLD_MINUTES).
    confirm_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Registrations wait as PENDING_APPROVAL, holding no seat, until an organiser approves or
    # declines each (``registrations.approval``).
    requires_approval: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0"
    )
    # After this moment people can no longer change their answers to the event's questions.
    answers_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Answers to questions marked sensitive are deleted this many days after the event.
    sensitive_answer_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Visa invitation letters (``documents.letters``): whether people may ask for one, whether
    # the letter says the organisation covers their costs, who signs it, and how many days
    # after the event the passport details given for it are deleted.
    visa_letters: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    visa_covers_costs: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    visa_signatory_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The main language's wording of the signatory's role; each language's is in ``texts``,
    # as for the city (``_copy_to_main_text``).
    visa_signatory_role: Mapped[str] = mapped_column(String(200), default="", server_default="")
    passport_data_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Grows whenever what the public page shows of the event changes: the event, its texts,
    # its questions and their options (``content_version.py``); the page is kept rendered
    # per version. It starts at a random number, so that an id given again (SQLite gives
    # the highest id again once its event is deleted) never finds another event's page.
    content_version: Mapped[int] = mapped_column(
        Integer, default=lambda: secrets.randbits(30), server_default="0"
    )

    organisers: Mapped[list[User]] = relationship(
        secondary=event_organiser, back_populates="events"
    )
    # Loaded with the event: nearly every page and email shows some of its text.
    texts: Mapped[dict[str, EventText]] = relationship(
        collection_class=attribute_keyed_dict("language"),
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    # The sizes of the cover image, smallest first; empty when there is none. Loaded when a
    # page shows it (the lists load them for all their cards at once: events/services.py),
    # not with every event an RSVP or an organiser page reads.
    cover_images: Mapped[list[CoverImage]] = relationship(
        order_by=CoverImage.width,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    title = MainLanguageText()
    summary = MainLanguageText()
    description = MainLanguageText()
    description_html = MainLanguageText()
    venue = MainLanguageText()
    invitation_subject = MainLanguageText()
    invitation_message = MainLanguageText()
    cover_alt = MainLanguageText()

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

    @validates("city", "country", "visa_signatory_role")
    def _copy_to_main_text(self, key: str, value: str) -> str:
        setattr(self.text_in(self.main_language or DEFAULT_LANGUAGE), key, value)
        return value

    def text_in(self, language: str) -> EventText:
        """The texts in ``language``, created empty when there are none yet."""
        if language not in self.texts:
            self.texts[language] = EventText(language=language)
        return self.texts[language]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def days(self) -> list[date]:
        """The calendar days the event covers, in its own time zone."""
        first, last = self.local_start.date(), self.local_end.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    def registration_state(self, now: datetime) -> str:
        """One of "draft", "not_open", "open", "closed" at the moment ``now``."""
        if not self.is_published:
            return "draft"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_open"
        closes = self.registration_closes_at or self.ends_at
        if now >= closes:
            return "closed"
        return "open"


class EventText(db.Model):
    """An event's texts in one language. Only the main language's title must be written."""

    __tablename__ = "event_text"
    __table_args__ = (
        UniqueConstraint("event_id", "language", name="uq_event_text_event_language"),
        language_check("language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The description as safe HTML, rendered whenever the Markdown is set: rendering it on
    # every view cost a fifth of the event page's time.
    description_html: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120), default="", server_default="")
    country: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # The organiser's own wording for invitations; empty means the standard text.
    invitation_subject: Mapped[str] = mapped_column(String(200), default="")
    invitation_message: Mapped[str] = mapped_column(Text, default="")
    # What the cover image shows, for people who cannot see it.
    cover_alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The role printed under the signatory's name on visa letters in this language.
    visa_signatory_role: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )

    @validates("description")
    def _render_description(self, _key: str, source: str) -> str:
        self.description_html = str(render_markdown(source))
        return source
