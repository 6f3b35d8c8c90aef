"""The outbox: every email, written in the transaction that caused it, delivered by the worker."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import UTCDateTime, utcnow
from .registrations import _enum

if TYPE_CHECKING:
    from .events import Event
    from .invitations import Invitation
    from .registrations import Registration


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # What the worker asks for on every poll: the first due rows, in order, read from the
        # index without sorting the whole queue.
        Index("ix_outbox_message_status_next_attempt_id", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable Message-ID, so that a message retried after a crash is recognisable downstream.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    # The person's name, written as the display name of the To: header (any script: the
    # email library encodes it); the envelope carries the bare address.
    recipient_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    # [{"filename", "content_type", "data" (base64)}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    # Extra headers, e.g. List-Unsubscribe.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Set for an email the worker renders itself (a bulk send queues thousands of rows without
    # rendering them in the request): {"renderer": name, ...its arguments}. Null once rendered,
    # when subject, bodies, attachments and headers hold the email.
    render: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a worker claims the row; a row left "sending" past its lease was claimed by a
    # worker that died, and is due again.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # X-Request-ID of the request that queued it, so that the worker's log joins the web's.
    request_id: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )
    # What the email is about, for the worker's renderers, which load them for a whole batch
    # at once (``worker.deliver_due``). Read-only: the ids above are what is written.
    event: Mapped[Event | None] = relationship(viewonly=True)
    registration: Mapped[Registration | None] = relationship(viewonly=True)
    invitation: Mapped[Invitation | None] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status.value}>"
