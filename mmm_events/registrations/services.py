"""The rules of registering (RSVP) and changing one's details. Whom an invitation admits is in
``admission``, what the rules refuse in ``errors``; cancelling and the waiting list are in
``status``; confirming one's address in ``holds``.

Each function takes explicit arguments, changes the session, and leaves the commit to its
caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import addresses
from ..addresses import checked_email, normalise_email
from ..extensions import db
from ..models import (
    Event,
    Invitation,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
    utcnow,
)
from ..models._base import new_token, worth_looking_up
from ..questions.answers import Given, answers_of, save_answers
from . import address
from .admission import accept_invitation, admission_of, guest_room, valid_invitation
from .approval import await_approval
from .emails import queue_status_email
from .errors import (
    AlreadyRegistered,
    InvalidDays,
    InvalidEmail,
    InvitationRequired,
    InvitationUsedUp,
    RegistrationClosed,
)
from .holds import release_expired_holds
from .seats import claim_seat
from .status import change_status


@dataclass
class RegistrationDetails:
    full_name: str
    email: str
    organisation: str
    country: str
    days: list[date]
    needs: str
    language: str
    # The event's questions asked on the form, and the answers read (``questions.answers``).
    questions: list = field(default_factory=list)
    answers: dict[int, Given] = field(default_factory=dict)


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool


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
    invitation = valid_invitation(event, invitation)
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

    admission = admission_of(event, invitation, email_normalised)
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
    if admission.guest_of is not None and not guest_room(admission.guest_of, registration):
        raise InvitationUsedUp()
    if admission.answers is not None and not accept_invitation(admission.answers, now=now):
        # Revoked since it was read, by a simultaneous request.
        if event.invite_only:
            raise InvitationRequired()
        registration.invitation_id = None
    save_answers(registration, details.questions, details.answers, held=False, new=True)
    _take_place(registration, now=now)
    return RegistrationOutcome(registration, created=True)


def _take_place(registration: Registration, *, now: datetime) -> None:
    """Claim a seat, else a place in the queue, and email the person; held until the address
    is confirmed when the event asks for that.

    Last among the writes: from the claim to the commit, other registrations for this event
    wait (PostgreSQL's lock on the event row, SQLite's write lock).
    """
    event = registration.event
    if event.requires_approval:
        await_approval(registration)
        return
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
    if guest_of is not None and not guest_room(guest_of, registration):
        raise InvitationUsedUp()
    save_answers(registration, details.questions, details.answers, held=False)
    _take_place(registration, now=now)
    _apply_details(registration, details)
    _set_days(registration, days)
    return RegistrationOutcome(registration, created=True)


def update_registration(
    registration: Registration, details: RegistrationDetails, *, now: datetime
) -> str | None:
    """Change what the person told us, and email them the result; the caller commits.

    A new address does not replace theirs: it waits for its owner to follow the link sent to
    it (``address.request_change``), and is returned; their own address given back withdraws
    a change still waiting. Raises ``AlreadyRegistered`` when the new address belongs to
    another registration of the same event; the caller then rolls back.
    """
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(registration.event, details.days)
    waiting = address.address_waiting(registration, now=now)
    asked = email_normalised not in {
        registration.email_normalised, normalise_email(waiting or registration.email)
    }
    if asked:
        other = existing_registration(registration.event, email_normalised)
        if other is not None:
            raise AlreadyRegistered()
    before = _what_the_person_told(registration)
    if details.questions:
        save_answers(registration, details.questions, details.answers,
                     held=registration.status is not RegistrationStatus.CANCELLED)
    _set_days(registration, days)
    _apply_details(registration, details)
    if email_normalised == registration.email_normalised and registration.new_email:
        address.withdraw_change(registration)
    if _what_the_person_told(registration) != before:
        # A change of days alone leaves the row as it was: its time dates the calendar entry.
        registration.updated_at = utcnow()
        queue_status_email(registration, "registration_updated")
    if asked:
        address.request_change(registration, email, now=now)
        return email
    return None


def _what_the_person_told(registration: Registration) -> tuple:
    return (
        registration.full_name,
        registration.organisation,
        registration.country,
        registration.needs,
        registration.language,
        tuple(sorted(registration.days)),
        tuple(sorted((a.question_id, a.option_id or 0, a.value) for a in answers_of(registration))),
    )


def send_confirmation(registration: Registration) -> None:
    """Queue again the email that tells the person where they stand (the organiser's
    "resend"): the confirmation, the cancellation notice if they cancelled, the link that
    confirms their address if they have not yet, or where the organisers' decision stands
    (received, or declined: without the organiser's message, which only its email held)."""
    templates = {
        RegistrationStatus.CANCELLED: "registration_cancelled",
        RegistrationStatus.PENDING: "registration_confirm_address",
        RegistrationStatus.PENDING_WAITING: "registration_confirm_address",
        RegistrationStatus.PENDING_APPROVAL: "registration_received",
        RegistrationStatus.DECLINED: "registration_declined",
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
