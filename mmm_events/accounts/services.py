"""Account rules: creating users, passwords, signing in within limits, ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ..addresses import normalise_email
from ..extensions import db
from ..models import Role, User
from ..transitions import transition
from . import emails, limits

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


def end_sessions(user: User) -> None:
    """End every session of the account, on every server, at its next request."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])


def set_password(user: User, password: str) -> None:
    """Change the password; every session of the account ends, and with them the reset links
    sent before (they belong to those sessions: models.PasswordReset)."""
    check_password_rules(password)
    user.set_password(password)
    end_sessions(user)


def disable(user: User) -> bool:
    """Switch the account off: its sessions end, and the reset links sent before die for good
    (even if it is switched on again), once, however many organisers press the switch at the
    same moment. False when it was off already."""
    if not transition(User.is_active, User.id == user.id, [True], False):
        return False
    end_sessions(user)
    return True


def enable(user: User) -> bool:
    """Switch the account on again; False when it was on already."""
    return bool(transition(User.is_active, User.id == user.id, [False], True))


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


@dataclass(frozen=True)
class SignIn:
    """What became of a sign-in: the account, or the moment to try again, or neither."""

    user: User | None = None
    retry_at: datetime | None = None


def sign_in(email: str, password: str, client_address: str, *, now: datetime) -> SignIn:
    """Check a sign-in within the limits (see ``limits``); the caller commits.

    Commits once itself, before the password is checked: the attempt must already count in
    every other process (see ``limits.reserve_sign_in``).
    """
    normalised = normalise_email(email)
    owner = find_user(normalised)
    attempt = limits.reserve_sign_in(normalised, client_address, owner, now)
    try:
        limits.check_sign_in(attempt, now)
    except limits.TooManyAttempts as refused:
        limits.withdraw(attempt)
        return SignIn(retry_at=refused.until)
    user = authenticate(normalised, password, now=now)
    if user is not None:
        limits.withdraw(attempt)
        limits.remember_usual_address(user, attempt.address, now)
        return SignIn(user=user)
    limits.prune(now)
    if owner is not None and owner.is_active:
        _warn_owner_once(owner, attempt, now)
    return SignIn()


def _warn_owner_once(owner: User, attempt: limits.Attempt, now: datetime) -> None:
    """Tell the owner someone is trying, once per run of failures that makes attempts wait."""
    run = limits.account_run(attempt.account, now)
    if run.wait_until is not None and limits.claim_warning(owner, run, now):
        emails.queue_sign_in_warning(owner)
