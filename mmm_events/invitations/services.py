"""The rules of invitations, as plain functions that the views and the tests call.

Nothing here commits: the caller commits once, so that an invitation's change of state and the
email it causes (an outbox row) are saved together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..addresses import normalise_email
from ..extensions import db
from ..models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    OutboxStatus,
    Registration,
    Suppression,
)
from ..models._base import new_token, worth_looking_up
from ..privacy import suppression_key
from .emails import INVITATION_KIND, REMINDER_KIND, queue_invitations
from .importing import ImportReport, InviteeRow, MergedRow, parse_rows, read_rows

# Ids per IN (...) list: well under every engine's limit on bound parameters.
CHUNK = 900


class InvitationError(Exception):
    """A rule stops this action; the message is for the person who tried."""


class AlreadyInvited(InvitationError):
    pass


class AddressSuppressed(InvitationError):
    pass


class AlreadyAccepted(InvitationError):
    pass


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _not_suppressed():
    return ~exists().where(Suppression.email_key == Invitation.email_key)


def suppressed_among(emails: Sequence[str]) -> set[str]:
    """Which of these normalised addresses asked to receive no more invitations."""
    found: set[str] = set()
    by_key = {suppression_key(email): email for email in emails}
    for chunk in _chunks(list(by_key)):
        found.update(
            by_key[key]
            for key in db.session.scalars(
                select(Suppression.email_key).where(Suppression.email_key.in_(chunk))
            )
        )
    return found


def is_suppressed(email: str) -> bool:
    return bool(suppressed_among([normalise_email(email)]))


# Importing ---------------------------------------------------------------------------------


def check_import(event: Event, report: ImportReport) -> ImportReport:
    """Move rows already invited to this event, or unsubscribed, out of ``accepted``.

    Two queries in all (plus one per 900 addresses for the suppression list), however long
    the file: an import of ten thousand rows must take seconds.
    """
    existing = set(
        db.session.scalars(
            select(Invitation.email_normalised).where(Invitation.event_id == event.id)
        )
    )
    suppressed = suppressed_among([row.email_normalised for row in report.accepted])
    kept: list[InviteeRow] = []
    for row in report.accepted:
        if row.email_normalised in suppressed:
            report.suppressed.append(MergedRow(row.line, row.email, None))
        elif row.email_normalised in existing:
            report.already_invited.append(MergedRow(row.line, row.email, None))
        else:
            kept.append(row)
    report.accepted = kept
    return report


def build_import_report(event: Event, filename: str, data: bytes) -> ImportReport:
    """Read the file and check it against the database; saves nothing.

    Raises ``importing.ImportFileError`` when the file as a whole cannot be used.
    """
    return check_import(event, parse_rows(read_rows(filename, data)))


def save_import(event: Event, report: ImportReport, *, now: datetime) -> int:
    """Insert the accepted rows in one statement per thousand rows; returns how many."""
    rows = [
        {
            "event_id": event.id,
            "token": new_token(),
            "unsubscribe_token": new_token(),
            "email": row.email,
            "email_normalised": row.email_normalised,
            "name": row.name,
            "organisation": row.organisation,
            "language": row.language,
            "note": row.note,
            "status": InvitationStatus.IMPORTED,
            "decline_message": "",
            "created_at": now,
        }
        for row in report.accepted
    ]
    for chunk in _chunks(rows, 1000):
        db.session.execute(insert(Invitation), list(chunk))
    return len(rows)


def add_invitee(
    event: Event,
    *,
    email: str,
    name: str,
    organisation: str = "",
    language: Language = Language.EN,
    note: str = "",
    now: datetime,
) -> Invitation:
    """One invitee added by hand, with the same rules as an import."""
    key = normalise_email(email)
    if is_suppressed(key):
        raise AddressSuppressed(email)
    duplicate = db.session.scalar(
        select(Invitation.id).where(
            Invitation.event_id == event.id, Invitation.email_normalised == key
        )
    )
    if duplicate is not None:
        raise AlreadyInvited(email)
    invitation = Invitation(
        event_id=event.id,
        email=email.strip(),
        email_normalised=key,
        name=name.strip(),
        organisation=organisation.strip(),
        language=language,
        note=note.strip(),
        status=InvitationStatus.IMPORTED,
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


@dataclass(frozen=True)
class SendResult:
    queued: int
    skipped: int


def count_sendable(event: Event) -> int:
    """How many invitees a "send to all not yet invited" would reach now."""
    return db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.IMPORTED,
            _not_suppressed(),
        )
    )


def _recipients(query, chosen: Sequence[int] | None) -> list[tuple[int, str]]:
    """(id, address) of the invitations ``query`` finds, among ``chosen`` if given."""
    if chosen is None:
        return [(id_, email) for id_, email in db.session.execute(query)]
    found: list[tuple[int, str]] = []
    for chunk in _chunks(chosen):
        found.extend(
            (id_, email) for id_, email in db.session.execute(query.where(Invitation.id.in_(chunk)))
        )
    return found


def send_invitations(
    event: Event, *, now: datetime, ids: Sequence[int] | None = None
) -> SendResult:
    """Queue the invitation for everyone not yet invited, or for the chosen ``ids``.

    A choice may also retry invitations whose sending failed. Unsubscribed addresses, and
    anyone chosen who was already invited, answered or revoked, are skipped and counted.
    """
    statuses = [InvitationStatus.IMPORTED]
    if ids is not None:
        statuses.append(InvitationStatus.FAILED)
    sendable = and_(
        Invitation.event_id == event.id,
        Invitation.status.in_(statuses),
        _not_suppressed(),
    )
    query = select(Invitation.id, Invitation.email).where(sendable).order_by(Invitation.id)
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if not recipients:
        return SendResult(0, len(chosen or []))
    queue_invitations(event, recipients, reminder=False)
    sent_ids = [id_ for id_, _ in recipients]
    for chunk in _chunks(sent_ids):
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_(chunk))
            .values(status=InvitationStatus.INVITED, invited_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
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
        select(Invitation.id, Invitation.email)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.INVITED,
            Invitation.answered_at.is_(None),
            last_contact <= now - interval,
            _not_suppressed(),
        )
        .order_by(Invitation.id)
    )
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if recipients:
        queue_invitations(event, recipients, reminder=True)
        for chunk in _chunks([id_ for id_, _ in recipients]):
            db.session.execute(
                update(Invitation)
                .where(Invitation.id.in_(chunk))
                .values(last_reminded_at=now)
                .execution_options(synchronize_session=False)
            )
        db.session.expire_all()
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


# Answering ---------------------------------------------------------------------------------


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
    if invitation.status is InvitationStatus.REVOKED:
        raise InvitationError("revoked")
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = now
    invitation.decline_message = message.strip()
    if invitation.opened_at is None:
        invitation.opened_at = now


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


def revoke(invitation: Invitation) -> None:
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    invitation.status = InvitationStatus.REVOKED


# The funnel --------------------------------------------------------------------------------

FUNNEL_STAGES = ("imported", "invited", "failed", "opened", "accepted", "declined", "checked_in")


def funnel(event: Event) -> dict[str, int]:
    """How many invitees reached each stage, in one query. Revoked invitations are left out
    of every stage and counted apart; "invited" counts the emails not known to have failed."""
    live = Invitation.status != InvitationStatus.REVOKED
    delivered = Invitation.status.not_in([InvitationStatus.REVOKED, InvitationStatus.FAILED])

    def count(condition) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            count(live),
            count(and_(delivered, Invitation.invited_at.is_not(None))),
            count(Invitation.status == InvitationStatus.FAILED),
            count(and_(live, Invitation.opened_at.is_not(None))),
            count(Invitation.status == InvitationStatus.ACCEPTED),
            count(Invitation.status == InvitationStatus.DECLINED),
            count(and_(live, Registration.checked_in_at.is_not(None))),
            count(Invitation.status == InvitationStatus.REVOKED),
        )
        .select_from(Invitation)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
    ).one()
    counts = dict(zip((*FUNNEL_STAGES, "revoked"), (int(v) for v in row), strict=True))
    return counts


def invitees(
    event: Event, *, state: str | None = None, after_id: int | None = None, limit: int = 100
) -> list[tuple[Invitation, Registration | None, bool]]:
    """One page of invitees (keyset by id) with their registration and whether they
    unsubscribed; ``state`` is a funnel stage or "revoked"."""
    unsubscribed = exists().where(Suppression.email_key == Invitation.email_key)
    query = (
        select(Invitation, Registration, unsubscribed)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
        .order_by(Invitation.id)
        .limit(limit)
    )
    live = Invitation.status != InvitationStatus.REVOKED
    filters = {
        "imported": live,
        "invited": and_(
            Invitation.status.not_in([InvitationStatus.REVOKED, InvitationStatus.FAILED]),
            Invitation.invited_at.is_not(None),
        ),
        "failed": Invitation.status == InvitationStatus.FAILED,
        "opened": and_(live, Invitation.opened_at.is_not(None)),
        "accepted": Invitation.status == InvitationStatus.ACCEPTED,
        "declined": Invitation.status == InvitationStatus.DECLINED,
        "checked_in": and_(live, Registration.checked_in_at.is_not(None)),
        "revoked": Invitation.status == InvitationStatus.REVOKED,
    }
    if state in filters:
        query = query.where(filters[state])
    if after_id is not None:
        query = query.where(Invitation.id > after_id)
    return [tuple(row) for row in db.session.execute(query)]


def invitation_of_event(event: Event, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.event_id == event.id)
    )
