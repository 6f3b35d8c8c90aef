"""Limits on RSVPs, per client address and per event, counted in the database
(``mmm_events.attempts``) so that they hold across every web process and server.

An RSVP is written down, and committed, before it is checked: of N requests sent at once,
each counts all the others that got there first, so no burst passes a limit that only part
of it fits under (at worst two of them refuse each other). A refused RSVP is withdrawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from .. import attempts
from ..attempts import TooManyAttempts
from ..extensions import db
from ..models import AccountAttempt, AttemptKind, Event

__all__ = ["TooManyAttempts", "count_rsvp"]

PER_ADDRESS = "RSVP_LIMIT_PER_IP"
PER_EVENT = "RSVP_LIMIT_PER_EVENT"
# One RSVP in this many forgets the attempts no limit looks back to any more.
PRUNE_EVERY = 100


def count_rsvp(event: Event, client_address: str, *, now: datetime) -> None:
    """Count an RSVP for ``event`` from ``client_address``, and commit; raise
    ``TooManyAttempts`` (having withdrawn it, and committed) when a limit is reached."""
    per_address = attempts.configured_limit(PER_ADDRESS)
    per_event = attempts.configured_limit(PER_EVENT)
    row = AccountAttempt(
        kind=AttemptKind.RSVP,
        at=now,
        account_digest=attempts.digest("event", str(event.id)),
        address_digest=attempts.address_digest(client_address),
    )
    db.session.add(row)
    _commit_keeping_what_was_read()
    if row.id % PRUNE_EVERY == 0:
        attempts.prune((AttemptKind.RSVP,), now - max(per_address[1], per_event[1]))
    from_address, for_event = _counts(row, now, per_address[1], per_event[1])
    refusals = []
    if from_address >= per_address[0]:
        refusals.append(_until(row, now, per_address, address=row.address_digest))
    if for_event >= per_event[0]:
        refusals.append(_until(row, now, per_event, account=row.account_digest))
    if refusals:
        attempts.withdraw(row.id)
        db.session.commit()
        raise TooManyAttempts(max(refusals))


def _commit_keeping_what_was_read() -> None:
    """Commit, without expiring what the request already loaded (the event, the invitation):
    reading them again would cost a query for values read a moment ago."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _counts(
    row: AccountAttempt, now: datetime, address_period: timedelta, event_period: timedelta
) -> tuple[int, int]:
    """The other RSVPs in each window, from this address and for this event: one query."""
    def within(condition, period: timedelta):
        return func.coalesce(
            func.sum(case((and_(condition, AccountAttempt.at > now - period), 1), else_=0)), 0
        )

    counts = db.session.execute(
        select(
            within(AccountAttempt.address_digest == row.address_digest, address_period),
            within(AccountAttempt.account_digest == row.account_digest, event_period),
        ).where(
            AccountAttempt.kind == AttemptKind.RSVP,
            AccountAttempt.at > now - max(address_period, event_period),
            (AccountAttempt.address_digest == row.address_digest)
            | (AccountAttempt.account_digest == row.account_digest),
            AccountAttempt.id != row.id,
        )
    ).one()
    return int(counts[0]), int(counts[1])


def _until(row: AccountAttempt, now: datetime, limit: tuple[int, timedelta], **which) -> datetime:
    """When the window that is full has room again."""
    until = attempts.refused_until(
        AttemptKind.RSVP, now=now, limit=limit, excluding=row.id, **which
    )
    return until or now
