"""Attempts counted in the database (the ``account_attempt`` table): sign-ins, reset requests,
RSVPs.

Counting in the database, not in each web process's memory, makes the limits hold under
gunicorn's several workers and on several servers, with or without Redis. What is counted
(an account, an event, a client address) is kept as a keyed hash, never as itself.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy import delete, select

from .extensions import db
from .models import AccountAttempt, AttemptKind


class TooManyAttempts(Exception):
    """Refused before the request was looked at; try again at ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


@lru_cache(maxsize=16)
def parse_limit(text: str) -> RateLimitItem:
    """``"5 per 15 minutes"``: the same notation as Flask-Limiter's."""
    return parse(text)


def configured_limit(setting: str) -> tuple[int, timedelta]:
    """The configured limit ``setting``: how many, in what period."""
    item = parse_limit(current_app.config[setting])
    return item.amount, timedelta(seconds=item.get_expiry())


def digest(purpose: str, value: str) -> str:
    """A keyed hash: equal values can be matched, but the table does not hold the values."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def address_digest(address: str) -> str:
    return digest("address", address)


def refused_until(
    kind: AttemptKind,
    *,
    now: datetime,
    limit: tuple[int, timedelta],
    account: str | None = None,
    address: str | None = None,
    excluding: int | None = None,
) -> datetime | None:
    """When the window of ``limit`` has room again for the attempts of ``kind`` of this
    account or address (``excluding`` one of them); None when it has room now."""
    amount, period = limit
    query = select(AccountAttempt.at).where(
        AccountAttempt.kind == kind, AccountAttempt.at > now - period
    )
    if account is not None:
        query = query.where(AccountAttempt.account_digest == account)
    if address is not None:
        query = query.where(AccountAttempt.address_digest == address)
    if excluding is not None:
        query = query.where(AccountAttempt.id != excluding)
    # The window is full when it holds ``amount`` attempts: the oldest of those says when it
    # has room again. One row read from the index, however busy the window.
    oldest_counted = db.session.scalar(
        query.order_by(AccountAttempt.at.desc()).offset(amount - 1).limit(1)
    )
    if oldest_counted is None:
        return None
    return oldest_counted + period


def withdraw(attempt_id: int) -> None:
    db.session.execute(delete(AccountAttempt).where(AccountAttempt.id == attempt_id))


def prune(kinds: tuple[AttemptKind, ...], older_than: datetime) -> None:
    """Forget attempts of ``kinds`` that no limit looks back to any more."""
    db.session.execute(
        delete(AccountAttempt).where(
            AccountAttempt.kind.in_(kinds), AccountAttempt.at < older_than
        )
    )
