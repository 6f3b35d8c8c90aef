"""Invitations sent to invitee lists, the addresses that asked for no more, and invitee files
awaiting the organiser's confirmation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..addresses import suppression_key
from ..extensions import db
from ..text import clean_name
from ._base import UTCDateTime, new_token, utcnow
from .events import Event
from .registrations import Language, _enum


class InvitationStatus(enum.StrEnum):
    IMPORTED = "imported"
    INVITED = "invited"
    FAILED = "failed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


# Neither accepted nor revoked: the invitee may still decline (again, to change the message),
# and the organiser may still revoke. Accepting is possible from these too (a change of mind).
INVITATION_OPEN = (
    InvitationStatus.IMPORTED,
    InvitationStatus.INVITED,
    InvitationStatus.FAILED,
    InvitationStatus.DECLINED,
)

def _email_key(context) -> str:
    return suppression_key(context.get_current_parameters()["email_normalised"])


class Invitation(db.Model):
    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("event_id", "email_normalised", name="uq_invitation_event_email"),
        Index("ix_invitation_event_status_id", "event_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    # Two tokens with one purpose each: answering the invitation, and unsubscribing.
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    email: Mapped[str] = mapped_column(String(254))
    email_normalised: Mapped[str] = mapped_column(String(254))
    # The keyed hash of the address, to match the suppression list (see Suppression).
    email_key: Mapped[str] = mapped_column(String(64), index=True, default=_email_key)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[Language] = mapped_column(_enum(Language), default=Language.EN)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[InvitationStatus] = mapped_column(
        _enum(InvitationStatus), default=InvitationStatus.IMPORTED
    )
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.status.value}>"

    @validates("name")
    def _clean_name(self, _key: str, value: str) -> str:
        # However the name arrives (an imported file, the organiser's form).
        return clean_name(value)


class Suppression(db.Model):
    """An address that unsubscribed: it is never sent another invitation or reminder.

    Kept as a keyed hash only (``addresses.suppression_key``), so that a person whose data is
    erased is still never emailed again, without the list holding their address.
    """

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PendingImport(db.Model):
    """An invitee file between its report and the organiser's confirmation.

    Kept in the database, not on a server's disk, so that the confirmation may reach any of
    the web servers behind the load balancer. The random id is what the confirmation names;
    the event and the organiser bind it to the person who uploaded it.
    """

    __tablename__ = "pending_import"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
