"""Limits on RSVPs, per client address and per event, counted in the database
(``mmm_events.attempts``) so that they hold across every web process and server.

An RSVP is written down, and committed, before it is checked: of N requests sent at once,
each counts all the others that got there first, so no burst passes a limit that only part
of it fits under (at worst two of them refuse each other). A refused RSVP is withdrawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import attempts
from ..attempts import TooManyAttempts
from ..extensions import db
from ..models import AccountAttempt, AttemptKind, Event

__all__ = ["TooManyAttempts", "count_rsvp"]

PER_ADDRESS = "RSVP_LIMIT_PER_IP"
PER_EVENT = "RSVP_LIMIT_PER_EVENT"


def _event_digest(event: Event) -> str:
    return attempts.digest("event", str(event.id))


def count_rsvp(event: Event, client_address: str, *, now: datetime) -> None:
    """Count an RSVP for ``event`` from ``client_address``, and commit; raise
    ``TooManyAttempts`` (having withdrawn it, and committed) when a limit is reached."""
    per_address = attempts.configured_limit(PER_ADDRESS)
    per_event = attempts.configured_limit(PER_EVENT)
    _prune(now, max(per_address[1], per_event[1]))
    row = AccountAttempt(
        kind=AttemptKind.RSVP,
        at=now,
        account_digest=_event_digest(event),
        address_digest=attempts.address_digest(client_address),
    )
    db.session.add(row)
    db.session.commit()
    untils = [
        attempts.refused_until(
            AttemptKind.RSVP, now=now, limit=per_address,
            address=row.address_digest, excluding=row.id,
        ),
        attempts.refused_until(
            AttemptKind.RSVP, now=now, limit=per_event,
            account=row.account_digest, excluding=row.id,
        ),
    ]
    refusals = [until for until in untils if until is not None]
    if refusals:
        attempts.withdraw(row.id)
        db.session.commit()
        raise TooManyAttempts(max(refusals))


def _prune(now: datetime, longest: timedelta) -> None:
    attempts.prune((AttemptKind.RSVP,), now - longest)
