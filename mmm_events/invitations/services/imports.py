"""Adding invitees to an event's list: from a file, with a report and a confirmation, or one
by hand. The file's reading lives in ``invitations.importing``; here it meets the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from ...addresses import normalise_email
from ...extensions import db
from ...models import Event, Invitation, InvitationStatus, Language
from ...models._base import new_token
from .. import uploads
from ..importing import ImportReport, InviteeRow, MergedRow, parse_rows, read_rows
from .common import AddressSuppressed, AlreadyInvited, chunks, is_suppressed, suppressed_among


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
    for chunk in chunks(rows, 1000):
        db.session.execute(insert(Invitation), list(chunk))
    return len(rows)


def stage_import(
    event: Event, *, user_id: int, filename: str, data: bytes, now: datetime
) -> tuple[ImportReport, str]:
    """The report on a file, and the id under which the file waits for its confirmation.

    Raises ``importing.ImportFileError``, storing nothing, when the file cannot be used.
    """
    report = build_import_report(event, filename, data)
    upload_id = uploads.store(
        event_id=event.id, user_id=user_id, filename=filename, data=data, now=now
    )
    return report, upload_id


def confirm_import(event: Event, *, user_id: int, upload_id: str, now: datetime) -> int | None:
    """Save the rows of the file waiting under ``upload_id``; how many, or None when there is
    no such file for this organiser and event (never stored, expired, or already confirmed).

    The file is parsed again and checked again against the invitations saved since its
    report, so the browser's word is never taken for the rows.
    """
    stored = uploads.take(upload_id, event_id=event.id, user_id=user_id, now=now)
    if stored is None:
        return None
    filename, data = stored
    return save_import(event, build_import_report(event, filename, data), now=now)


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
