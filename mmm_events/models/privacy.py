"""Privacy: the notice people agree to, the proof that they did, what was erased, the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import UTCDateTime, utcnow


class PrivacyNotice(db.Model):
    """One version of the privacy notice, in every site language. Never changed once
    published: a change is a new version, so that a consent always points to the text the
    person saw."""

    __tablename__ = "privacy_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    # {"en": "...", "fr": "..."}: plain text, paragraphs separated by blank lines.
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Consent(db.Model):
    """A person agreed to a version of the notice: when registering, or answering an
    invitation. ``notice_id`` is null for the notice shipped with the application, in force
    until an administrator publishes the first version."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_notice.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The separate, optional consent to keep accessibility or dietary needs (health data).
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)


class Erasure(db.Model):
    """A registration or invitation whose personal data was erased: on request, or when its
    event's retention period ended. Its links then lead to a page that says so."""

    __tablename__ = "erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), unique=True
    )
    # "request" (the person), "admin" (an administrator, for them), "retention" (the purge).
    reason: Mapped[str] = mapped_column(String(20))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(db.Model):
    """Who did what to personal data or access, when, for which event. Written, never edited.

    ``event_id`` is a plain number, not a foreign key: the entry outlives a deleted event.
    ``subject_key`` is the keyed hash of the address the action was about (never the address),
    so that an administrator can find the entries about a person without the log holding who.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40), index=True)
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # Counts, filters, ids: what was done, without personal data.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
