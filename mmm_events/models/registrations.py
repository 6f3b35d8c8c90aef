"""Registrations (RSVPs) to events."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import clean_name
from ._base import UTCDateTime, new_token, utcnow
from .events import Event


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as the value, in a plain VARCHAR, so that adding a state needs no ALTER TYPE.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"
    # Double opt-in: the address is not confirmed yet. PENDING holds a seat (it counts in
    # ``event.seats_taken``); PENDING_WAITING will join the waiting list. Both last until
    # ``hold_expires_at``, then are cancelled and a held seat goes to the next person waiting.
    PENDING = "pending"
    PENDING_WAITING = "pending-waiting"
    # On an event that requires the organisers' approval: registered, holding no seat and not
    # on the waiting list, until an organiser approves (a seat, else the waiting list) or
    # declines. DECLINED is final: registering again with the address finds this row. Its
    # value differs from the invitations' "declined" (the invitee's answer): one label each.
    PENDING_APPROVAL = "pending-approval"
    DECLINED = "not-approved"


# The statuses that count in ``event.seats_taken``.
HOLDS_SEAT = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)


class Language(enum.StrEnum):
    EN = "en"
    FR = "fr"
    AR = "ar"


class Registration(db.Model):
    __tablename__ = "registration"
    __table_args__ = (
        # One registration per person per event, whatever the case or spacing of the email.
        UniqueConstraint("event_id", "email_normalised", name="uq_registration_event_email"),
        # The waiting list in arrival order, and the organiser's list filtered by status.
        Index("ix_registration_event_status_id", "event_id", "status", "id"),
        # The organiser's list of 100,000 sorted by any column, one page at a time, without
        # sorting the whole event; and the checked-in count without reading every row.
        Index("ix_registration_event_id_id", "event_id", "id"),
        # Sorted by name; it also holds every column a search reads, so that counting the
        # matches of a search reads this index, not the rows.
        Index(
            "ix_registration_event_name",
            "event_id", "full_name", "email_normalised", "organisation", "id",
        ),
        Index("ix_registration_event_organisation", "event_id", "organisation", "id"),
        Index("ix_registration_event_country", "event_id", "country", "id"),
        Index("ix_registration_event_checked_in", "event_id", "checked_in_at", "id"),
        # The door's list on a phone asks only for what changed since its last refresh.
        Index("ix_registration_event_updated", "event_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    # The manage link's secret: whoever holds it may see, change or cancel the registration.
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # The check-in code's secret (the QR code on the ticket): it only lets a signed-in
    # organiser check the person in, so a photographed ticket opens nothing else.
    check_in_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # Tickets emailed before the check-in code had its own secret carry the manage token in
    # their QR code; for those registrations it still checks in (and does nothing more there).
    legacy_ticket: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_normalised: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[Language] = mapped_column(_enum(Language), default=Language.EN)
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who checked the person in (the first to reach the server, from any phone).
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    # A person admitted by someone else's invitation, on an event whose invitations admit
    # guests (``invitation_id`` is the invitee's own registration). The invitation's id, with
    # no foreign key: SQLite adds one only by rebuilding the table, and dropping the old one
    # would cascade to the rows that refer to registrations. Invitations go only with their
    # event, and its registrations with it.
    guest_of_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Double opt-in: the secret of the "confirm your address" link, and the end of the hold.
    # A unique index rather than a unique constraint: SQLite adds an index without rebuilding
    # the table (a rebuild would cascade to the rows that refer to registrations).
    confirm_token: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # A new address asked for on the manage page: it replaces ``email`` only when the link
    # sent to it (its secret, ``new_email_token``) is followed before ``new_email_expires_at``,
    # so that nobody can take on an address that is not theirs.
    new_email: Mapped[str | None] = mapped_column(String(254))
    new_email_token: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    new_email_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    attendance: Mapped[list[RegistrationDay]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        order_by="RegistrationDay.day",
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status.value}>"

    @validates("full_name")
    def _clean_name(self, _key: str, value: str) -> str:
        # However the name arrives (the RSVP form, the manage page, an invitation's name).
        return clean_name(value)

    @property
    def days(self) -> list[date]:
        return [a.day for a in self.attendance]


class RegistrationDay(db.Model):
    """One day of a multi-day event that a registrant attends."""

    __tablename__ = "registration_day"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)

    registration: Mapped[Registration] = relationship(back_populates="attendance")


class CheckInReceipt(db.Model):
    """One check-in (or its undoing) made at the door, by its key: the phone makes the key
    when the scan is made, online or not, and sends it until the server answers, so that a
    check-in sent twice (a retry after a lost answer) is recorded once."""

    __tablename__ = "check_in_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    undo: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the server answered the first time: sent again unchanged to a retry.
    outcome: Mapped[str] = mapped_column(String(20))
    # When the phone made it (its own clock) and when the server recorded it.
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
