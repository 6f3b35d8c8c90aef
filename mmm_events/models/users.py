"""Organiser accounts, and what protects them: failed attempts, usual addresses, reset links."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, login_manager
from ..text import clean_name
from ._base import UTCDateTime, utcnow
from .events import event_organiser

if TYPE_CHECKING:
    from .events import Event


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.ORGANISER,
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every session's user id: raising it ends every session of the account (on
    # sign-out, a password change or reset, disabling), on every server at its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When the owner was last told that someone is failing to sign in: once per episode.
    sign_in_warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[Event]] = relationship(
        secondary=event_organiser, back_populates="organisers"
    )

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    @validates("name")
    def _clean_name(self, _key: str, value: str) -> str:
        # However an account is made (the admin's page, `flask users create --name`).
        return clean_name(value)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@login_manager.user_loader
def load_user(session_user_id: str) -> User | None:
    """The account a session belongs to, if it is active and the session is still current."""
    user_id, _, version = session_user_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.is_active or version != str(user.session_version):
        return None
    return user


class AttemptKind(enum.StrEnum):
    SIGN_IN = "sign-in"
    PASSWORD_RESET = "password-reset"  # noqa: S105 - a kind of attempt, not a password
    # An RSVP posted: its "account" is the event (see registrations.limits).
    RSVP = "rsvp"
    # A seat held until an address is confirmed: its "account" is the registration, its
    # address the client's network (see registrations.limits).
    HOLD = "rsvp-hold"
    # "Email me my link" asked for (see registrations.limits).
    MANAGE_LINK = "manage-link"
    # A batch of check-ins sent from the door's phone: its "account" is the organiser.
    CHECK_IN_SYNC = "check-in-sync"


class AccountAttempt(db.Model):
    """A failed sign-in (or one being checked), a request for a reset link, or an RSVP.

    Counted in the database so that the limits hold across every web process and server,
    whatever the rate-limit store (see mmm_events/attempts.py). The account (the email typed,
    whether or not it has an account; for an RSVP, the event) and the client address are kept
    as keyed hashes; rows are pruned once no limit looks back that far.
    """

    __tablename__ = "account_attempt"
    __table_args__ = (
        Index("ix_account_attempt_kind_account_at", "kind", "account_digest", "at"),
        Index("ix_account_attempt_kind_address_at", "kind", "address_digest", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AttemptKind] = mapped_column(
        Enum(
            AttemptKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    account_digest: Mapped[str] = mapped_column(String(64))
    address_digest: Mapped[str] = mapped_column(String(64))


class UsualAddress(db.Model):
    """A client address an account signed in from successfully (a keyed hash, not the address).

    Failures from other addresses do not make the owner wait there.
    """

    __tablename__ = "usual_address"
    __table_args__ = (UniqueConstraint("user_id", "address_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    address_digest: Mapped[str] = mapped_column(String(64))
    last_signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):
    """A reset link sent by email: only a hash of its token is kept; used once, then never.

    It belongs to the account's sessions of the moment it was issued (``session_version``):
    whatever ends them all (switching the account off, a new password, signing out) ends it
    too, and switching the account back on does not bring it back.
    """

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 0: issued by a release before the column existed; no account has that version.
    session_version: Mapped[int] = mapped_column(Integer, server_default="0")
