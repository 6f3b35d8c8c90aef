"""The rules of registering (RSVP) and of changing one's details. Cancelling and the waiting
list are in ``status``.

Each function takes explicit arguments, changes the session, and leaves the commit to its
caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import addresses
from ..addresses import checked_email, normalise_email
from ..extensions import db
from ..models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
    utcnow,
)
from ..models._base import worth_looking_up
from .emails import ADDRESS_CHANGED, queue_status_email
from .seats import claim_seat
from .status import change_status


class RegistrationError(Exception):
    """A registration that the rules refuse; the message is for the person registering."""


class RegistrationClosed(RegistrationError):
    """Registration is not possible now. ``reason`` is "draft", "not_open" or "closed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvitationRequired(RegistrationError):
    """The event is by invitation only and no valid invitation came with the registration."""


class InvalidDays(RegistrationError):
    """The chosen days are not days of the event."""


class AlreadyRegistered(RegistrationError):
    """Another registration of the same event already uses that email address."""


class InvalidEmail(RegistrationError):
    """Not an email address (the form checks first; this guards direct callers)."""


@dataclass
class RegistrationDetails:
    full_name: str
    email: str
    organisation: str
    country: str
    days: list[date]
    needs: str
    language: str


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool


def invitation_for(event: Event, token: str | None) -> Invitation | None:
    """The invitation of ``event`` carrying ``token``, unless it was revoked."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Invitation).where(
            Invitation.event_id == event.id,
            Invitation.token == token,
            Invitation.status != InvitationStatus.REVOKED,
        )
    )


def registration_by_token(token: str) -> Registration | None:
    """The registration whose manage link carries ``token``."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(Registration).where(Registration.token == token))


def existing_registration(event: Event, email_normalised: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalised == email_normalised,
        )
    )


def _checked_address(value: str) -> tuple[str, str]:
    """The address as stored, and its key; ``InvalidEmail`` (a RegistrationError) if none."""
    try:
        email = checked_email(value)
    except addresses.InvalidEmail as exc:
        raise InvalidEmail(str(exc)) from exc
    return email, normalise_email(email)


def _checked_days(event: Event, days: list[date]) -> list[date]:
    event_days = event.days
    if len(event_days) == 1 and not days:
        return event_days
    chosen = sorted(set(days))
    if not chosen or any(day not in event_days for day in chosen):
        raise InvalidDays()
    return chosen


def _admitting_invitation(event: Event, invitation: Invitation | None) -> Invitation | None:
    """The invitation that admits this person to ``event``, or None when none is needed;
    ``InvitationRequired`` when the event is by invitation only and none is valid."""
    if invitation is not None and (
        invitation.event_id != event.id or invitation.status is InvitationStatus.REVOKED
    ):
        invitation = None
    if event.invite_only and invitation is None:
        raise InvitationRequired()
    return invitation


def _invitation_used(invitation: Invitation) -> bool:
    return db.session.scalar(
        select(Registration.id).where(Registration.invitation_id == invitation.id)
    ) is not None


def register(
    event: Event,
    details: RegistrationDetails,
    *,
    now: datetime,
    invitation: Invitation | None = None,
) -> RegistrationOutcome:
    """Register a person: a seat if one is free, else the waiting list; the caller commits.

    Registering twice with the same address creates nothing and returns the first
    registration with ``created=False``. The look-up finds the usual repeat; the unique
    constraint on (event, address) decides a double click racing itself: the loser's
    transaction is rolled back and it returns the winner's registration.
    """
    state = event.registration_state(now)
    if state != "open":
        raise RegistrationClosed(state)
    invitation = _admitting_invitation(event, invitation)
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(event, details.days)
    existing = existing_registration(event, email_normalised)
    if existing is not None and existing.status is RegistrationStatus.CANCELLED:
        return _register_again(existing, details, days, now=now)
    if existing is not None:
        return RegistrationOutcome(existing, created=False)

    # An invitation already answered by someone else (a forwarded link) admits this person
    # too, but stays linked to its first registration.
    linked = invitation if invitation is not None and not _invitation_used(invitation) else None
    registration = Registration(
        event=event,
        email=email,
        email_normalised=email_normalised,
        # Written as the event stands now; the seat claim below has the last word.
        status=RegistrationStatus.CONFIRMED if event.seats_left else RegistrationStatus.WAITING,
        consented_at=now,
        created_at=now,
        invitation_id=linked.id if linked is not None else None,
        attendance=[RegistrationDay(day=day) for day in days],
    )
    _apply_details(registration, details)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        # A simultaneous registration took the address (or the invitation) first.
        db.session.rollback()
        return register(event, details, now=now, invitation=invitation)
    # Last among the writes: from the claim to the commit, other registrations for this
    # event wait (PostgreSQL's lock on the event row, SQLite's write lock).
    status = RegistrationStatus.CONFIRMED if claim_seat(event) else RegistrationStatus.WAITING
    registration.status = status
    if linked is not None:
        linked.status = InvitationStatus.ACCEPTED
        linked.answered_at = now
    queue_status_email(registration, "registration_confirmation")
    return RegistrationOutcome(registration, created=True)


def _apply_details(registration: Registration, details: RegistrationDetails) -> None:
    """What the person tells us about themselves, apart from the address and the days."""
    registration.full_name = details.full_name
    registration.organisation = details.organisation
    registration.country = details.country
    registration.needs = details.needs
    registration.language = Language(details.language)


def _set_days(registration: Registration, days: list[date]) -> None:
    if registration.days != days:
        kept = {a.day: a for a in registration.attendance}
        registration.attendance = [kept.get(day) or RegistrationDay(day=day) for day in days]


def _register_again(
    registration: Registration, details: RegistrationDetails, days: list[date], *, now: datetime
) -> RegistrationOutcome:
    """Someone who cancelled registers again: the same row (the address stays unique) with
    the new details, joining the end of the queue as if new."""
    reopened = change_status(
        registration,
        RegistrationStatus.WAITING,
        now=now,
        expected=RegistrationStatus.CANCELLED,
        cancelled_at=None,
        created_at=now,
        consented_at=now,
    )
    if reopened is None:
        # A simultaneous attempt reopened it first.
        return RegistrationOutcome(registration, created=False)
    if claim_seat(registration.event):
        registration.status = RegistrationStatus.CONFIRMED
    _apply_details(registration, details)
    _set_days(registration, days)
    queue_status_email(registration, "registration_confirmation")
    return RegistrationOutcome(registration, created=True)


def update_registration(registration: Registration, details: RegistrationDetails) -> None:
    """Change what the person told us, and email them the result; the caller commits.

    Raises ``AlreadyRegistered`` when the new address belongs to another registration of the
    same event; the caller then rolls back.
    """
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(registration.event, details.days)
    changed_address = email_normalised != registration.email_normalised
    previous_address = registration.email
    if changed_address:
        other = existing_registration(registration.event, email_normalised)
        if other is not None and other.id != registration.id:
            raise AlreadyRegistered()
    before = _what_the_person_told(registration)
    _set_days(registration, days)
    registration.email = email
    registration.email_normalised = email_normalised
    _apply_details(registration, details)
    try:
        # No SAVEPOINT here: on SQLite one opened before any write would start, and on
        # release commit, the whole transaction.
        db.session.flush()
    except IntegrityError as exc:
        raise AlreadyRegistered() from exc
    # The new details and an updated calendar entry to the address in use now; a word to the
    # one it replaces, so that a change the person did not make does not go unnoticed.
    if _what_the_person_told(registration) != before:
        # A change of days alone leaves the row as it was: its time dates the calendar entry.
        registration.updated_at = utcnow()
        queue_status_email(registration, "registration_updated")
    if changed_address:
        queue_status_email(registration, ADDRESS_CHANGED, address=previous_address)


def _what_the_person_told(registration: Registration) -> tuple:
    return (
        registration.full_name,
        registration.email,
        registration.organisation,
        registration.country,
        registration.needs,
        registration.language,
        tuple(sorted(registration.days)),
    )


def send_confirmation(registration: Registration) -> None:
    """Queue again the email that tells the person where they stand (the organiser's
    "resend"): the confirmation, or the cancellation notice if they cancelled."""
    template = (
        "registration_cancelled"
        if registration.status is RegistrationStatus.CANCELLED
        else "registration_confirmation"
    )
    queue_status_email(registration, template)


def send_manage_link(event: Event, email: str) -> bool:
    """Email the manage link to ``email`` if it is registered for ``event``.

    The caller tells everyone the same thing whatever this returns, so that a stranger learns
    nothing about who is registered.
    """
    if not worth_looking_up(email, 254):
        return False
    registration = existing_registration(event, normalise_email(email))
    if registration is None:
        return False
    queue_status_email(registration, "registration_link")
    return True
