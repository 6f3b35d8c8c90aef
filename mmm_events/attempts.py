"""Attempts counted in the database (the ``account_attempt`` table): sign-ins, reset requests,
RSVPs.

Counting in the database, not in each web process's memory, makes the limits hold under
gunicorn's several workers and on several servers, with nothing else shared. What is counted
(an account, an event, a client address) is kept as a keyed hash, never as itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
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


def network_digest(address: str) -> str:
    """The keyed hash of the client's network: an IPv4 address itself, but an IPv6 address's
    /64, because one home or one server is given a whole /64 to pick addresses from."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return digest("network", address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return digest("network", str(ip.ipv4_mapped))
        return digest("network", str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return digest("network", str(ip))


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
    query = _oldest_counted(kind, now, limit, account, address, excluding)
    return _until(db.session.scalar(query), limit)


def refused_until_both(
    kind: AttemptKind,
    *,
    now: datetime,
    limits: tuple[tuple[int, timedelta], tuple[int, timedelta]],
    account: str,
    address: str,
    excluding: int,
) -> tuple[datetime | None, datetime | None]:
    """``refused_until`` for the address under the first limit and for the account under
    the second, in one statement (an RSVP checks both)."""
    by_address = _oldest_counted(kind, now, limits[0], None, address, excluding)
    by_account = _oldest_counted(kind, now, limits[1], account, None, excluding)
    row = db.session.execute(
        select(by_address.scalar_subquery(), by_account.scalar_subquery())
    ).one()
    return _until(row[0], limits[0]), _until(row[1], limits[1])


def _oldest_counted(kind, now, limit, account, address, excluding):
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
    return query.order_by(AccountAttempt.at.desc()).offset(amount - 1).limit(1)


def _until(oldest_counted: datetime | None, limit: tuple[int, timedelta]) -> datetime | None:
    if oldest_counted is None:
        return None
    return oldest_counted + limit[1]


def withdraw(attempt_id: int) -> None:
    db.session.execute(delete(AccountAttempt).where(AccountAttempt.id == attempt_id))


def prune(kinds: tuple[AttemptKind, ...], older_than: datetime) -> None:
    """Forget attempts of ``kinds`` that no limit looks back to any more."""
    db.session.execute(
        delete(AccountAttempt).where(
            AccountAttempt.kind.in_(kinds), AccountAttempt.at < older_than
        )
    )
