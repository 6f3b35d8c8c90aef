"""Changes of a registration's status: cancelling, promoting from the waiting list, filling
free seats, and the place in the queue.

Each change is one conditional UPDATE on the status the row has (``change_status``): of two
requests making the same change at once (a double click, a retried POST), the database lets
one through, and only that one frees or takes a seat and queues an email. Each function
leaves the commit to its caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import HOLDS_SEAT, Event, Registration, RegistrationStatus
from ..questions.answers import release_answers
from ..transitions import transition
from .emails import queue_status_email
from .limits import PENDING, release_hold
from .seats import claim_seat, release_seat

# The order people registered in, the first to have asked first: decisions on a selection go
# in it, and a change of several registrations locks them in it first
# (``transitions.lock_in_order``), so that two such changes never wait for each other.
REGISTRATION_ORDER = (Registration.created_at, Registration.id)


def change_status(
    registration: Registration,
    to: RegistrationStatus,
    *,
    now: datetime,
    expected: RegistrationStatus | None = None,
    **values: Any,
) -> RegistrationStatus | None:
    """Move ``registration`` to ``to`` with one conditional UPDATE (``transition``); the
    status it had, or None when there was nothing to change (another request made the
    change first).

    With ``expected``, only from that status. Without, from whatever status the row has: when
    it changed since it was read (a waiting person promoted meanwhile), it is read again and
    the change retried from there, so that the caller frees the seat the row holds now. The
    UPDATE waits for a simultaneous change of the row to commit (PostgreSQL's row lock,
    SQLite's write lock), so what is read after it is current.
    """
    while True:
        current = expected or registration.status
        if current is to:
            return None
        if transition(
            Registration.status,
            Registration.id == registration.id,
            [current],
            to,
            updated_at=now,
            **values,
        ):
            return current
        db.session.expire(registration, ["status"])
        if expected is not None:
            return None


def cancel_registration(registration: Registration, *, now: datetime) -> Registration | None:
    """Cancel, free the seat, and give it to the first person waiting; the caller commits.

    Returns the registration promoted, if any. Both people are emailed, once: a second,
    simultaneous cancellation of the same registration changes nothing.
    """
    previous = change_status(
        registration, RegistrationStatus.CANCELLED, now=now, cancelled_at=now
    )
    if previous is None:
        return None
    queue_status_email(registration, "registration_cancelled")
    release_answers(registration)
    if previous in PENDING:
        release_hold(registration)
    if previous not in HOLDS_SEAT:
        return None
    release_seat(registration.event)
    return seat_first_waiting(registration.event, now=now)


def promote_registration(registration: Registration, *, now: datetime) -> bool:
    """The organiser's "confirm": move this waiting person to a free seat and email them.
    False when no seat is free or they are no longer waiting."""
    event = registration.event
    if not claim_seat(event):
        return False
    if not _confirm(registration, now=now):
        release_seat(event)
        return False
    return True


def fill_free_seats(event: Event, *, now: datetime) -> list[Registration]:
    """Give the event's free seats to the people waiting, in the order they registered, and
    email each of them (seats were added); the caller commits. Returns those promoted."""
    promoted: list[Registration] = []
    while (registration := seat_first_waiting(event, now=now)) is not None:
        promoted.append(registration)
    return promoted


def seat_first_waiting(event: Event, *, now: datetime) -> Registration | None:
    """Claim a free seat for the first person waiting; the person, or None when no seat is
    free or nobody waits. Someone who cancels meanwhile is passed over for the next."""
    if not claim_seat(event):
        return None
    while (waiting := _first_waiting(event)) is not None:
        if _confirm(waiting, now=now):
            return waiting
    release_seat(event)
    return None


def _confirm(registration: Registration, *, now: datetime) -> bool:
    """Waiting to confirmed, on the seat the caller claimed, once; the person is emailed."""
    if change_status(
        registration, RegistrationStatus.CONFIRMED, now=now, expected=RegistrationStatus.WAITING
    ) is None:
        return False
    queue_status_email(registration, "registration_promoted")
    return True


def _first_waiting(event: Event) -> Registration | None:
    return db.session.scalar(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING,
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(1)
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the next person to get a seat; None for someone not waiting. The queue is in
    order of registration time."""
    if registration.status is not RegistrationStatus.WAITING:
        return None
    return 1 + db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            or_(
                Registration.created_at < registration.created_at,
                and_(
                    Registration.created_at == registration.created_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
