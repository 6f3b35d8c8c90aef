"""The seats of an event: taken and given back by conditional statements, and checked.

``event.seats_taken`` counts the registrations holding a seat: the confirmed ones, and the
pending ones whose address is not confirmed yet (``HOLDS_SEAT``, see ``holds``). It is changed
only by the two statements here, each in the transaction that changes a registration's
status, so the count and the statuses commit together; ``seat_drift`` and
``repair_seat_drift`` find and put right any difference all the same (a hand edit of the
database, a bug found later).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update

from ..extensions import db
from ..models import HOLDS_SEAT, Event, Registration

_EVENT = Event.__table__
# Built once: an RSVP runs it, and building a statement costs more than running this one.
_CLAIM_SEAT = (
    update(_EVENT)
    .where(_EVENT.c.id == bindparam("event"), _EVENT.c.seats_taken < _EVENT.c.capacity)
    .values(seats_taken=_EVENT.c.seats_taken + 1)
)
_RELEASE_SEAT = (
    update(_EVENT)
    .where(_EVENT.c.id == bindparam("event"), _EVENT.c.seats_taken > 0)
    .values(seats_taken=_EVENT.c.seats_taken - 1)
)


def claim_seat(event: Event) -> bool:
    """Take one seat if one is free: one statement, which the database serialises.

    PostgreSQL locks the event row until commit, and re-checks the condition on the row as
    it stands then; SQLite's write lock, taken by a transaction's first write (waiting for
    the busy timeout rather than failing on a stale snapshot), is held until commit too.
    """
    claimed = db.session.execute(_CLAIM_SEAT, {"event": event.id}).rowcount == 1
    db.session.expire(event, ["seats_taken"])
    return claimed


def release_seat(event: Event) -> None:
    db.session.execute(_RELEASE_SEAT, {"event": event.id})
    db.session.expire(event, ["seats_taken"])


def _holding_count():
    return (
        select(func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status.in_(HOLDS_SEAT))
        .scalar_subquery()
    )


@dataclass(frozen=True)
class SeatDrift:
    event_id: int
    slug: str
    seats_taken: int
    holding: int
    capacity: int


def seat_drift() -> list[SeatDrift]:
    """The events whose seat count differs from their registrations holding a seat."""
    holding = _holding_count()
    rows = db.session.execute(
        select(Event.id, Event.slug, Event.seats_taken, holding, Event.capacity)
        .where(Event.seats_taken != holding)
        .order_by(Event.id)
    )
    return [SeatDrift(*row) for row in rows]


def repair_seat_drift() -> list[SeatDrift]:
    """Set each drifted seat count to its registrations holding a seat; the caller commits.

    One statement per event, conditional on the drift still being there, so a registration
    committing meanwhile is never overwritten. An event with more people holding seats than
    seats cannot be put right here (someone must be cancelled or seats added): its count
    is left at its capacity, and it is reported again next time.
    """
    drifts = seat_drift()
    holding = _holding_count()
    # The smaller of two values: min() with two arguments on SQLite, least() elsewhere.
    smaller = func.min if db.session.get_bind().dialect.name == "sqlite" else func.least
    for drift in drifts:
        db.session.execute(
            update(Event)
            .where(Event.id == drift.event_id, Event.seats_taken != holding)
            .values(seats_taken=smaller(holding, Event.capacity))
            .execution_options(synchronize_session=False)
        )
    return drifts
