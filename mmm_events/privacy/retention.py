"""Retention that runs by itself: ``flask privacy purge``, from cron or a systemd timer.

Each event's registrations, invitations and visa letters are anonymised
PRIVACY_RETENTION_MONTHS after it ends; the passport details of visa letters go sooner, each
event's ``passport_data_days`` after it; the bodies of finished emails are deleted
PRIVACY_OUTBOX_BODY_DAYS after sending (they hold manage links), their delivery status kept;
abandoned invitee-list uploads are deleted, and so are new addresses whose owner never
followed the link that confirms them. Running it twice does nothing the second time.
Sessions are signed cookies: nothing is kept on the server to purge.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select, update

from .. import audit, mail
from ..documents.letters import purge_passport_data
from ..extensions import db
from ..models import (
    Answer,
    Erasure,
    Event,
    Invitation,
    OutboxMessage,
    PendingCover,
    PendingImport,
    Registration,
    VisaLetter,
)
from ..questions.answers import purge_sensitive_answers
from .people import anonymise, record_erasures


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (or earlier), on the month's last day if the
    month is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_ends(event: Event) -> datetime:
    """When the event's personal data is anonymised."""
    return add_months(event.ends_at, current_app.config["PRIVACY_RETENTION_MONTHS"])


@dataclass
class EventPurge:
    event: Event
    registrations: int
    invitations: int


@dataclass
class PurgeReport:
    events: list[EventPurge] = field(default_factory=list)
    outbox_bodies: int = 0
    uploads: int = 0
    covers: int = 0
    new_addresses: int = 0
    # {event id: answers to sensitive questions deleted}, ``sensitive_answer_days`` after it.
    sensitive_answers: dict[int, int] = field(default_factory=dict)
    # {event id: visa letters whose passport details were deleted}, ``passport_data_days``
    # after it.
    passports: dict[int, int] = field(default_factory=dict)

    def lines(self, dry_run: bool) -> list[str]:
        verb = "would anonymise" if dry_run else "anonymised"
        lines = [
            f"event {p.event.slug} (ended {p.event.ends_at:%Y-%m-%d}): {verb} "
            f"{p.registrations} registrations and {p.invitations} invitations"
            for p in self.events
        ]
        lines.append(
            f"outbox: {'would delete' if dry_run else 'deleted'} the bodies of "
            f"{self.outbox_bodies} finished emails"
        )
        lines.append(
            f"uploads: {'would remove' if dry_run else 'removed'} {self.uploads} "
            "abandoned invitee lists"
        )
        lines.append(
            f"covers: {'would remove' if dry_run else 'removed'} {self.covers} cover images "
            "kept for an event form never sent again"
        )
        lines.append(
            f"addresses: {'would forget' if dry_run else 'forgot'} {self.new_addresses} new "
            "addresses never confirmed"
        )
        lines.append(
            f"sensitive answers: {'would delete' if dry_run else 'deleted'} "
            f"{sum(self.sensitive_answers.values())}"
        )
        lines.append(
            f"passport details: {'would delete' if dry_run else 'deleted'} those of "
            f"{sum(self.passports.values())} visa letters"
        )
        return lines


def _not_erased(model, column):
    return ~exists().where(column == model.id)


def _expired_events(now: datetime) -> list[Event]:
    cutoff = add_months(now, -current_app.config["PRIVACY_RETENTION_MONTHS"])
    return list(db.session.scalars(
        select(Event).where(Event.ends_at <= cutoff).order_by(Event.ends_at, Event.id)
    ))


def _ids(model, column, event: Event) -> list[int]:
    return list(db.session.scalars(
        select(model.id).where(model.event_id == event.id, _not_erased(model, column))
    ))


def _purge_event(event: Event, *, dry_run: bool, now: datetime) -> EventPurge | None:
    registrations = _ids(Registration, Erasure.registration_id, event)
    invitations = _ids(Invitation, Erasure.invitation_id, event)
    if not registrations and not invitations:
        return None
    if not dry_run:
        # Emails still waiting after all this time would go to emptied addresses.
        mail.drop_unsent(OutboxMessage.event_id == event.id)
        anonymise("registration", Registration.event_id == event.id)
        # Typed answers emptied; the choices stay, anonymous, so that the counts do.
        anonymise("answer", Answer.registration_id.in_(
            select(Registration.id).where(Registration.event_id == event.id)))
        anonymise("invitation", Invitation.event_id == event.id)
        anonymise("outbox_message", OutboxMessage.event_id == event.id)
        anonymise("visa_letter", VisaLetter.event_id == event.id)
        record_erasures("registration_id", registrations, reason="retention", now=now)
        record_erasures("invitation_id", invitations, reason="retention", now=now)
        audit.record(audit.DATA_PURGED, event_id=event.id, detail={
            "registrations": len(registrations), "invitations": len(invitations),
        })
    return EventPurge(event, len(registrations), len(invitations))


def _expired_uploads(model, *, dry_run: bool, now: datetime) -> int:
    """Uploads past their lifetime (``model``, with its ``expires_at``): invitee lists never
    confirmed, or cover images kept for an event form that was never sent again."""
    expired = model.expires_at <= now
    count = db.session.scalar(select(func.count()).select_from(model).where(expired))
    if count and not dry_run:
        db.session.execute(
            delete(model).where(expired).execution_options(synchronize_session=False)
        )
    return count


def _expired_address_changes(*, dry_run: bool, now: datetime) -> int:
    """New addresses asked for on a manage page whose link ran out unused."""
    expired = Registration.new_email_expires_at <= now
    count = db.session.scalar(select(func.count()).select_from(Registration).where(expired))
    if count and not dry_run:
        db.session.execute(
            update(Registration).where(expired)
            .values(new_email=None, new_email_token=None, new_email_expires_at=None)
            .execution_options(synchronize_session=False)
        )
    return count


def purge(*, now: datetime, dry_run: bool = False) -> PurgeReport:
    """Apply every retention rule once; the caller commits (nothing to commit on a dry run)."""
    report = PurgeReport()
    # Bodies first, so that a dry run counts what the real run does.
    report.outbox_bodies = mail.empty_old_bodies(
        finished_before=now - timedelta(days=current_app.config["PRIVACY_OUTBOX_BODY_DAYS"]),
        dry_run=dry_run,
    )
    for event in _expired_events(now):
        done = _purge_event(event, dry_run=dry_run, now=now)
        if done is not None:
            report.events.append(done)
    report.uploads = _expired_uploads(PendingImport, dry_run=dry_run, now=now)
    report.covers = _expired_uploads(PendingCover, dry_run=dry_run, now=now)
    report.new_addresses = _expired_address_changes(dry_run=dry_run, now=now)
    report.sensitive_answers = purge_sensitive_answers(now=now, dry_run=dry_run)
    report.passports = purge_passport_data(now=now, dry_run=dry_run)
    if not dry_run:
        for event_id, count in report.sensitive_answers.items():
            audit.record(audit.SENSITIVE_ANSWERS_PURGED, event_id=event_id,
                         detail={"answers": count})
    return report
