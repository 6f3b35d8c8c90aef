"""Approval before a seat: on an event that requires it, a registration waits as
PENDING_APPROVAL (no seat, not on the waiting list) until an organiser approves or declines it.

Each decision is one conditional UPDATE from PENDING_APPROVAL (``transition``): of a double
click, two organisers at once, or an approval against a decline, the database lets one
through, and only that one takes a seat and queues an email, and an audit entry says who
decided what for whom (the registration's id, the address's keyed hash). The caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from ..questions.answers import release_answers
from ..transitions import lock_in_order, transition
from .emails import queue_status_email
from .seats import claim_seat, release_seat
from .status import REGISTRATION_ORDER, change_status

AWAITING = RegistrationStatus.PENDING_APPROVAL


def await_approval(registration: Registration) -> None:
    """A new registration on an event that requires approval: no seat and no place in the
    queue until an organiser decides, and an email saying it was received. No hold of an
    unconfirmed address either (double opt-in): nothing is held, and the decision goes to
    the address."""
    registration.status = AWAITING
    registration.hold_expires_at = None
    queue_status_email(registration, "registration_received")


def approve_registration(
    registration: Registration, *, now: datetime
) -> RegistrationStatus | None:
    """Approve: a seat if one is free (the conditional claim of ``seats``), else the waiting
    list, and the confirmation email (with the ticket and the calendar entry when seated).

    The status given, or None when the registration no longer awaited approval (another
    organiser, or the same double click, decided first): then no seat is kept and nobody is
    emailed.
    """
    if registration.status is not AWAITING:
        return None
    event = registration.event
    # The seat first, as the organiser's "confirm" does: the claim is what waits for a rival
    # holding the event's row, and the decision below then sees the rival's committed one.
    seated = claim_seat(event)
    given = RegistrationStatus.CONFIRMED if seated else RegistrationStatus.WAITING
    if change_status(registration, given, now=now, expected=AWAITING) is None:
        if seated:
            release_seat(event)
        return None
    queue_status_email(registration, "registration_confirmation", approved=True)
    _record_decision(registration, given)
    return given


def decline_registrations(
    event: Event, ids: Collection[int], *, now: datetime, message: str = ""
) -> list[Registration]:
    """Decline those of ``ids`` that await approval on ``event``, in one conditional UPDATE,
    and email each of them, with the organiser's ``message`` if any. They held no seat; the
    places of their limited choices go back. The registrations declined, in id order."""
    if not ids:
        return []
    chosen = (Registration.event_id == event.id) & Registration.id.in_(list(ids))
    lock_in_order(Registration, chosen & (Registration.status == AWAITING), *REGISTRATION_ORDER)
    declined = transition(
        Registration.status,
        chosen,
        [AWAITING],
        RegistrationStatus.DECLINED,
        updated_at=now,
    )
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.id.in_([row.id for row in declined]))
        .order_by(Registration.id)
    ).all()
    for registration in registrations:
        release_answers(registration)
        queue_status_email(registration, "registration_declined", message=message)
        _record_decision(registration, RegistrationStatus.DECLINED)
    return list(registrations)


def _record_decision(registration: Registration, given: RegistrationStatus) -> None:
    audit.record(
        audit.REGISTRATION_DECIDED,
        event_id=registration.event_id,
        subject=registration.email,
        detail={"registration": registration.id, "decision": given.value},
    )


@dataclass(frozen=True)
class Decisions:
    """What a decision on a selection did: how many got a seat, joined the waiting list or
    were declined, and how many chosen were skipped (no longer awaiting approval)."""

    confirmed: int = 0
    waiting: int = 0
    declined: int = 0
    skipped: int = 0


def approve_chosen(event: Event, ids: Collection[int], *, now: datetime) -> Decisions:
    """Approve those of ``ids`` that await approval on ``event``, in the order they
    registered, so that the free seats go to the first to have asked."""
    chosen = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.id.in_(list(ids)),
            Registration.status == AWAITING,
        )
        .order_by(*REGISTRATION_ORDER)
    ).all()
    given = [approve_registration(registration, now=now) for registration in chosen]
    confirmed = given.count(RegistrationStatus.CONFIRMED)
    waiting = given.count(RegistrationStatus.WAITING)
    return Decisions(
        confirmed=confirmed, waiting=waiting, skipped=len(set(ids)) - confirmed - waiting
    )


def decline_chosen(
    event: Event, ids: Collection[int], *, now: datetime, message: str = ""
) -> Decisions:
    declined = len(decline_registrations(event, ids, now=now, message=message))
    return Decisions(declined=declined, skipped=len(set(ids)) - declined)
