"""Whom an invitation admits to a registration: its own address, anyone once, or guests, as
the event says; and the invitation's acceptance, one conditional UPDATE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    INVITATION_OPEN,
    Event,
    Invitation,
    InvitationAdmits,
    InvitationStatus,
    Registration,
    RegistrationStatus,
)
from ..models._base import worth_looking_up
from ..transitions import transition
from .errors import InvitationForSomeoneElse, InvitationUsedUp


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


def valid_invitation(event: Event, invitation: Invitation | None) -> Invitation | None:
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


def admission_of(event: Event, invitation: Invitation | None, email_normalised: str) -> Admission:
    """Whom ``invitation`` admits, as the event says (``invitation_admits``).

    The address it was sent to is always admitted. On an invite-only event, another address
    is refused (``InvitationForSomeoneElse``) when the invitation admits only its own, admitted
    once when it admits anyone once (then ``InvitationUsedUp``), and admitted as a guest when
    it admits guests (their number is checked once the registration is written, see
    ``guest_room``). Elsewhere anyone may register, and the invitation records its first answer.
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


def guest_room(invitation: Invitation, registration: Registration) -> bool:
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
            # A guest the organisers did not approve leaves the place to another.
            Registration.status.not_in(
                [RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED]
            ),
            Registration.id != registration.id,
        )
    )
    return guests < registration.event.invitation_guests


def accept_invitation(invitation: Invitation, *, now: datetime) -> bool:
    """The registration is the invitation's answer: accepted, with one conditional UPDATE,
    unless it was revoked. (Accepted already only when the registration that answered it
    was erased: this one answers it again.)"""
    return bool(
        transition(
            Invitation.status,
            Invitation.id == invitation.id,
            (*INVITATION_OPEN, InvitationStatus.ACCEPTED),
            InvitationStatus.ACCEPTED,
            answered_at=now,
        )
    )
