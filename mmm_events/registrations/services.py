"""The rules of registering (RSVP), whom an invitation admits, and changing one's details.
Cancelling and the waiting list are in ``status``; confirming one's address in ``holds``.

Each function takes explicit arguments, changes the session, and leaves the commit to its
caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import addresses
from ..addresses import checked_email, normalise_email
from ..extensions import db
from ..models import (
    Event,
    Invitation,
    InvitationAdmits,
    InvitationStatus,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
    utcnow,
)
from ..models._base import new_token, worth_looking_up
from .emails import ADDRESS_CHANGED, queue_status_email
from .holds import release_expired_holds
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


class InvitationForSomeoneElse(RegistrationError):
    """The invitation admits only the address it was sent to, and this is another."""


class InvitationUsedUp(RegistrationError):
    """The invitation has already admitted every person it may."""


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


def _valid_invitation(event: Event, invitation: Invitation | None) -> Invitation | None:
    if invitation is not None and (
        invitation.event_id != event.id or invitation.status is InvitationStatus.REVOKED
    ):
        return None
    return invitation


def _invitation_used(invitation: Invitation) -> bool:
    return db.session.scalar(
        select(Registration.id).where(Registration.invitation_id == invitation.id)
    ) is not None


@dataclass(frozen=True)
class Admission:
    """How an invitation lets a new registration in: as the invitation's answer (linked to
    it, once), or as one of its guests; neither when it plays no part."""

    answers: Invitation | None = None
    guest_of: Invitation | None = None


def _admission(event: Event, invitation: Invitation | None, email_normalised: str) -> Admission:
    """Whom ``invitation`` admits, as the event says (``invitation_admits``).

    The address it was sent to is always admitted. On an invite-only event, another address
    is refused (``InvitationForSomeoneElse``) when the invitation admits only its own, admitted
    once when it admits anyone once (then ``InvitationUsedUp``), and admitted as a guest when
    it admits guests (their number is checked once the registration is written, see
    ``_guest_room``). Elsewhere anyone may register, and the invitation records its first answer.
    """
    if invitation is None:
        return Admission()
    used = _invitation_used(invitation)
    if email_normalised == invitation.email_normalised or not event.invite_only:
        return Admission(answers=None if used else invitation)
    if event.invitation_admits is InvitationAdmits.GUESTS:
        return Admission(guest_of=invitation)
    if event.invitation_admits is InvitationAdmits.OWN_ADDRESS:
        raise InvitationForSomeoneElse()
    if used:
        raise InvitationUsedUp()
    return Admission(answers=invitation)


def _guest_room(invitation: Invitation, registration: Registration) -> bool:
    """Whether ``invitation`` admits ``registration`` as one more guest.

    Called once the registration is written, so that simultaneous guests of one invitation
    count one another: SQLite's write lock is held by then, and on PostgreSQL the lock on the
    invitation's row lets one at a time count the guests committed before it.
    """
    db.session.execute(
        select(Invitation.id).where(Invitation.id == invitation.id).with_for_update()
    )
    guests = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.guest_of_id == invitation.id,
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.id != registration.id,
        )
    )
    return guests < registration.event.invitation_guests


def register(
    event: Event,
    details: RegistrationDetails,
    *,
    now: datetime,
    invitation: Invitation | None = None,
) -> RegistrationOutcome:
    """Register a person: a seat if one is free, else the waiting list; the caller commits,
    or rolls back on a RegistrationError.

    On an event that asks people to confirm their address, the seat (or the place in the
    queue) is only held until they do (see ``holds``). Registering twice with the same
    address creates nothing and returns the first registration with ``created=False``. The
    look-up finds the usual repeat; the unique constraint on (event, address) decides a double
    click racing itself: the loser's transaction is rolled back and it returns the winner's
    registration.
    """
    # Longer than most: the rules are checked in the order a person is told about them, all
    # before the first write, so that a refusal leaves nothing to undo.
    state = event.registration_state(now)
    if state != "open":
        raise RegistrationClosed(state)
    invitation = _valid_invitation(event, invitation)
    if event.invite_only and invitation is None:
        raise InvitationRequired()
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(event, details.days)
    if event.confirm_email:
        release_expired_holds(now, event=event)
    existing = existing_registration(event, email_normalised)
    if existing is not None and existing.status is RegistrationStatus.CANCELLED:
        return _register_again(existing, details, days, now=now)
    if existing is not None:
        return RegistrationOutcome(existing, created=False)

    admission = _admission(event, invitation, email_normalised)
    registration = Registration(
        event=event,
        email=email,
        email_normalised=email_normalised,
        # Written as the event stands now; the seat claim below has the last word.
        status=RegistrationStatus.CONFIRMED if event.seats_left else RegistrationStatus.WAITING,
        consented_at=now,
        created_at=now,
        invitation_id=admission.answers.id if admission.answers is not None else None,
        guest_of_id=admission.guest_of.id if admission.guest_of is not None else None,
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
    if admission.guest_of is not None and not _guest_room(admission.guest_of, registration):
        raise InvitationUsedUp()
    _take_place(registration, now=now)
    if admission.answers is not None:
        admission.answers.status = InvitationStatus.ACCEPTED
        admission.answers.answered_at = now
    return RegistrationOutcome(registration, created=True)


def _take_place(registration: Registration, *, now: datetime) -> None:
    """Claim a seat, else a place in the queue, and email the person; held until the address
    is confirmed when the event asks for that.

    Last among the writes: from the claim to the commit, other registrations for this event
    wait (PostgreSQL's lock on the event row, SQLite's write lock).
    """
    event = registration.event
    seated = claim_seat(event)
    if event.confirm_email:
        registration.status = (
            RegistrationStatus.PENDING if seated else RegistrationStatus.PENDING_WAITING
        )
        registration.confirm_token = new_token()
        registration.hold_expires_at = now + timedelta(
            minutes=current_app.config["RSVP_HOLD_MINUTES"]
        )
        queue_status_email(registration, "registration_confirm_address")
        return
    registration.status = RegistrationStatus.CONFIRMED if seated else RegistrationStatus.WAITING
    if registration.hold_expires_at is not None:
        # Registering again after the event stopped asking for confirmation.
        registration.hold_expires_at = None
    queue_status_email(registration, "registration_confirmation")


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
    the new details, joining the end of the queue as if new; a guest only while the
    invitation has room for them."""
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
    guest_of = (
        db.session.get(Invitation, registration.guest_of_id)
        if registration.guest_of_id is not None
        else None
    )
    if guest_of is not None and not _guest_room(guest_of, registration):
        raise InvitationUsedUp()
    _take_place(registration, now=now)
    _apply_details(registration, details)
    _set_days(registration, days)
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
    "resend"): the confirmation, the cancellation notice if they cancelled, or the link that
    confirms their address if they have not yet."""
    templates = {
        RegistrationStatus.CANCELLED: "registration_cancelled",
        RegistrationStatus.PENDING: "registration_confirm_address",
        RegistrationStatus.PENDING_WAITING: "registration_confirm_address",
    }
    queue_status_email(
        registration, templates.get(registration.status, "registration_confirmation")
    )


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
    # Until the address is confirmed, what it needs is the link that confirms it.
    pending = registration.status in (
        RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING
    )
    queue_status_email(
        registration, "registration_confirm_address" if pending else "registration_link"
    )
    return True
