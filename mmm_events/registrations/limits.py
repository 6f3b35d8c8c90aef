"""Limits on RSVPs and on "Email me my link", counted in the database (``mmm_events.attempts``)
so that they hold across every web process and server.

An RSVP is written down, and committed, before it is checked: of N requests sent at once,
each counts all the others that got there first, so no burst passes a limit that only part
of it fits under (at worst two of them refuse each other). A refused RSVP is withdrawn.

Three limits look at an RSVP. Per client address, whatever it makes. Per event, only while
it may make a registration: one that creates nothing (a repeated RSVP, one the rules refuse)
stops counting for the event as soon as that is known, so that a flood of repeats cannot
lock out the next real person. And on an event that asks people to confirm their address,
the seats held unconfirmed from one client network (an IPv4 address, an IPv6 /64), across
events: a hold row is written in the same commit as the RSVP's, counts while the hold lasts
(``RSVP_HOLD_MINUTES``, the same period), names the registration once it exists, and is
deleted when the address is confirmed or the registration cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, update

from .. import attempts
from ..attempts import TooManyAttempts
from ..extensions import db
from ..models import AccountAttempt, AttemptKind, Event, Registration, RegistrationStatus

__all__ = [
    "BusyEvent",
    "Counted",
    "TooManyAttempts",
    "TooManyHolds",
    "check_hold",
    "count_manage_link",
    "count_rsvp",
    "created_nothing",
    "release_hold",
]

PER_ADDRESS = "RSVP_LIMIT_PER_IP"
PER_EVENT = "RSVP_LIMIT_PER_EVENT"
MANAGE_LINK_PER_ADDRESS = "MANAGE_LINK_LIMIT_PER_IP"
# One counted row in this many forgets the attempts no limit looks back to any more.
PRUNE_EVERY = 100
# The "account" of an RSVP that counts for no event, and of a hold whose registration does
# not exist yet.
NOBODY = ""
PENDING = (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING)


class BusyEvent(TooManyAttempts):
    """The event's own limit refused the RSVP: many people are registering for it."""


class TooManyHolds(TooManyAttempts):
    """The client's network holds as many unconfirmed seats as it may."""


@dataclass(frozen=True)
class Counted:
    """The rows that count one RSVP: its own, and the seat it may hold unconfirmed."""

    rsvp: int
    hold: int | None
    network: str


def count_rsvp(event: Event, client_address: str, *, now: datetime) -> Counted:
    """Count an RSVP for ``event`` from ``client_address``, and commit; raise
    ``TooManyAttempts`` (``BusyEvent`` when the event's limit refuses it), having withdrawn
    it and committed, when a limit is reached."""
    per_address = attempts.configured_limit(PER_ADDRESS)
    per_event = attempts.configured_limit(PER_EVENT)
    row = AccountAttempt(
        kind=AttemptKind.RSVP,
        at=now,
        account_digest=attempts.digest("event", str(event.id)),
        address_digest=attempts.address_digest(client_address),
    )
    network = attempts.network_digest(client_address)
    hold = None
    if event.confirm_email:
        hold = AccountAttempt(
            kind=AttemptKind.HOLD, at=now, account_digest=NOBODY, address_digest=network
        )
        db.session.add(hold)
    db.session.add(row)
    _commit_keeping_what_was_read()
    if row.id % PRUNE_EVERY == 0:
        periods = (per_address[1], per_event[1], _hold_limit()[1])
        attempts.prune((AttemptKind.RSVP, AttemptKind.HOLD), now - max(periods))
    by_address, by_event = attempts.refused_until_both(
        AttemptKind.RSVP, now=now, limits=(per_address, per_event), excluding=row.id,
        address=row.address_digest, account=row.account_digest,
    )  # fmt: skip
    if by_address is None and by_event is None:
        return Counted(rsvp=row.id, hold=hold.id if hold is not None else None, network=network)
    attempts.withdraw(row.id)
    if hold is not None:
        attempts.withdraw(hold.id)
    db.session.commit()
    if by_event is not None and (by_address is None or by_event >= by_address):
        raise BusyEvent(by_event)
    raise TooManyAttempts(by_address)


def created_nothing(counted: Counted) -> None:
    """The RSVP made no registration: it no longer counts for the event (it still does for
    its address), nor does it hold a seat. The caller has rolled back what it did; this
    commits."""
    db.session.execute(
        update(AccountAttempt)
        .where(AccountAttempt.id == counted.rsvp)
        .values(account_digest=NOBODY)
    )
    if counted.hold is not None:
        attempts.withdraw(counted.hold)
    _commit_keeping_what_was_read()


def check_hold(counted: Counted, registration: Registration, *, now: datetime) -> None:
    """``registration`` was just made (not committed): raise ``TooManyHolds`` when it holds
    a place unconfirmed and the client's network already holds as many as it may; otherwise
    its hold row names it, so that confirming or cancelling it frees the place at once."""
    if counted.hold is None:
        return
    if registration.status not in PENDING:
        attempts.withdraw(counted.hold)
        return
    until = attempts.refused_until(
        AttemptKind.HOLD, now=now, limit=_hold_limit(), address=counted.network,
        excluding=counted.hold,
    )  # fmt: skip
    if until is not None:
        raise TooManyHolds(until)
    db.session.execute(
        update(AccountAttempt)
        .where(AccountAttempt.id == counted.hold)
        .values(account_digest=_hold_key(registration))
    )


def release_hold(registration: Registration) -> None:
    """The address is confirmed, or the registration cancelled: its place no longer counts
    against its client's network. The caller commits."""
    db.session.execute(
        delete(AccountAttempt).where(
            AccountAttempt.kind == AttemptKind.HOLD,
            AccountAttempt.account_digest == _hold_key(registration),
        )
    )


def count_manage_link(client_address: str, *, now: datetime) -> None:
    """Count a request for "Email me my link" from ``client_address``, and commit; raise
    ``TooManyAttempts`` (having withdrawn it, and committed) when the limit is reached."""
    limit = attempts.configured_limit(MANAGE_LINK_PER_ADDRESS)
    row = AccountAttempt(
        kind=AttemptKind.MANAGE_LINK,
        at=now,
        account_digest=NOBODY,
        address_digest=attempts.address_digest(client_address),
    )
    db.session.add(row)
    _commit_keeping_what_was_read()
    if row.id % PRUNE_EVERY == 0:
        attempts.prune((AttemptKind.MANAGE_LINK,), now - limit[1])
    until = attempts.refused_until(
        AttemptKind.MANAGE_LINK, now=now, limit=limit, address=row.address_digest,
        excluding=row.id,
    )  # fmt: skip
    if until is not None:
        attempts.withdraw(row.id)
        db.session.commit()
        raise TooManyAttempts(until)


def _hold_limit() -> tuple[int, timedelta]:
    config = current_app.config
    return config["RSVP_HOLDS_PER_CLIENT"], timedelta(minutes=config["RSVP_HOLD_MINUTES"])


def _hold_key(registration: Registration) -> str:
    return attempts.digest("registration", str(registration.id))


def _commit_keeping_what_was_read() -> None:
    """Commit, without expiring what the request already loaded (the event, the invitation):
    reading them again would cost a query for values read a moment ago."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
