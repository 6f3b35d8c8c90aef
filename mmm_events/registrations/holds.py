"""Confirming one's address (double opt-in), on events that ask for it.

A new registration is PENDING, holding a seat (it counts in ``event.seats_taken``), or
PENDING_WAITING when the event is full, until ``hold_expires_at``. Following the link in the
email confirms it: one conditional UPDATE makes it CONFIRMED (on the seat it holds) or WAITING,
and only then is the confirmation emailed. A hold that runs out is cancelled, without an
email (the address may not be the person's), and its seat goes to the next person waiting:
lazily when someone registers for the event, and for every event by ``flask release-holds``.
Until then, the link still confirms. Each function leaves the commit to its caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from ..models._base import worth_looking_up
from ..questions.answers import release_answers
from .emails import queue_status_email
from .limits import PENDING, release_hold
from .seats import release_seat
from .status import change_status, fill_free_seats, seat_first_waiting

# What confirming the address makes of each pending status.
_CONFIRMED_AS = {
    RegistrationStatus.PENDING: RegistrationStatus.CONFIRMED,
    RegistrationStatus.PENDING_WAITING: RegistrationStatus.WAITING,
}


def registration_to_confirm(token: str) -> Registration | None:
    """The registration whose "confirm your address" link carries ``token``."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(Registration).where(Registration.confirm_token == token))


def confirm_address(registration: Registration, *, now: datetime) -> bool:
    """The person followed the link: the held seat becomes theirs, or they join the waiting
    list, and the confirmation is emailed. False when there was nothing to confirm (done
    already, by a simultaneous click too, or the hold was released)."""
    current = registration.status
    to = _CONFIRMED_AS.get(current)
    if to is None:
        return False
    if change_status(registration, to, now=now, expected=current, hold_expires_at=None) is None:
        return False
    release_hold(registration)
    queue_status_email(registration, "registration_confirmation")
    if to is RegistrationStatus.WAITING:
        # A seat freed while nobody was waiting is still free: the queue takes it, in order.
        fill_free_seats(registration.event, now=now)
    return True


def release_expired_holds(now: datetime, *, event: Event | None = None) -> int:
    """Cancel the registrations whose address was not confirmed in time (of ``event``, or
    of every event), and give the seats they held to the people waiting. How many."""
    query = select(Registration).where(
        Registration.status.in_(PENDING), Registration.hold_expires_at <= now
    )
    if event is not None:
        query = query.where(Registration.event_id == event.id)
    released = 0
    for registration in db.session.scalars(query.order_by(Registration.id)).all():
        held = change_status(
            registration,
            RegistrationStatus.CANCELLED,
            now=now,
            expected=registration.status,
            cancelled_at=now,
        )
        if held is None:
            continue
        released += 1
        release_answers(registration)
        if held is RegistrationStatus.PENDING:
            release_seat(registration.event)
            seat_first_waiting(registration.event, now=now)
    return released
