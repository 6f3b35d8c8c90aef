"""Password reset by email: a single-use link that expires, asked for without learning
whether an address has an account."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import PasswordReset, User
from ..models._base import new_token, worth_looking_up
from . import emails, limits, services


def _hash(token: str) -> str:
    # The token is 256 random bits: a plain hash is enough, and the table alone opens nothing.
    return hashlib.sha256(token.encode()).hexdigest()


def request_link(email: str, client_address: str, *, now: datetime) -> None:
    """Email a reset link if the address has an active account; the caller commits.

    Raises limits.TooManyAttempts when this client asked too often. Too many links for one
    account are simply not sent: saying so would tell who has an account.
    """
    normalised = services.normalise_email(email)
    limits.record_reset_request(normalised, client_address, now)
    user = services.find_user(normalised)
    if user is None or not user.is_active:
        return
    amount, period = limits.account_reset_limit()
    recent = db.session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.created_at > now - period)
    )
    if recent >= amount:
        return
    send_link(user, now=now)


def send_link(user: User, *, now: datetime) -> None:
    """Issue a reset link for the account and queue the email carrying it."""
    db.session.execute(
        delete(PasswordReset).where(PasswordReset.expires_at < now - timedelta(days=1))
    )
    token = new_token()
    minutes = current_app.config["PASSWORD_RESET_LINK_MINUTES"]
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            # As this request read the account: switched off meanwhile by someone else, its
            # version has moved on, and the link is dead from the start.
            session_version=user.session_version,
        )
    )
    emails.queue_reset_link(user, token)


def _unused_and_unexpired(token: str, now: datetime):
    return (
        PasswordReset.token_hash == _hash(token),
        PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now,
    )


def user_for_link(token: str, *, now: datetime) -> User | None:
    """The active account a link is for, while the link is unused, unexpired and issued to the
    account's current sessions (see models.PasswordReset)."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(User)
        .join(PasswordReset, PasswordReset.user_id == User.id)
        .where(
            *_unused_and_unexpired(token, now),
            PasswordReset.session_version == User.session_version,
            User.is_active.is_(True),
        )
    )


def reset_password(token: str, password: str, client_address: str, *, now: datetime) -> User | None:
    """Set a new password through a link; None if the link is not (or no longer) valid.

    The link is used by one conditional UPDATE: of two submissions at once, one wins. The
    address it was used from becomes a usual address of the account, since the owner proved
    they read its email: an attack on the account no longer makes them wait there.
    """
    services.check_password_rules(password)
    user = user_for_link(token, now=now)
    if user is None:
        return None
    used = db.session.execute(
        update(PasswordReset)
        .where(
            *_unused_and_unexpired(token, now),
            PasswordReset.session_version == user.session_version,
        )
        .values(used_at=now)
    ).rowcount
    if not used:
        return None
    services.set_password(user, password)
    limits.remember_usual_address(user, limits.address_digest(client_address), now)
    return user
