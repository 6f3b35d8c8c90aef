"""The organiser's emails to invitees: invitations, reminders, how their sending goes, and
revoking an invitation before it is answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import (
    INVITATION_OPEN,
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    OutboxStatus,
)
from ...transitions import lock_in_order, transition
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


def _change(
    where, chosen: Sequence[int] | None, expected, to: InvitationStatus, **values
) -> list[tuple[int, str, str]]:
    """Move the invitations ``where`` picks (among ``chosen`` if given) from an ``expected``
    status to ``to``, one conditional UPDATE per chunk of ids; (id, address, name) of those
    it changed, in id order. Of two simultaneous requests, each invitation goes to one."""
    picks = [where] if chosen is None else [
        and_(where, Invitation.id.in_(chunk)) for chunk in chunks(chosen)
    ]
    changed: list[tuple[int, str, str]] = []
    for pick in picks:
        lock_in_order(
            Invitation, and_(pick, Invitation.status.in_(list(expected))), Invitation.id
        )
        changed += [
            tuple(row)
            for row in transition(
                Invitation.status,
                pick,
                expected,
                to,
                returning=(Invitation.email, Invitation.name),
                **values,
            )
        ]
    return changed


def _sending_states(ids: Sequence[int] | None) -> list[InvitationStatus]:
    """Whom a send reaches: the not yet invited, and also failed ones when chosen."""
    if ids is None:
        return [InvitationStatus.IMPORTED]
    return [InvitationStatus.IMPORTED, InvitationStatus.FAILED]


def _sendable(event: Event, ids: Sequence[int] | None):
    return and_(
        Invitation.event_id == event.id,
        Invitation.status.in_(_sending_states(ids)),
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
    The invitations are marked invited first, and emailed only if this call marked them.
    """
    chosen = sorted(set(ids)) if ids is not None else None
    invited = _change(
        and_(Invitation.event_id == event.id, ~unsubscribed()),
        chosen,
        _sending_states(ids),
        InvitationStatus.INVITED,
        invited_at=now,
    )
    if invited:
        queue_invitations(event, invited, reminder=False)
    skipped = len(chosen) - len(invited) if chosen is not None else 0
    return SendResult(len(invited), skipped)


def send_reminders(
    event: Event, *, now: datetime, interval: timedelta, ids: Sequence[int] | None = None
) -> SendResult:
    """Remind those who have not answered, at most once per ``interval`` per person.

    The interval runs from the last email the person had from us, invitation or reminder;
    the reminder is stamped first, and emailed only if this call stamped it.
    """
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.invited_at)
    chosen = sorted(set(ids)) if ids is not None else None
    reminded = _change(
        and_(
            Invitation.event_id == event.id,
            Invitation.answered_at.is_(None),
            last_contact <= now - interval,
            ~unsubscribed(),
        ),
        chosen,
        [InvitationStatus.INVITED],
        InvitationStatus.INVITED,
        last_reminded_at=now,
    )
    if reminded:
        queue_invitations(event, reminded, reminder=True)
    skipped = len(chosen) - len(reminded) if chosen is not None else 0
    return SendResult(len(reminded), skipped)


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
    if transition(
        Invitation.status, Invitation.id == invitation.id, INVITATION_OPEN,
        InvitationStatus.REVOKED,
    ):
        return
    db.session.refresh(invitation, ["status"])
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)


def revoke_chosen(event: Event, ids: Sequence[int]) -> RevokeResult:
    """Revoke the chosen invitations of this event; ids of other events are ignored, and so
    are invitations revoked already (by a simultaneous request too)."""
    chosen = sorted(set(ids))
    revoked = _change(
        Invitation.event_id == event.id, chosen, INVITATION_OPEN, InvitationStatus.REVOKED
    )
    kept = 0
    for chunk in chunks(chosen):
        kept += db.session.scalar(
            select(func.count()).where(
                Invitation.event_id == event.id,
                Invitation.id.in_(chunk),
                Invitation.status == InvitationStatus.ACCEPTED,
            )
        )
    return RevokeResult(len(revoked), kept)
