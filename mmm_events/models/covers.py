"""An event's cover image: the sizes made from the organiser's upload.

The files live in the database, not on a server's disk: several web servers behind a load
balancer then all serve every size, with no shared folder to set up (as ``PendingImport``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import UTCDateTime, utcnow


class CoverImage(db.Model):
    """One size of an event's cover, cleaned of its metadata; ``name`` is its address."""

    __tablename__ = "cover_image"
    __table_args__ = (UniqueConstraint("event_id", "width", name="uq_cover_image_event_width"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # "<sha256 of the bytes>-<width>.jpg": a new file gets a new address, so browsers and
    # proxies may keep one for a year. A duplicated event shares its original's names.
    name: Mapped[str] = mapped_column(String(100), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(40))
    # Read only by the view that serves the file, never with the event on every page.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PendingCover(db.Model):
    """One size of a cover sent with an event form that came back with an error (a missing
    description, a wrong date): kept, cleaned like a saved cover, so that the organiser need
    not choose the file again. The form carries the ``token``, bound to the organiser who
    sent it; the rows go when the event is saved, or after ``expires_at``."""

    __tablename__ = "pending_cover"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
