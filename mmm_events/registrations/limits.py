"""Limits on RSVPs, per client address and per event, counted in the database
(``mmm_events.attempts``) so that they hold across every web process and server.

An RSVP is written down, and committed, before it is checked: of N requests sent at once,
each counts all the others that got there first, so no burst passes a limit that only part
of it fits under (at worst two of them refuse each other). A refused RSVP is withdrawn.
"""

from __future__ import annotations

from datetime import datetime

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
    refusals = []
    for limit, counted in (
        (per_address, {"address": row.address_digest}),
        (per_event, {"account": row.account_digest}),
    ):
        until = attempts.refused_until(
            AttemptKind.RSVP, now=now, limit=limit, excluding=row.id, **counted
        )
        if until is not None:
            refusals.append(until)
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
