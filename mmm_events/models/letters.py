"""Visa invitation letters: a registrant's request, with the passport details it needs, and
the organisers' decision, and the letter issued (an ``IssuedDocument`` of kind
"visa_letter": its reference, verification link, printed name and revocation).

The passport details are kept in this table only, apart from the registration, so that no
list, export or email of registrations can carry them by accident; they are emptied
``Event.passport_data_days`` after the event (``documents.letters.purge_passport_data``), while
the issued document keeps the letter verifiable by its reference and name.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import clean_name
from ._base import UTCDateTime, utcnow
from .registrations import _enum

if TYPE_CHECKING:
    from .documents import IssuedDocument
    from .events import Event
    from .registrations import Registration


class LetterStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class VisaLetter(db.Model):
    __tablename__ = "visa_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One request per registration: asking again changes the request that waits.
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # The passport details: sensitive, emptied after the event (``passport_purged_at``).
    passport_name: Mapped[str] = mapped_column(String(200), default="")
    nationality: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166 code
    birth_date: Mapped[date | None] = mapped_column(Date)
    passport_number: Mapped[str] = mapped_column(String(40), default="")
    passport_expires_on: Mapped[date | None] = mapped_column(Date)
    passport_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[LetterStatus] = mapped_column(
        _enum(LetterStatus), default=LetterStatus.REQUESTED
    )
    # The organisers' words to the person when declining (optional).
    decline_message: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The letter as issued on approval: its reference, verification link and printed name
    # (which outlive the passport details), and its revocation.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("issued_document.id", ondelete="SET NULL")
    )

    registration: Mapped[Registration] = relationship()
    event: Mapped[Event] = relationship()
    document: Mapped[IssuedDocument | None] = relationship()

    def __repr__(self) -> str:
        return f"<VisaLetter {self.id} {self.status.value}>"

    @validates("passport_name")
    def _clean_name(self, _key: str, value: str) -> str:
        return clean_name(value)

    @property
    def has_passport_data(self) -> bool:
        return self.passport_purged_at is None and bool(self.passport_number)

    @property
    def state(self) -> str:
        """"requested", "approved" or "declined"; an approved letter's document may since
        have been "revoked" by an organiser or "withdrawn" by its holder's erasure."""
        document = self.document
        if self.status is LetterStatus.APPROVED and document is not None:
            if document.withdrawn:
                return "withdrawn"
            if document.revoked_at is not None:
                return "revoked"
        return self.status.value

    @property
    def in_force(self) -> bool:
        """Issued, and neither revoked nor withdrawn."""
        return self.state == LetterStatus.APPROVED.value
