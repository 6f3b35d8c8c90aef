"""The organiser's emails to invitees: invitations, reminders, how their sending goes, and
revoking an invitation before it is answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update

from ...extensions import db
from ...models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    OutboxStatus,
)
from ..emails import INVITATION_KIND, REMINDER_KIND, queue_invitations
from .common import AlreadyAccepted, chunks, unsubscribed


@dataclass(frozen=True)
class SendResult:
    queued: int
    skipped: int


@dataclass(frozen=True)
class RevokeResult:
    revoked: int
    # Chosen invitees who had already registered: their registration must be cancelled instead.
    kept: int


def count_sendable(event: Event) -> int:
    """How many invitees a "send to all not yet invited" would reach now."""
    return db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.IMPORTED,
            ~unsubscribed(),
        )
    )


def _recipients(query, chosen: Sequence[int] | None) -> list[tuple[int, str, str]]:
    """(id, address, name) of the invitations ``query`` finds, among ``chosen`` if given."""
    if chosen is None:
        return [tuple(row) for row in db.session.execute(query)]
    found: list[tuple[int, str, str]] = []
    for chunk in chunks(chosen):
        found.extend(
            tuple(row) for row in db.session.execute(query.where(Invitation.id.in_(chunk)))
        )
    return found


def _mark(ids: Sequence[int], **values) -> None:
    for chunk in chunks(ids):
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_(chunk))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()


def _sendable(event: Event, ids: Sequence[int] | None):
    """The invitations a send reaches: not yet invited, or also failed ones when chosen."""
    statuses = [InvitationStatus.IMPORTED]
    if ids is not None:
        statuses.append(InvitationStatus.FAILED)
    return and_(
        Invitation.event_id == event.id,
        Invitation.status.in_(statuses),
        ~unsubscribed(),
    )


def recipients_by_language(
    event: Event, ids: Sequence[int] | None = None
) -> dict[Language, int]:
    """How many people ``send_invitations`` with the same arguments would email now, per
    language, for the organiser to confirm before sending."""
    query = (
        select(Invitation.language, func.count())
        .where(_sendable(event, ids))
        .group_by(Invitation.language)
    )
    counts: dict[Language, int] = {}
    for chunk in [None] if ids is None else chunks(sorted(set(ids))):
        chosen = query if chunk is None else query.where(Invitation.id.in_(chunk))
        for language, count in db.session.execute(chosen):
            counts[language] = counts.get(language, 0) + count
    return {language: counts[language] for language in Language if language in counts}


def send_invitations(
    event: Event, *, now: datetime, ids: Sequence[int] | None = None
) -> SendResult:
    """Queue the invitation for everyone not yet invited, or for the chosen ``ids``.

    A choice may also retry invitations whose sending failed. Unsubscribed addresses, and
    anyone chosen who was already invited, answered or revoked, are skipped and counted.
    """
    query = (
        select(Invitation.id, Invitation.email, Invitation.name)
        .where(_sendable(event, ids))
        .order_by(Invitation.id)
    )
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if not recipients:
        return SendResult(0, len(chosen or []))
    queue_invitations(event, recipients, reminder=False)
    sent_ids = [id_ for id_, *_ in recipients]
    _mark(sent_ids, status=InvitationStatus.INVITED, invited_at=now)
    skipped = len(chosen) - len(sent_ids) if chosen is not None else 0
    return SendResult(len(sent_ids), skipped)


def send_reminders(
    event: Event, *, now: datetime, interval: timedelta, ids: Sequence[int] | None = None
) -> SendResult:
    """Remind those who have not answered, at most once per ``interval`` per person.

    The interval runs from the last email the person had from us, invitation or reminder.
    """
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.invited_at)
    query = (
        select(Invitation.id, Invitation.email, Invitation.name)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.INVITED,
            Invitation.answered_at.is_(None),
            last_contact <= now - interval,
            ~unsubscribed(),
        )
        .order_by(Invitation.id)
    )
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if recipients:
        queue_invitations(event, recipients, reminder=True)
        _mark([id_ for id_, *_ in recipients], last_reminded_at=now)
    skipped = len(chosen) - len(recipients) if chosen is not None else 0
    return SendResult(len(recipients), skipped)


def outbox_progress(event: Event) -> dict[str, int]:
    """Invitation and reminder emails of this event by outbox state: queued, sent, failed."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.kind.in_([INVITATION_KIND, REMINDER_KIND]),
        )
        .group_by(OutboxMessage.status)
    )
    counts = {status: count for status, count in rows}
    return {
        "queued": counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0),
        "sent": counts.get(OutboxStatus.SENT, 0),
        "failed": counts.get(OutboxStatus.FAILED, 0),
    }


def invitation_of_event(event: Event, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.event_id == event.id)
    )


def revoke(invitation: Invitation) -> None:
    """Its links stop working. Someone who already registered keeps the registration, which
    the organiser cancels on its own page instead."""
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    invitation.status = InvitationStatus.REVOKED


def revoke_chosen(event: Event, ids: Sequence[int]) -> RevokeResult:
    """Revoke the chosen invitations of this event; ids of other events are ignored."""
    revoked = kept = 0
    for invitation_id in ids:
        invitation = invitation_of_event(event, invitation_id)
        if invitation is None:
            continue
        try:
            revoke(invitation)
            revoked += 1
        except AlreadyAccepted:
            kept += 1
    return RevokeResult(revoked, kept)
