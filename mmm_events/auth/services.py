"""Account rules: creating users, setting passwords, checking a sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..addresses import normalise_email
from ..extensions import db
from ..models import Role, User

MIN_PASSWORD_LENGTH = 10

# Checked against when the email matches no account, so that a wrong email costs as much time
# as a wrong password and the response time does not reveal which accounts exist.
_DUMMY_USER = User(email="", password_hash="")


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


def find_user(email: str) -> User | None:
    return db.session.scalar(
        select(User).where(func.lower(User.email) == normalise_email(email))
    )


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )


def create_user(email: str, password: str, *, admin: bool = False, name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not an email address.")
    if find_user(email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    check_password_rules(password)
    user = User(email=email, name=name, role=Role.ADMIN if admin else Role.ORGANISER)
    user.set_password(password)
    db.session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.set_password(password)


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """The active account with this email and password, or None; never says which was wrong."""
    user = find_user(email)
    if user is None:
        if not _DUMMY_USER.password_hash:
            _DUMMY_USER.set_password("not-a-real-password")
        _DUMMY_USER.check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_signed_in_at = now
    return user
