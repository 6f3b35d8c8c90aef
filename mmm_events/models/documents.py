"""Documents the service issues to a person (a certificate of attendance, a visa invitation
letter), each verifiable by anyone holding its link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import clean_name
from ._base import UTCDateTime, new_token, utcnow
from .events import Event

# The kinds of document, as stored: a plain string checked here rather than a database enum,
# so that a new kind needs no migration.
DOCUMENT_KINDS = ("certificate", "visa_letter")


class IssuedDocument(db.Model):
    """One document as it was issued: its reference and the name it printed stay after the
    registration's personal data is anonymised, so that whoever holds the paper can still
    check it. A person's erasure withdraws it (``withdrawn``) and empties the name."""

    __tablename__ = "issued_document"
    __table_args__ = (
        # One document of a kind in force per registration: two simultaneous first downloads
        # issue one certificate. A revoked one leaves room for its replacement.
        Index(
            "uq_issued_document_in_force",
            "registration_id", "kind",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_issued_document_event_kind", "event_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Printed on the document and read out over the phone: "MMM-2027-4F7K2Q".
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # The secret of the verification link (the QR code on the paper).
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    # The name as printed on the document.
    holder_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Withdrawn when the holder's data was erased: the verification page no longer names them.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # When the organisers' "email every certificate" queued this one's email: once each.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship()

    def __repr__(self) -> str:
        return f"<IssuedDocument {self.reference} {self.kind}>"

    @validates("kind")
    def _known_kind(self, _key: str, value: str) -> str:
        if value not in DOCUMENT_KINDS:
            raise ValueError(f"unknown kind of document {value!r}")
        return value

    @validates("holder_name")
    def _clean_name(self, _key: str, value: str) -> str:
        return clean_name(value)
