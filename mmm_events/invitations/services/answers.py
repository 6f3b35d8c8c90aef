"""The invitee's side: finding the invitation behind a link, opening it, declining,
unsubscribing. (Accepting is registering: ``events.services.register`` records it.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError

from ...addresses import normalise_email, suppression_key
from ...extensions import db
from ...models import INVITATION_OPEN, Invitation, InvitationStatus, Suppression
from ...models._base import UTCDateTime, worth_looking_up
from ...transitions import transition
from .common import AlreadyAccepted, InvitationError, is_suppressed


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation this answer token belongs to, unless it was revoked."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Invitation).where(
            Invitation.token == token, Invitation.status != InvitationStatus.REVOKED
        )
    )


def invitation_by_unsubscribe_token(token: str) -> Invitation | None:
    # Revoked invitations still let their address unsubscribe: that wish outlives them.
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(Invitation).where(Invitation.unsubscribe_token == token))


def mark_opened(invitation: Invitation, *, now: datetime) -> None:
    if invitation.opened_at is None:
        invitation.opened_at = now


def decline(invitation: Invitation, *, message: str, now: datetime) -> None:
    """Record the answer, unless the invitation was accepted or revoked, even a moment ago
    by a simultaneous request: one conditional UPDATE decides."""
    declined = transition(
        Invitation.status,
        Invitation.id == invitation.id,
        INVITATION_OPEN,
        InvitationStatus.DECLINED,
        answered_at=now,
        decline_message=message.strip(),
        opened_at=func.coalesce(Invitation.opened_at, literal(now, UTCDateTime())),
    )
    if declined:
        return
    db.session.refresh(invitation, ["status"])
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    raise InvitationError("revoked")


def unsubscribe(email: str, *, reason: str) -> None:
    """Add the address to the suppression list; doing it twice is harmless."""
    key = normalise_email(email)
    if is_suppressed(key):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(email_key=suppression_key(key), reason=reason))
    except IntegrityError:
        # The same address unsubscribed at the same moment from another message: done.
        return
