"""Events: the conferences MMM invites people to."""

from __future__ import annotations

import enum
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisers: Mapped[list[User]] = relationship(
        secondary=event_organiser, back_populates="events"
    )
    # Loaded with the event: nearly every page and email shows some of its text.
    texts: Mapped[dict[str, EventText]] = relationship(
        collection_class=attribute_keyed_dict("language"),
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    title = MainLanguageText()
    summary = MainLanguageText()
    description = MainLanguageText()
    description_html = MainLanguageText()
    venue = MainLanguageText()
    invitation_subject = MainLanguageText()
    invitation_message = MainLanguageText()

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"

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
    # The organiser's own wording for invitations; empty means the standard text.
    invitation_subject: Mapped[str] = mapped_column(String(200), default="")
    invitation_message: Mapped[str] = mapped_column(Text, default="")

    @validates("description")
    def _render_description(self, _key: str, source: str) -> str:
        self.description_html = str(render_markdown(source))
        return source
